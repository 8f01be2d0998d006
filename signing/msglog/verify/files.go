package verify

import (
	"archive/zip"
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/tombstone"
)

// Codes the chain checks add to X-Road's.
const (
	CodeGap      = "InvalidLogArchive.Gap"  // an archive links to one that is not there
	CodeFork     = "InvalidLogArchive.Fork" // two archives link to the same predecessor
	CodeReadFile = "InputError"             // a file cannot be read or is of an unknown kind
	// CodeDuplicate: the same archive (the same bytes) was given twice,
	// under one name or two: a replayed archive.
	CodeDuplicate = "InvalidLogArchive.Duplicate"
	// CodeOverlap: a container is in two archives (their ranges overlap).
	CodeOverlap = "InvalidLogArchive.Overlap"
	// CodeSecondStart: a second archive in one group starts a chain
	// (linkinginfo prev "-"): the log was restarted, or archives of
	// another chain are mixed in. -f admits exactly one start per group.
	CodeSecondStart = "InvalidLogArchive.SecondStart"
	// CodeUnanchored: the first archive of a chain is not anchored: not a
	// start admitted by -f, not linked to --prev, not to a verified
	// retention tombstone.
	CodeUnanchored = "InvalidLogArchive.Unanchored"
	// CodeTruncated: an archive is cut short (no zip central directory):
	// typically the last one, copied while it was written.
	CodeTruncated = "InvalidLogArchive.Truncated"
)

// ChainOptions anchor the start of an archive chain, like the arguments of
// X-Road's archive verifier.
type ChainOptions struct {
	// Prev is the last linking digest of the archive before the first one
	// given; "" leaves the start unanchored unless First is set.
	Prev string
	// First requires the first archive to start a chain (-f).
	First bool
	// Checkpoints are signed checkpoints held by a third party; each is
	// checked against its group's tree recomputed from the archives (see
	// CheckpointReport). The archives of a group must then start the log.
	Checkpoints []HeldCheckpoint
	// CheckpointKey is the log's public key for the checkpoints'
	// signatures; nil uses the certificates that signed the archives.
	CheckpointKey crypto.PublicKey
}

