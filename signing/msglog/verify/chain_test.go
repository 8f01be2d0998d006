package verify_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/tombstone"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// codes returns every problem code of the report, by file base name.
func codes(rep *verify.Report) map[string][]string {
	out := map[string][]string{}
	for _, f := range rep.Files {
		for _, p := range f.Problems {
			out[filepath.Base(f.Path)] = append(out[filepath.Base(f.Path)], p.Code)
		}
	}
	return out
}

func has(rep *verify.Report, file, code string) bool {
	for _, c := range codes(rep)[filepath.Base(file)] {
		if c == code {
			return true
		}
	}
	return false
}

func dump(rep *verify.Report) string {
	var b bytes.Buffer
	rep.WriteText(&b)
	return b.String()
}

// TestChainIntegrity: each way a set of archives can misrepresent the log
// is an error with its own code; tombstones and --prev anchor a chain.
func TestChainIntegrity(t *testing.T) {
	p := newPKI(t, false)
	t0 := p.now
	mkChain := func(dir string, n int, prev string) (paths, lasts []string) {
		for i := 0; i < n; i++ {
			c := writeBatch(t, p, messages(3, 200, dir+string(rune('a'+i))), false)
			path, last := writeArchive(t, dir, c, prev, "", t0.Add(time.Duration(i)*time.Hour))
			paths, lasts = append(paths, path), append(lasts, last)
			prev = last
		}
		return paths, lasts
	}
	v := verify.New(verify.Options{})

	t.Run("valid chain with -f", func(t *testing.T) {
		dir := t.TempDir()
		mkChain(dir, 3, "")
		if rep, _ := v.Paths([]string{dir}, verify.ChainOptions{First: true}); !rep.Valid() {
			t.Fatal(dump(rep))
		}
	})
	t.Run("duplicate: the same file twice and a copy", func(t *testing.T) {
		dir := t.TempDir()
		paths, _ := mkChain(dir, 1, "")
		rep, _ := v.Paths([]string{paths[0], paths[0]}, verify.ChainOptions{First: true})
		if rep.Valid() || !has(rep, paths[0], verify.CodeDuplicate) {
			t.Fatalf("-f A.zip A.zip:\n%s", dump(rep))
		}
		cp := filepath.Join(dir, "copy-"+filepath.Base(paths[0]))
		b, _ := os.ReadFile(paths[0])
		os.WriteFile(cp, b, 0o600)
		rep, _ = v.Paths([]string{paths[0], cp}, verify.ChainOptions{First: true})
		if !has(rep, cp, verify.CodeDuplicate) {
			t.Fatalf("one archive under two names:\n%s", dump(rep))
		}
	})
	t.Run("overlap: a container in two archives", func(t *testing.T) {
		dir := t.TempDir()
		c := writeBatch(t, p, messages(4, 200, "ov"), false)
		a1, l1 := writeArchive(t, dir, c[:3], "", "", t0)
		a2, _ := writeArchive(t, dir, c[2:], l1, "", t0.Add(time.Hour))
		rep, _ := v.Paths([]string{dir}, verify.ChainOptions{First: true})
		if !has(rep, a2, verify.CodeOverlap) || has(rep, a1, verify.CodeOverlap) {
			t.Fatalf("overlap:\n%s", dump(rep))
		}
	})
	t.Run("second chain start in a group", func(t *testing.T) {
		dir := t.TempDir()
		mkChain(dir, 2, "")
		p2, _ := mkChain(dir, 1, "") // the log restarted
		rep, _ := v.Paths([]string{dir}, verify.ChainOptions{First: true})
		n := 0
		for _, cs := range codes(rep) {
			for _, c := range cs {
				if c == verify.CodeSecondStart {
					n++
				}
			}
		}
		if n != 1 {
			t.Fatalf("want one SecondStart (got %d), %s:\n%s", n, p2[0], dump(rep))
		}
		// In two groups (directories), two starts are fine.
		d1, d2 := t.TempDir(), t.TempDir()
		mkChain(d1, 1, "")
		mkChain(d2, 1, "")
		if rep, _ := v.Paths([]string{d1, d2}, verify.ChainOptions{First: true}); !rep.Valid() {
			t.Fatalf("one start per group:\n%s", dump(rep))
		}
	})
	t.Run("gap", func(t *testing.T) {
		dir := t.TempDir()
		paths, lasts := mkChain(dir, 3, "")
		os.Remove(paths[1])
		rep, _ := v.Paths([]string{paths[2]}, verify.ChainOptions{Prev: lasts[1]})
		if !rep.Valid() {
			t.Fatalf("the third archive anchored by --prev is valid:\n%s", dump(rep))
		}
		rep, _ = v.Paths([]string{dir}, verify.ChainOptions{First: true})
		if rep.Valid() {
			t.Fatalf("gap not found:\n%s", dump(rep))
		}
		if rep, _ = v.Paths([]string{paths[0], paths[2]}, verify.ChainOptions{First: true}); rep.Valid() {
			t.Fatalf("gap not found:\n%s", dump(rep))
		}
	})
	t.Run("ChainProblems agrees with Paths from linkinginfo alone", func(t *testing.T) {
		dir := t.TempDir()
		paths, _ := mkChain(dir, 4, "")
		os.Remove(paths[1])
		var links []verify.Link
		for _, p := range []string{paths[3], paths[0], paths[2]} { // any order
			l, err := verify.ReadLink(p, asic.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			links = append(links, l)
		}
		probs := verify.ChainProblems(dir, links, verify.ChainOptions{}, nil)
		var gaps []string
		for _, pr := range probs {
			if pr.Code == verify.CodeGap {
				gaps = append(gaps, pr.File)
			}
		}
		if len(gaps) != 1 || gaps[0] != paths[2] {
			t.Fatalf("gaps %v, want just %s; problems %v", gaps, paths[2], probs)
		}
		rep, _ := v.Paths([]string{dir}, verify.ChainOptions{})
		if !has(rep, paths[2], verify.CodeGap) || has(rep, paths[3], verify.CodeGap) {
			t.Fatalf("Paths disagrees:\n%s", dump(rep))
		}
		// Put back the missing archive: no gap.
		l, err := verify.ReadLink(paths[0], asic.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		links = append(links, verify.Link{Path: paths[1], Prev: l.Last, Last: links[2].Prev})
		for _, pr := range verify.ChainProblems(dir, links, verify.ChainOptions{First: true}, nil) {
			t.Errorf("complete chain: %v", pr)
		}
	})
	t.Run("truncated last archive", func(t *testing.T) {
		dir := t.TempDir()
		paths, _ := mkChain(dir, 2, "")
		b, _ := os.ReadFile(paths[1])
		os.WriteFile(paths[1], b[:len(b)/2], 0o600)
		rep, _ := v.Paths([]string{dir}, verify.ChainOptions{First: true})
		if !has(rep, paths[1], verify.CodeTruncated) {
			t.Fatalf("truncated:\n%s", dump(rep))
		}
	})
	t.Run("unanchored start", func(t *testing.T) {
		dir := t.TempDir()
		paths, lasts := mkChain(dir, 2, "")
		rep, _ := v.Paths([]string{paths[1]}, verify.ChainOptions{})
		if !has(rep, paths[1], verify.CodeUnanchored) {
			t.Fatalf("mid-chain archive without -f/--prev:\n%s", dump(rep))
		}
		rep, _ = v.Paths([]string{paths[0]}, verify.ChainOptions{})
		if !has(rep, paths[0], verify.CodeUnanchored) {
			t.Fatalf("chain start without -f:\n%s", dump(rep))
		}
		// A retention tombstone of the first archive anchors the second.
		os.Remove(paths[0])
		ts := &tombstone.Tombstone{Archive: filepath.Base(paths[0]), PrevDigest: "-", PrevArchive: "-", LastDigest: lasts[0],
			Containers: 3, FileSHA512: "00", Retention: "3y", Removed: time.Now()}
		tc, err := tombstone.Build(ts, p.signer, p.cert, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, ts.Name()), tc, 0o600)
		rep, _ = v.Paths([]string{dir}, verify.ChainOptions{})
		if !rep.Valid() {
			t.Fatalf("tombstone does not anchor the chain:\n%s", dump(rep))
		}
		// A tombstone whose signature is broken anchors nothing.
		orig, err := asic.Read(tc, asic.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		forged := bytes.Replace(orig.Message, []byte("<containers>3<"), []byte("<containers>4<"), 1)
		bad, err := asic.Build(asic.ContainerInput{Message: forged, Signature: orig.Signature})
		if err != nil || bytes.Equal(forged, orig.Message) {
			t.Fatalf("forging: %v", err)
		}
		os.WriteFile(filepath.Join(dir, ts.Name()), bad, 0o600)
		if rep, _ = v.Paths([]string{dir}, verify.ChainOptions{}); rep.Valid() {
			t.Fatalf("a forged tombstone anchored the chain:\n%s", dump(rep))
		}
	})
	t.Run("signing certificate change is reported", func(t *testing.T) {
		dir := t.TempDir()
		_, lasts := mkChain(dir, 1, "")
		q := newPKI(t, false)
		c := writeBatch(t, q, messages(2, 200, "newkey"), false)
		a2, _ := writeArchive(t, dir, c, lasts[0], "", t0.Add(time.Hour))
		rep, _ := v.Paths([]string{dir}, verify.ChainOptions{First: true})
		found := false
		for _, f := range rep.Files {
			if f.Path == a2 && strings.Contains(strings.Join(f.Warnings, "\n"), "signing certificate changed") {
				found = true
			}
		}
		if !rep.Valid() || !found {
			t.Fatalf("certificate change not reported:\n%s", dump(rep))
		}
	})
}
