package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
	"github.com/tunduk-kg/tunduk/internal/testkit/closedloop"
)

func open(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func payload(i int) []byte {
	return []byte(fmt.Sprintf("record-%06d|%s", i, bytes.Repeat([]byte{'x'}, i%50)))
}

func collect(t *testing.T, s *store.Store, from uint64) map[uint64][]byte {
	t.Helper()
	got := map[uint64][]byte{}
	if err := s.Scan(from, func(seq uint64, p []byte) error {
		got[seq] = append([]byte(nil), p...)
		return nil
	}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return got
}

func TestAppendScanReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, store.Options{Dir: dir, SegmentSize: 512})
	ctx := context.Background()
	for i := 1; i <= 40; i++ {
		seq, err := s.Append(ctx, payload(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i) {
			t.Fatalf("seq = %d, want %d", seq, i)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) < 3 {
		t.Fatalf("want several segments with SegmentSize 512, got %d", len(segs))
	}
	s = open(t, store.Options{Dir: dir, SegmentSize: 512})
	defer s.Close()
	if s.LastSeq() != 40 {
		t.Fatalf("LastSeq after reopen = %d", s.LastSeq())
	}
	got := collect(t, s, 7)
	if len(got) != 34 {
		t.Fatalf("Scan(7) returned %d records, want 34", len(got))
	}
	for seq, p := range got {
		if !bytes.Equal(p, payload(int(seq))) {
			t.Fatalf("seq %d = %q", seq, p)
		}
	}
	seq, err := s.Append(ctx, payload(41))
	if err != nil || seq != 41 {
		t.Fatalf("append after reopen: %d %v", seq, err)
	}
}

func TestConcurrentAppendsShareFsync(t *testing.T) {
	s := open(t, store.Options{Dir: t.TempDir()})
	defer s.Close()
	const workers, each = 64, 50
	var wg sync.WaitGroup
	seen := make([][]uint64, workers)
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
				seen[w] = append(seen[w], seq)
			}
		}()
	}
	wg.Wait()
	all := map[uint64]bool{}
	for _, l := range seen {
		for _, q := range l {
			if all[q] {
				t.Fatalf("seq %d assigned twice", q)
			}
			all[q] = true
		}
	}
	if len(all) != workers*each || s.LastSeq() != workers*each {
		t.Fatalf("got %d distinct seqs, LastSeq %d", len(all), s.LastSeq())
	}
	groups, records := s.Stats()
	if groups >= records {
		t.Fatalf("no group commit: %d fsync groups for %d records", groups, records)
	}
	t.Logf("group commit: %d records in %d fsyncs (%.1f per fsync)", records, groups, float64(records)/float64(groups))
}

// TestGroupWindowSharesFsyncs: with the flush itself instant (so nothing
// queues behind a slow fsync and sharing cannot happen by chance), the
// group-commit window still makes concurrent appends share fsyncs; with the
// window off they mostly do not. Every Append returns only after the fsync
// that covers its record (checked against the count of completed fsyncs).
func TestGroupWindowSharesFsyncs(t *testing.T) {
	run := func(window time.Duration) (records, fsyncs int64) {
		var synced atomic.Int64
		var mu sync.Mutex
		var covered uint64 // highest seq written before a finished fsync began
		s := open(t, store.WithSync(store.Options{Dir: t.TempDir(), GroupWindow: window}, func(f *os.File) error {
			from := lastFrame(t, f.Name())
			err := store.Fdatasync(f)
			synced.Add(1)
			mu.Lock()
			covered = max(covered, from)
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
					before := synced.Load()
					seq, err := s.Append(context.Background(), payload(w*each+i))
					if err != nil {
						t.Error(err)
						return
					}
					if synced.Load() == before {
						t.Errorf("seq %d acknowledged before any fsync after it was appended", seq)
					}
					mu.Lock()
					c := covered
					mu.Unlock()
					if c < seq {
						t.Errorf("seq %d acknowledged; finished fsyncs cover up to %d", seq, c)
					}
				}
			}()
		}
		wg.Wait()
		if got := s.LastSeq(); got != workers*each {
			t.Fatalf("LastSeq %d, want %d", got, workers*each)
		}
		return workers * each, synced.Load()
	}
	recs, withWindow := run(2 * time.Millisecond)
	_, without := run(-1)
	t.Logf("%d records: %d fsyncs with a 2ms window (%.1f per fsync), %d without (%.1f per fsync)",
		recs, withWindow, float64(recs)/float64(withWindow), without, float64(recs)/float64(without))
	if withWindow*4 > recs {
		t.Errorf("group commit: %d fsyncs for %d concurrent records; want at most a quarter", withWindow, recs)
	}
}