// FileReport is the outcome for one file.
type FileReport struct {
	Path       string         `json:"path"`
	Kind       string         `json:"kind"` // "archive" or "container"
	Containers int            `json:"containers"`
	Bytes      int64          `json:"bytes"`
	PrevDigest string         `json:"prevDigest,omitempty"`
	LastDigest string         `json:"lastDigest,omitempty"` // what the next archive must link to
	Problems   []*Problem     `json:"problems,omitempty"`
	Warnings   []string       `json:"warnings,omitempty"`
	Container  *ContainerInfo `json:"container,omitempty"` // for a single container
	// Signers are the subjects of the signing certificates, in container
	// order, each change listed once.
	Signers []string `json:"signers,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Files      []*FileReport `json:"files"`
	Containers int           `json:"containers"`
	Bytes      int64         `json:"bytes"`
	Problems   int           `json:"problems"`
	// Checkpoints are the outcomes of ChainOptions.Checkpoints.
	Checkpoints []*CheckpointReport `json:"checkpoints,omitempty"`
}

// Valid reports whether nothing failed.
func (r *Report) Valid() bool { return r.Problems == 0 }

// Paths verifies files and directories: *.asice containers and *.zip
// archives (a directory is searched recursively). Archives are verified
// in chain order (by their links, not their names), so the report also
// shows gaps and forks in the chain. The error is only for problems that
// stop the run; verification failures are in the report.
func (v *Verifier) Paths(paths []string, co ChainOptions) (*Report, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".zip") || strings.HasSuffix(path, ".asice") || strings.HasSuffix(path, EncryptedSuffix)) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	rep := &Report{}
	var total, done int64
	var archives []*arch
	var temps []string
	defer func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}()
	for _, f := range files {
		st, err := os.Stat(f)
		if err == nil {
			total += st.Size()
		}
	}
	progress := func(n int64) {
		done += n
		if v.opts.Progress != nil {
			v.opts.Progress(done, total)
		}
	}
	// anchors[group][digest] names what vouches for a chain start that
	// links to digest: a verified tombstone of a removed archive.
	anchors := map[string]map[string]string{}
	seenArchive := map[string]string{} // prev|last → path
	for _, f := range files {
		fr := &FileReport{Path: f}
		rep.Files = append(rep.Files, fr)
		group := filepath.Dir(f)
		st, err := os.Stat(f)
		if err != nil {
			fr.Problems = append(fr.Problems, &Problem{File: f, Code: CodeReadFile, Message: err.Error(), Err: err})
			continue
		}
		var data []byte
		readFrom := f
		if strings.HasSuffix(f, EncryptedSuffix) {
			tmp, err := v.decrypt(f)
			if err != nil {
				fr.Kind = "archive"
				fr.Bytes = st.Size()
				fr.Problems = append(fr.Problems, &Problem{File: f, Code: CodeReadFile, Message: err.Error(), Err: err})
				continue
			}
			temps = append(temps, tmp)
			readFrom = tmp
			if st, err = os.Stat(tmp); err != nil {
				fr.Problems = append(fr.Problems, &Problem{File: f, Code: CodeReadFile, Message: err.Error(), Err: err})
				continue
			}
		} else if !strings.HasSuffix(f, ".zip") || strings.HasSuffix(f, tombstone.Suffix) {
			// Single containers and tombstones are small: read whole.
			if data, err = os.ReadFile(f); err != nil {
				fr.Problems = append(fr.Problems, &Problem{File: f, Code: CodeReadFile, Message: err.Error(), Err: err})
				continue
			}
			fr.Bytes = int64(len(data))
			if isZipWithLinkingInfo(data) && !strings.HasSuffix(f, ".asice") {
				data = nil // an archive under another name: streamed below
			}
		}
		if strings.HasSuffix(f, tombstone.Suffix) {
			fr.Kind = "tombstone"
			fr.Containers = 1
			info, err := v.Container(data)
			var ts *tombstone.Tombstone
			if err == nil {
				ts, err = tombstone.Parse(data)
			}
			if err != nil {
				fr.Problems = append(fr.Problems, problem(f, "", err))
			} else {
				fr.Container = info
				fr.Warnings = info.Warnings
				if anchors[group] == nil {
					anchors[group] = map[string]string{}
				}
				anchors[group][strings.ToLower(ts.LastDigest)] = "tombstone of " + ts.Archive
				fr.LastDigest = ts.LastDigest
			}
			progress(int64(len(data)))
			continue
		}
		if data != nil {
			fr.Kind = "container"
			fr.Containers = 1
			info, err := v.Container(data)
			if err != nil {
				fr.Problems = append(fr.Problems, problem(f, "", err))
			} else {
				fr.Container = info
				fr.Warnings = info.Warnings
			}
			progress(int64(len(data)))
			continue
		}
		fr.Kind = "archive"
		fr.Bytes = st.Size()
		x, err := v.scanArchive(f, readFrom, group, fr)
		if err != nil {
			fr.Problems = append(fr.Problems, err.(*Problem))
			progress(fr.Bytes)
			continue
		}
		key := x.prev + "|" + x.last
		if other, ok := seenArchive[key]; ok {
			fr.Problems = append(fr.Problems, &Problem{File: f, Code: CodeDuplicate,
				Message: fmt.Sprintf("the same archive as %s (same linkinginfo): a replayed or copied archive is not a second one", other)})
			progress(fr.Bytes)
			continue
		}
		seenArchive[key] = f
		archives = append(archives, x)
	}

	// Order each group's archives by their links: each archive's claimed
	// last digest (linkinginfo's last line) is what its successor names as
	// prev.
	claimedLast := func(x *arch) string { return x.last }
	groups := map[string][]*arch{}
	var groupNames []string
	for _, x := range archives {
		if groups[x.group] == nil {
			groupNames = append(groupNames, x.group)
		}
		groups[x.group] = append(groups[x.group], x)
	}
	sort.Strings(groupNames)
	cpReps, accs, cpSigned := checkpointSetup(co.Checkpoints, groupNames)
	seenContainer := newOverlapWindow(overlapWindowArchives)
	visited := map[*arch]bool{}
	for _, g := range groupNames {
		archs := groups[g]
		byPrev := map[string][]*arch{}
		for _, x := range archs {
			byPrev[strings.ToLower(x.prev)] = append(byPrev[strings.ToLower(x.prev)], x)
		}
		links := make([]Link, len(archs))
		for i, x := range archs {
			links[i] = Link{Path: x.path, Prev: x.prev, Last: claimedLast(x)}
		}
		var order []*arch
		acc := accs[g]
		var feed *treeAcc // the tree is fed along the chain from its start only
		var walk func(x *arch, prev string, first bool)
		walk = func(x *arch, prev string, first bool) {
			if visited[x] {
				return
			}
			visited[x] = true
			order = append(order, x)
			last := v.archiveFile(x, prev, first, progress, seenContainer, feed)
			next := byPrev[claimedLast(x)]
			if len(next) > 1 {
				for _, n := range next {
					n.rep.Problems = append(n.rep.Problems, &Problem{File: n.path, Code: CodeFork,
						Message: fmt.Sprintf("%d archives link to the end of %s", len(next), filepath.Base(x.path))})
				}
			}
			for _, n := range next {
				if last == "" { // x failed: check n against its claimed link only
					walk(n, "", false)
				} else {
					walk(n, last, false)
				}
			}
		}
		starts := 0
		for _, r := range chainRoots(g, links, co, anchors[g]) {
			x := archs[r.index]
			if r.problem != nil {
				x.rep.Problems = append(x.rep.Problems, r.problem)
			}
			if r.warning != "" {
				x.rep.Warnings = append(x.rep.Warnings, r.warning)
			}
			// The tree is fed along the chain from the group's first
			// start (prev "-") only.
			if x.prev == "" && acc != nil {
				starts++
				if starts == 1 {
					acc.started, feed = true, acc
				}
			}
			walk(x, r.prev, r.first)
			feed = nil
		}
		// Archives in a cycle have no root; verify them anyway.
		for _, x := range archs {
			if !visited[x] {
				x.rep.Problems = append(x.rep.Problems, &Problem{File: x.path, Code: CodeFork, Message: "archive is part of a linking cycle"})
				walk(x, "", false)
			}
		}
		if acc != nil {
			if !acc.started {
				acc.unanchored = "the group's first archive links to an earlier one (removed by retention, or not given)"
			}
			acc.finish(cpReps, cpSigned, co.CheckpointKey)
		}
		// A change of signing certificate along the chain is reported.
		prevSigner := ""
		for _, x := range order {
			for _, s := range x.rep.Signers {
				if prevSigner != "" && s != prevSigner {
					x.rep.Warnings = append(x.rep.Warnings, fmt.Sprintf("signing certificate changed from %q to %q", prevSigner, s))
				}
				prevSigner = s
			}
		}
	}
	for _, fr := range rep.Files {
		rep.Containers += fr.Containers
		rep.Bytes += fr.Bytes
		rep.Problems += len(fr.Problems)
	}
	sortCheckpointReports(cpReps)
	for _, r := range cpReps {
		if !r.Valid {
			rep.Problems++
		}
	}
	rep.Checkpoints = cpReps
	return rep, nil
}

func trunc(d string) string {
	if len(d) > 16 {
		return d[:16]
	}
	return d
}

// Archive verifies one archive: its linking chain (anchored at prev, or
// required to start a chain when first) and every container in it.
func (v *Verifier) Archive(path string, data []byte, co ChainOptions) *FileReport {
	fr := &FileReport{Path: path, Kind: "archive", Bytes: int64(len(data))}
	a, err := asic.OpenArchive(bytes.NewReader(data), int64(len(data)), v.opts.Limits)
	if err != nil {
		fr.Problems = append(fr.Problems, problem(path, "", err))
		return fr
	}
	fr.PrevDigest = a.Linking.PrevDigest
	v.archive(path, a, fr, co.Prev, co.First, func(int64) {}, nil, nil)
	return fr
}

// archive verifies a and returns its last linking digest ("" if the chain
// is broken).
//
// seen, when not nil, maps (a prefix of) the SHA-512 of every container
// verified so far to its archive: a container met again is an overlap.
//
// acc, when not nil, is fed every container's part of its record's leaf,
// in order.
func (v *Verifier) archive(path string, a *asic.Archive, fr *FileReport, prev string, first bool, progress func(int64), seen *overlapWindow, acc *treeAcc) string {
	fr.Containers = len(a.Containers)
	l, err := a.NewLinker(prev, first)
	if err != nil {
		var ae *asic.Error
		entry := ""
		if errors.As(err, &ae) {
			entry = ae.Entry
		}
		fr.Problems = append(fr.Problems, problem(path, entry, err))
		if l, err = a.NewLinker("", false); err != nil {
			l = nil
		}
	}
	broken := l == nil
	// Each container is read, hashed for the linking chain and verified
	// on all cores, at most GOMAXPROCS at a time (memory stays bounded by
	// that many containers); the chain, which is sequential, is then
	// checked from the digests in zip order, and results are reported in
	// zip order.
	type result struct {
		name    string
		info    *ContainerInfo
		err     error
		readErr bool
		digest  []byte
		leaf    leafPart
	}
	results := make([]result, len(a.Containers))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	linkHash := crypto.SHA512
	if l != nil {
		linkHash = l.Hash()
	}
	needDigest := l != nil || seen != nil
	for i, f := range a.Containers {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int, f *zip.File) {
			defer func() { <-sem; wg.Done() }()
			data, err := a.ReadContainer(f)
			if err != nil {
				results[i] = result{name: f.Name, err: err, readErr: true, leaf: leafPart{err: err}}
				return
			}
			r := result{name: f.Name}
			if needDigest {
				h := linkHash.New()
				h.Write(data)
				r.digest = h.Sum(nil)
			}
			r.info, r.err = v.Container(data)
			if acc != nil {
				r.leaf = v.leafOf(f.Name, data)
			}
			results[i] = r
		}(i, f)
		progress(int64(f.CompressedSize64))
	}
	wg.Wait()
	overlap := false
	for _, r := range results {
		if r.readErr {
			broken = true
			continue
		}
		if seen != nil {
			if other, ok := seen.add(r.digest, path); ok && !overlap {
				overlap = true
				fr.Problems = append(fr.Problems, &Problem{File: path, Container: r.name, Code: CodeOverlap,
					Message: fmt.Sprintf("container is also in %s: the archives overlap", filepath.Base(other))})
			}
		}
		if l != nil && !broken {
			if err := l.Next(r.name, r.digest); err != nil {
				fr.Problems = append(fr.Problems, problem(path, r.name, err))
				broken = true
			}
		}
	}
	warned := map[string]bool{}
	for _, r := range results {
		if acc != nil {
			if p := acc.add(path, r.name, r.leaf); p != nil {
				fr.Problems = append(fr.Problems, p)
			}
		}
		if r.err != nil {
			fr.Problems = append(fr.Problems, problem(path, r.name, r.err))
			continue
		}
		if n := len(fr.Signers); r.info.SignerID != "" && (n == 0 || fr.Signers[n-1] != r.info.SignerID) {
			fr.Signers = append(fr.Signers, r.info.SignerID)
		}
		for _, w := range r.info.Warnings {
			if !warned[w] {
				warned[w] = true
				fr.Warnings = append(fr.Warnings, w)
			}
		}
	}
	if broken {
		return ""
	}
	fr.LastDigest = l.Last()
	return fr.LastDigest
}

func problem(file, container string, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return &Problem{File: file, Container: container, Code: CodeOf(err), Message: err.Error(), Err: err}
}

// isZipWithLinkingInfo reports whether data is a zip holding linkinginfo.
func isZipWithLinkingInfo(data []byte) bool {
	return bytes.HasPrefix(data, []byte("PK")) && bytes.Contains(data, []byte(asic.EntryLinkingInfo))
}

// arch is an archive found by Paths: what chain ordering needs, without
// its contents (they are read again, streamed, when it is verified).
type arch struct {
	path, group string
	file        string // what to read: path, or its decryption
	prev, last  string // linkinginfo's prev digest and last line's digest, lower case
	rep         *FileReport
}

// scanArchive opens an archive file to read its linkinginfo ends.
func (v *Verifier) scanArchive(path, file, group string, fr *FileReport) (*arch, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &Problem{File: path, Code: CodeReadFile, Message: err.Error(), Err: err}
	}
	defer f.Close()
	a, err := asic.OpenArchive(f, fr.Bytes, v.opts.Limits)
	if err != nil {
		pr := problem(path, "", err)
		var head [4]byte
		if _, rerr := f.ReadAt(head[:], 0); rerr == nil && string(head[:]) == "PK\x03\x04" && strings.Contains(err.Error(), zip.ErrFormat.Error()) {
			pr = &Problem{File: path, Code: CodeTruncated, Err: err,
				Message: "archive is cut short (no zip central directory): copied while it was written, or damaged; take it again from the security server"}
		}
		return nil, pr
	}
	x := &arch{path: path, file: file, group: group, prev: strings.ToLower(a.Linking.PrevDigest), rep: fr}
	if e := a.Linking.Entries; len(e) > 0 {
		x.last = strings.ToLower(e[len(e)-1].Digest)
	}
	fr.PrevDigest = a.Linking.PrevDigest
	return x, nil
}

// archiveFile verifies one archive, streamed from its file.
func (v *Verifier) archiveFile(x *arch, prev string, first bool, progress func(int64), seen *overlapWindow, acc *treeAcc) string {
	f, err := os.Open(x.file)
	if err != nil {
		x.rep.Problems = append(x.rep.Problems, &Problem{File: x.path, Code: CodeReadFile, Message: err.Error(), Err: err})
		if acc != nil {
			acc.halt(CodeLeaf, x.path+": "+err.Error())
		}
		return ""
	}
	defer f.Close()
	a, err := asic.OpenArchive(f, x.rep.Bytes, v.opts.Limits)
	if err != nil {
		x.rep.Problems = append(x.rep.Problems, problem(x.path, "", err))
		if acc != nil {
			acc.flush()
			acc.halt(CodeLeaf, x.path+": "+err.Error())
		}
		return ""
	}
	return v.archive(x.path, a, x.rep, prev, first, progress, seen, acc)
}

// overlapWindowArchives is how many preceding archives of a chain a
// container is looked for in: re-archived (overlapping) containers sit in
// neighbouring archives, and a window keeps memory bounded whatever the
// number of archives.
const overlapWindowArchives = 8

// overlapWindow remembers the container digests of the last few archives.
type overlapWindow struct {
	n       int
	archs   []string
	digests []map[[16]byte]struct{}
}

func newOverlapWindow(n int) *overlapWindow { return &overlapWindow{n: n} }

// add records digest for archive path and reports another archive in the
// window holding the same container.
func (w *overlapWindow) add(digest []byte, path string) (string, bool) {
	var k [16]byte
	copy(k[:], digest)
	if len(w.archs) == 0 || w.archs[len(w.archs)-1] != path {
		if len(w.archs) == w.n {
			w.archs, w.digests = w.archs[1:], w.digests[1:]
		}
		w.archs = append(w.archs, path)
		w.digests = append(w.digests, map[[16]byte]struct{}{})
	}
	var other string
	for i := range w.archs[:len(w.archs)-1] {
		if _, ok := w.digests[i][k]; ok {
			other = w.archs[i]
		}
	}
	w.digests[len(w.digests)-1][k] = struct{}{}
	return other, other != ""
}
