package store_test

import (
	"context"
	"encoding/binary"
	"os"
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