// TestLoneAppendPaysNoWindow: at a low rate the writer does not hold a
// group open, so one append's latency is not the window.
func TestLoneAppendPaysNoWindow(t *testing.T) {
	s := open(t, store.WithSync(store.Options{Dir: t.TempDir(), GroupWindow: 200 * time.Millisecond}, func(*os.File) error { return nil }))
	defer s.Close()
	for i := 0; i < 3; i++ {
		time.Sleep(20 * time.Millisecond)
		t0 := time.Now()
		if _, err := s.Append(context.Background(), payload(i)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d >= 200*time.Millisecond {
			t.Fatalf("a lone append took %v: it waited for the group window", d)
		}
	}
}

// TestBackpressure: a full queue makes Append wait for room; when the
// writer cannot take the record within QueueWait it fails with
// ErrBackpressure, and nothing unacknowledged is counted as durable.
func TestBackpressure(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	s := open(t, store.WithSync(store.Options{Dir: t.TempDir(), QueueSize: 1, QueueWait: 20 * time.Millisecond, GroupWindow: -1},
		func(*os.File) error {
			if slow.Load() {
				time.Sleep(200 * time.Millisecond)
			}
			return nil
		}))
	defer s.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var pressured, ok int
	// One append first, so the writer is in its 50ms fsync when the
	// others arrive: one of them fits the queue, the rest wait 20ms in vain.
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := s.Append(context.Background(), payload(100)); err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		ok++
		mu.Unlock()
	}()
	time.Sleep(30 * time.Millisecond)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(context.Background(), payload(i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, store.ErrBackpressure):
				pressured++
			case err == nil:
				ok++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if pressured == 0 || ok == 0 {
		t.Fatalf("with a queue of 1, 200ms fsyncs and 20ms of patience want both successes and backpressure; ok=%d pressured=%d", ok, pressured)
	}
	if s.LastSeq() != uint64(ok) {
		t.Fatalf("LastSeq %d but %d appends acknowledged", s.LastSeq(), ok)
	}
}

// TestFullQueueWaits: with enough patience, appends beyond the queue's
// size wait for room instead of failing.
func TestFullQueueWaits(t *testing.T) {
	s := open(t, store.WithSync(store.Options{Dir: t.TempDir(), QueueSize: 1, QueueWait: 10 * time.Second},
		func(*os.File) error { time.Sleep(2 * time.Millisecond); return nil }))
	defer s.Close()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Append(context.Background(), payload(i)); err != nil {
				t.Errorf("append %d: %v (a full queue must make it wait, not fail)", i, err)
			}
		}()
	}
	wg.Wait()
	if s.LastSeq() != 50 {
		t.Fatalf("LastSeq %d, want 50", s.LastSeq())
	}
}

// TestFullQueueContextEnds: the caller's deadline ends the wait with
// ErrBackpressure.
func TestFullQueueContextEnds(t *testing.T) {
	release := make(chan struct{})
	s := open(t, store.WithSync(store.Options{Dir: t.TempDir(), QueueSize: 1, QueueWait: time.Minute, GroupWindow: -1},
		func(*os.File) error { <-release; return nil }))
	defer s.Close()
	defer close(release)
	for i := 0; i < 2; i++ { // one in the writer's fsync, then one in the queue
		go s.Append(context.Background(), payload(i)) //nolint:errcheck
		time.Sleep(30 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := s.Append(ctx, payload(3))
	if !errors.Is(err, store.ErrBackpressure) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrBackpressure and DeadlineExceeded", err)
	}
}

// tenRecords writes payloads 1 to 10 to a closed store and returns its
// directory and the segment holding them.
func tenRecords(t *testing.T) (dir, seg string) {
	t.Helper()
	dir = t.TempDir()
	s := open(t, store.Options{Dir: dir})
	for i := 1; i <= 10; i++ {
		if _, err := s.Append(context.Background(), payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) == 0 {
		t.Fatal("no segments")
	}
	return dir, segs[len(segs)-1]
}

func TestTornTailTruncated(t *testing.T) {
	dir, seg := tenRecords(t)
	good, _ := os.ReadFile(seg)
	for name, tail := range map[string][]byte{
		"partial header":  {0, 0, 0, 9, 1, 2},
		"partial payload": append([]byte{0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11}, "half a rec"...),
		"zeros":           make([]byte, 4096),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(seg, append(append([]byte(nil), good...), tail...), 0o640); err != nil {
				t.Fatal(err)
			}
			s := open(t, store.Options{Dir: dir})
			if s.LastSeq() != 10 {
				t.Errorf("LastSeq = %d, want 10", s.LastSeq())
			}
			seq, err := s.Append(context.Background(), payload(11))
			if err != nil || seq != 11 {
				t.Errorf("append after recovery: %d %v", seq, err)
			}
			got := collect(t, s, 1)
			if len(got) != 11 || !bytes.Equal(got[11], payload(11)) {
				t.Errorf("after recovery and append: %d records", len(got))
			}
			s.Close()
			os.WriteFile(seg, good, 0o640)
		})
	}
}

