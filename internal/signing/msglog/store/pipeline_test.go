package store_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
)

// lastFrame is the seq of the last whole frame in the segment file at
// path (0 when it holds none): what an fsync starting now covers.
func lastFrame(t testing.TB, path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return 0
	}
	var seq uint64
	for len(b) >= 16 {
		n := int(binary.BigEndian.Uint32(b[0:4]))
		if len(b) < 16+n {
			break
		}
		seq = binary.BigEndian.Uint64(b[8:16])
		b = b[16+n:]
	}
	return seq
}

func segmentPath(t testing.TB, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil || len(m) != 1 {
		t.Fatalf("segments in %s: %v, %v; want one", dir, m, err)
	}
	return m[0]
}

// TestWriteOverlapsFsync: while one group's fsync is blocked, the writer
// already writes the next group, and that group's Append waits for an
// fsync that begins after its write.
func TestWriteOverlapsFsync(t *testing.T) {
	dir := t.TempDir()
	release := make(chan struct{})
	var syncs atomic.Int64
	var covered atomic.Uint64 // seq the last finished fsync covered when it began
	s := open(t, store.WithSync(store.Options{Dir: dir, GroupWindow: -1}, func(f *os.File) error {
		from := lastFrame(t, f.Name())
		if syncs.Add(1) == 1 {
			<-release
		}
		err := store.Fdatasync(f)
		covered.Store(from)
		return err
	}))
	defer s.Close()
	seg := segmentPath(t, dir)
	first := make(chan uint64)
	go func() {
		seq, err := s.Append(context.Background(), payload(1))
		if err != nil {
			t.Error(err)
		}
		first <- seq
	}()
	for syncs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan uint64)
	go func() {
		seq, err := s.Append(context.Background(), payload(2))
		if err != nil {
			t.Error(err)
		}
		second <- seq
	}()
	deadline := time.Now().Add(10 * time.Second)
	for lastFrame(t, seg) < 2 {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the second record was not written while the first fsync was blocked")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case seq := <-second:
		t.Fatalf("seq %d acknowledged while the only fsync, begun before its write, is blocked", seq)
	case <-first:
		t.Fatal("first append acknowledged before its fsync finished")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if seq := <-first; seq != 1 {
		t.Fatalf("first seq %d", seq)
	}
	if seq := <-second; seq != 2 || covered.Load() < 2 {
		t.Fatalf("second seq %d acknowledged with fsyncs covering up to %d", seq, covered.Load())
	}
	if n := syncs.Load(); n != 2 {
		t.Fatalf("%d fsyncs, want 2 (the blocked one, then one covering the second)", n)
	}
}

// TestAckOnlyDurable: under concurrency, every Append returns only after
// an fsync that began once its record was written has finished.
func TestAckOnlyDurable(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var durable uint64 // highest seq covered by a finished fsync
	var syncs atomic.Int64
	s := open(t, store.WithSync(store.Options{Dir: dir, GroupWindow: 200 * time.Microsecond}, func(f *os.File) error {
		from := lastFrame(t, f.Name())
		err := store.Fdatasync(f)
		syncs.Add(1)
		mu.Lock()
		durable = max(durable, from)
		mu.Unlock()
		return err
	}))
	defer s.Close()
	const workers, each = 32, 40
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				seq, err := s.Append(context.Background(), payload(w*each+i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				d := durable
				mu.Unlock()
				if d < seq {
					t.Errorf("seq %d acknowledged; finished fsyncs cover up to %d", seq, d)
				}
			}
		}()
	}
	wg.Wait()
	if got := s.LastSeq(); got != workers*each {
		t.Fatalf("LastSeq %d, want %d", got, workers*each)
	}
	t.Logf("%d records, %d fsyncs", workers*each, syncs.Load())
}
