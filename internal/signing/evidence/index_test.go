package evidence

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// statementLine is a statements.jsonl line as signBatch writes it, with
// a stand-in statement and signature (lookups do not verify them).
func statementLine(seq uint64) string {
	return fmt.Sprintf(`{"seq":%d,"statement":{"check":"c%d","seq":%d%s},"signature":"c2lnbmF0dXJl"}`+"\n", seq, seq, seq, linePad)
}

// linePad, when set, makes statementLine's lines as long as the
// gateway's (about 1 KiB) for benchmarks.
var linePad string

// writeStatements writes the lines of seqs, in that order, then tail.
func writeStatements(t testing.TB, dir string, seqs []uint64, tail string) {
	t.Helper()
	b := make([]byte, 0, len(seqs)*80+len(tail))
	for _, s := range seqs {
		b = append(b, statementLine(s)...)
	}
	b = append(b, tail...)
	if err := os.WriteFile(filepath.Join(dir, "statements.jsonl"), b, 0o640); err != nil {
		t.Fatal(err)
	}
}

func openAt(t testing.TB, dir string) *Log {
	t.Helper()
	signer, cert := certstest.Signing(t)
	l, err := Open(Options{Dir: dir, Origin: "test.example.kg/mlog", Signer: signer, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// checkLookups asserts that every seq of want is found with its own
// statement and every seq of missing is unknown.
func checkLookups(t *testing.T, l *Log, want []uint64, missing []uint64) {
	t.Helper()
	for _, seq := range want {
		r, check, err := l.receipt(seq, 0)
		if err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
		var st struct {
			Seq   uint64 `json:"seq"`
			Check string `json:"check"`
		}
		if err := json.Unmarshal(r.Statement, &st); err != nil || st.Seq != seq || st.Check != check || check != fmt.Sprint("c", seq) {
			t.Fatalf("seq %d: check %q, statement %s (%v)", seq, check, r.Statement, err)
		}
	}
	for _, seq := range missing {
		if _, _, err := l.receipt(seq, 0); !errors.Is(err, ErrUnknownRecord) {
			t.Fatalf("seq %d, never written: %v, want ErrUnknownRecord", seq, err)
		}
	}
}

// TestSparseIndexLookups: records are found across block boundaries
// however their seqs are ordered in statements.jsonl (shuffled within
// group commits, gaps, stragglers written far behind their neighbours),
// a torn last line is cut off and not found, and the lines Promise's
// batches write afterwards are found too once no longer held in pending.
func TestSparseIndexLookups(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var seqs, missing []uint64
	for s := uint64(1); s <= 1000; s++ {
		if s%7 == 0 {
			missing = append(missing, s)
		} else {
			seqs = append(seqs, s)
		}
	}
	// Group commits of 150 (more than a block) in arrival order.
	for i := 0; i < len(seqs); i += 150 {
		g := seqs[i:min(i+150, len(seqs))]
		rng.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
	}
	// Stragglers: the first record, one from the middle, written last.
	file := slices.Clone(seqs)
	for _, s := range []uint64{1, 500} {
		i := slices.Index(file, s)
		file = append(append(file[:i:i], file[i+1:]...), s)
	}
	writeStatements(t, dir, file, `{"seq":2000,"statem`)
	missing = append(missing, 0, 1001, 2000, 1<<63)

	l := openAt(t, dir)
	if fi, err := os.Stat(filepath.Join(dir, "statements.jsonl")); err != nil || fi.Size() != l.size {
		t.Fatalf("torn line not cut off: %v, size %d, want %d", err, fi.Size(), l.size)
	}
	if n := len(l.index.blocks); n != (len(file)+blockLines-1)/blockLines {
		t.Fatalf("%d index blocks for %d lines", n, len(file))
	}
	checkLookups(t, l, seqs, missing)

	// Through Promise: group commits of 100, each signed as a batch.
	var added []uint64
	for first := uint64(3000); first < 3300; first += 100 {
		recs := make([]msglog.EvidenceRecord, 0, 100)
		for s := first; s < first+100; s++ {
			added = append(added, s)
			recs = append(recs, msglog.EvidenceRecord{Seq: s, MessageXML: []byte("<m/>"),
				Record: &msglog.Record{Exchange: &msglog.Exchange{Check: fmt.Sprint("c", s)}}})
		}
		done := make(chan struct{})
		l.Promise(recs, func() { close(done) })
		<-done
	}
	l.mu.Lock()
	clear(l.pending) // so that lookups read the file
	l.mu.Unlock()
	checkLookups(t, l, append(seqs, added...), append(missing, 2999, 3300))
}

// manyStatements writes n statements, seqs shuffled within group commits
// of group, and returns them in file order.
func manyStatements(t testing.TB, dir string, n, group int) []uint64 {
	seqs := make([]uint64, n)
	for i := range seqs {
		seqs[i] = uint64(i + 1)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < n; i += group {
		g := seqs[i:min(i+group, n)]
		rng.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
	}
	writeStatements(t, dir, seqs, "")
	return seqs
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSparseIndexMemory: the heap a log of 200,000 statements keeps after
// Open (the index and everything else) stays under 1 byte per record,
// where the map it replaces — measured here the same way — takes
// dozens.
func TestSparseIndexMemory(t *testing.T) {
	const n = 200_000
	dir := t.TempDir()
	seqs := manyStatements(t, dir, n, 1000)
	before := heapAlloc()
	old := make(map[uint64]int64)
	var off int64
	for _, s := range seqs {
		old[s] = off
		off += int64(len(statementLine(s)))
	}
	mapped := heapAlloc() - before
	runtime.KeepAlive(old)
	old = nil
	before = heapAlloc()
	l := openAt(t, dir)
	kept := int64(heapAlloc()) - int64(before)
	runtime.KeepAlive(l)
	t.Logf("heap kept per record: map %.1f bytes, sparse index (all of Open) %.2f bytes; index blocks %d (%d bytes)",
		float64(mapped)/n, float64(kept)/n, len(l.index.blocks), cap(l.index.blocks)*40)
	if kept > n {
		t.Errorf("Open of %d statements keeps %d bytes of heap, want at most 1 per record", n, kept)
	}
	if mapped < 8*n {
		t.Errorf("the old map measured %d bytes for %d records: the measurement is off", mapped, n)
	}
	for _, s := range []uint64{1, n / 2, n, seqs[0], seqs[n-1], seqs[blockLines], seqs[blockLines-1]} {
		if _, _, err := l.receipt(s, 0); err != nil {
			t.Errorf("seq %d: %v", s, err)
		}
	}
	if _, _, err := l.receipt(n+1, 0); !errors.Is(err, ErrUnknownRecord) {
		t.Errorf("seq %d: %v, want ErrUnknownRecord", n+1, err)
	}
}

// BenchmarkLookup: reading a record's line from 200,000 statements with
// the sparse index, and with the map it replaced (offset, then the one
// line) as the baseline of the same run; lines in seq order (as
// signBatch writes them) and, as files written before it may be,
// shuffled within group commits of 50 and of 1000.
func BenchmarkLookup(b *testing.B) {
	n := 200_000
	for _, group := range []int{1, 50, 1000, -50} {
		name := fmt.Sprint("group=", group)
		linePad = ""
		if group < 0 { // 1 KiB lines, fewer of them
			group, n = -group, 20_000
			name = fmt.Sprintf("group=%d,1KiB", group)
			linePad = `,"pad":"` + strings.Repeat("x", 940) + `"`
		}
		dir := b.TempDir()
		seqs := manyStatements(b, dir, n, group)
		l := openAt(b, dir)
		old := make(map[uint64]int64, n)
		var off int64
		for _, s := range seqs {
			old[s] = off
			off += int64(len(statementLine(s)))
		}
		b.Run(name+"/sparse", func(b *testing.B) {
			var ln line
			for i := range b.N {
				seq := uint64(i*7919%n + 1)
				l.mu.Lock()
				sp := l.index.find(seq, l.size, make([]span, 0, 2))
				l.mu.Unlock()
				if ok, err := readSeq(l.f, seq, sp, &ln); !ok || err != nil || ln.Seq != seq {
					b.Fatal(seq, ok, err)
				}
			}
		})
		b.Run(name+"/map", func(b *testing.B) {
			var ln line
			buf := make([]byte, 4096)
			for i := range b.N {
				seq := uint64(i*7919%n + 1)
				l.mu.Lock()
				off, ok := old[seq]
				l.mu.Unlock()
				// What the replaced readLine did: read from the offset
				// up to the newline, decode the line.
				k, err := l.f.ReadAt(buf, off)
				if j := slices.Index(buf[:k], '\n'); !ok || j < 0 || json.Unmarshal(buf[:j], &ln) != nil || ln.Seq != seq {
					b.Fatal(seq, err)
				}
			}
		})
	}
}

// BenchmarkLoad: indexing 200,000 statements (groups of 50 shuffled) at
// Open, beside the replaced load (each line's seq JSON-decoded into a
// map) in the same run.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	manyStatements(b, dir, 200_000, 50)
	f, err := os.Open(filepath.Join(dir, "statements.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	// each calls add with every line's seq and offset, as load reads them.
	each := func(b *testing.B, seqOf func([]byte) (uint64, error), add func(uint64, int64)) {
		f.Seek(0, io.SeekStart)
		r := bufio.NewReaderSize(f, maxLine)
		var off int64
		for {
			ln, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			seq, err := seqOf(ln)
			if err != nil {
				b.Fatal(err)
			}
			add(seq, off)
			off += int64(len(ln))
		}
	}
	b.Run("sparse", func(b *testing.B) {
		for range b.N {
			var x sparseIndex
			each(b, lineSeq, x.add)
		}
	})
	b.Run("map", func(b *testing.B) {
		for range b.N {
			index := map[uint64]int64{}
			each(b, func(ln []byte) (uint64, error) {
				var v struct {
					Seq uint64 `json:"seq"`
				}
				err := json.Unmarshal(ln, &v)
				return v.Seq, err
			}, func(seq uint64, off int64) { index[seq] = off })
		}
	})
}