func TestCorruptionBeforeTailRefused(t *testing.T) {
	dir, seg := tenRecords(t)
	data, _ := os.ReadFile(seg)
	data[40] ^= 0x01 // inside record 2's frame; records 3..10 follow intact
	os.WriteFile(seg, data, 0o640)
	_, err := store.Open(store.Options{Dir: dir})
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Open on a segment damaged before valid records: err = %v, want ErrCorrupt", err)
	}
}

func TestLockedAndRelease(t *testing.T) {
	dir := t.TempDir()
	s := open(t, store.Options{Dir: dir, SegmentSize: 256})
	defer s.Close()
	if _, err := store.Open(store.Options{Dir: dir}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	for i := 1; i <= 30; i++ {
		if _, err := s.Append(context.Background(), payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Release(20); err != nil {
		t.Fatal(err)
	}
	first := s.FirstSeq()
	if first > 20 || first == 1 {
		t.Fatalf("FirstSeq after Release(20) = %d; want some segments dropped but none holding seq ≥ 20", first)
	}
	got := collect(t, s, 1)
	if _, ok := got[first]; !ok || len(got) != int(30-first+1) {
		t.Fatalf("after release: %d records from %d", len(got), first)
	}
}

// BenchmarkConcurrentAppend: 32 appenders in a closed loop (as 32 checks
// in flight) on the real disk, with the group-commit window off and at its
// default; reports appends per fsync beside the time per append.
func BenchmarkConcurrentAppend(b *testing.B) {
	for _, w := range []struct {
		name   string
		window time.Duration
	}{{"window=off", -1}, {"window=1ms", store.DefaultGroupWindow}} {
		b.Run(w.name, func(b *testing.B) {
			s := open(b, store.Options{Dir: b.TempDir(), GroupWindow: w.window})
			defer s.Close()
			p := bytes.Repeat([]byte{'x'}, 4096)
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Append(context.Background(), p); err != nil {
						b.Error(err)
						return
					}
				}
			})
			groups, records := s.Stats()
			b.ReportMetric(float64(records)/float64(groups), "appends/fsync")
		})
	}
}

// BenchmarkGroupCommit measures the journal alone under the closed-loop
// loads of msglog's BenchmarkSustained (64 and 256 callers, each waiting
// for its fsync before appending again) with records of that benchmark's
// size (two 1 KiB bodies and their metadata, ~2.4 KiB), the shipped window
// and the real disk: the rate the log's appends cannot exceed whatever
// sealing and archiving cost.
//
//	appends/s                 appends acknowledged per second
//	appends/fsync             appends that shared each fsync
//	append_p50_ms, append_p99_ms   an Append's time
func BenchmarkGroupCommit(b *testing.B) {
	for _, callers := range []int{64, 256} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s := open(b, store.Options{Dir: b.TempDir()})
			defer s.Close()
			p := bytes.Repeat([]byte{'x'}, 2400)
			n := max(b.N, 20000)
			b.ResetTimer()
			res, err := closedloop.Run(callers, n, func(int) error {
				_, err := s.Append(context.Background(), p)
				return err
			})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			groups, records := s.Stats()
			b.ReportMetric(res.Rate(), "appends/s")
			b.ReportMetric(float64(records)/float64(groups), "appends/fsync")
			b.ReportMetric(float64(res.Quantile(0.5).Microseconds())/1000, "append_p50_ms")
			b.ReportMetric(float64(res.Quantile(0.99).Microseconds())/1000, "append_p99_ms")
		})
	}
}

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

// TestOnDurableHold: a group whose OnDurable calls hold keeps its Appends
// waiting after the hook returns, until the release it got is called,
// while the writer goes on with the next groups (their Appends return);
// a group that does not hold returns at once. A second release panics.
func TestOnDurableHold(t *testing.T) {
	releases := make(chan func(), 4)
	s := open(t, store.WithSync(store.Options{Dir: t.TempDir(), GroupWindow: -1,
		OnDurable: func(first uint64, payloads [][]byte, tags []any, hold func() func()) {
			if tags[0] == "hold" {
				releases <- hold()
			}
		}}, func(*os.File) error { return nil }))
	defer s.Close()
	held := make(chan error, 1)
	go func() {
		_, err := s.AppendTagged(context.Background(), payload(1), "hold")
		held <- err
	}()
	var release func()
	select {
	case release = <-releases:
	case <-time.After(10 * time.Second):
		t.Fatal("OnDurable never held the group")
	}
	// The writer is free: a later append, not held, returns while the
	// first is still held.
	if _, err := s.AppendTagged(context.Background(), payload(2), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-held:
		t.Fatalf("a held append returned before its release: %v", err)
	default:
	}
	release()
	select {
	case err := <-held:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the held append did not return after its release")
	}
	defer func() {
		if recover() == nil {
			t.Error("a second release did not panic")
		}
	}()
	release()
}
