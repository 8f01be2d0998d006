package verify

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
)

// Link is one archive's place in its chain, as its linkinginfo states it.
type Link struct {
	// Path names the archive in problems.
	Path string
	// Prev is linkinginfo's previous digest; "" starts a chain.
	Prev string
	// Last is the digest of linkinginfo's last entry: what the next
	// archive names as Prev.
	Last string
}

// ReadLink reads an archive's linkinginfo ends (not its containers, and
// nothing is verified): what ChainProblems needs. Encrypted archives
// (.zip.gpg) cannot be read without their key and fail.
func ReadLink(path string, lim asic.Limits) (Link, error) {
	f, err := os.Open(path)
	if err != nil {
		return Link{}, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Link{}, fmt.Errorf("verify: %w", err)
	}
	a, err := asic.OpenArchive(f, st.Size(), lim)
	if err != nil {
		return Link{}, problem(path, "", err)
	}
	l := Link{Path: path, Prev: strings.ToLower(a.Linking.PrevDigest)}
	if e := a.Linking.Entries; len(e) > 0 {
		l.Last = strings.ToLower(e[len(e)-1].Digest)
	}
	return l, nil
}

// ChainProblems applies the chain checks of Paths to one group's archives
// by their links alone: an archive that links to a digest no other archive
// ends with, and that neither co nor anchors (last digests of retention
// tombstones → what they stand for) account for, is a gap (CodeGap: an
// archive before it is missing), or the chain's unanchored start
// (CodeUnanchored); a second chain start is CodeSecondStart. No container
// is read, so it is cheap enough to run periodically over a whole archive
// directory (the monitoring centre does); verification proper is Paths'.
func ChainProblems(group string, links []Link, co ChainOptions, anchors map[string]string) []*Problem {
	var out []*Problem
	for _, r := range chainRoots(group, links, co, anchors) {
		if r.problem != nil {
			out = append(out, r.problem)
		}
	}
	return out
}

// root is a chain root found by chainRoots: where verification of a chain
// starts (index into the links), with what previous digest, and what is
// wrong with the way it starts.
type root struct {
	index   int
	prev    string
	first   bool
	problem *Problem
	warning string
}

// chainRoots finds the archives of one group that start a chain — their
// previous digest is "" or one no archive of the group ends with — in path
// order, and judges each: a start, anchored by co.Prev or a tombstone, or a
// gap. Paths and ChainProblems share it, so the monitoring centre and the
// verifier agree on what a gap is.
func chainRoots(group string, links []Link, co ChainOptions, anchors map[string]string) []root {
	lasts := map[string]bool{}
	for _, l := range links {
		lasts[l.Last] = true
	}
	var idx []int
	hasStart := false
	for i, l := range links {
		p := strings.ToLower(l.Prev)
		if p == "" || !lasts[p] {
			idx = append(idx, i)
		}
		hasStart = hasStart || p == ""
	}
	sort.SliceStable(idx, func(i, j int) bool { return links[idx[i]].Path < links[idx[j]].Path })
	var out []root
	starts, unanchored := 0, 0
	for _, i := range idx {
		l := links[i]
		p := strings.ToLower(l.Prev)
		r := root{index: i}
		switch {
		case p == "":
			starts++
			switch {
			case starts > 1:
				r.problem = &Problem{File: l.Path, Code: CodeSecondStart,
					Message: "a second chain start in " + group + ": the log was restarted or an archive of another chain is mixed in (-f admits one start per group)"}
			case !co.First:
				r.problem = &Problem{File: l.Path, Code: CodeUnanchored,
					Message: "archive starts a chain but -f was not given: give -f if it begins the log, else the archives before it are missing"}
			}
			r.first = true
		case co.Prev != "" && strings.EqualFold(co.Prev, p):
			r.prev = p
		case anchors[p] != "":
			r.warning = "chain anchored by the " + anchors[p]
			r.prev = p
		case co.First:
			r.first = true // the linker reports the missing start
		case co.Prev != "":
			r.problem = &Problem{File: l.Path, Code: asic.CodePrevDigestMismatch,
				Message: fmt.Sprintf("archive links to %s…, not to the given previous digest %s…", trunc(p), trunc(co.Prev))}
		default:
			unanchored++
			if unanchored == 1 && !hasStart {
				r.problem = &Problem{File: l.Path, Code: CodeUnanchored,
					Message: fmt.Sprintf("chain start not anchored: links to %s…, which no given archive, --prev or retention tombstone accounts for (give --prev or -f)", trunc(p))}
			} else {
				r.problem = &Problem{File: l.Path, Code: CodeGap,
					Message: fmt.Sprintf("gap: links to %s…, which no given archive ends with; an archive is missing", trunc(p))}
			}
		}
		out = append(out, r)
	}
	return out
}
