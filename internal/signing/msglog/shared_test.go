package msglog_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// memShared is an in-memory msglog.SharedStore whose lease can be made to
// lose the answer of a commit that happened (a connection broken during
// COMMIT), which a real database does only by accident.
type memShared struct {
	mu      sync.Mutex
	entries [][]byte // entries[i] has seq first+i
	first   uint64
	state   []byte
	held    bool
	// loseStateAnswer makes the next SaveState commit and fail.
	loseStateAnswer bool
}

func (m *memShared) Append(_ context.Context, p []byte) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, append([]byte(nil), p...))
	return m.first + uint64(len(m.entries)) - 1, nil
}

func (m *memShared) Scan(from uint64, fn func(uint64, []byte) error) error {
	m.mu.Lock()
	es, first := append([][]byte(nil), m.entries...), m.first
	m.mu.Unlock()
	for i, e := range es {
		if seq := first + uint64(i); seq >= from {
			if err := fn(seq, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memShared) Release(seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.first < seq && len(m.entries) > 0 {
		m.entries, m.first = m.entries[1:], m.first+1
	}
	return nil
}

func (m *memShared) LastSeq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.first + uint64(len(m.entries)) - 1
}
func (m *memShared) FirstSeq() uint64        { m.mu.Lock(); defer m.mu.Unlock(); return m.first }
func (m *memShared) Stats() (uint64, uint64) { return 0, 0 }
func (m *memShared) Close() error            { return nil }
func (m *memShared) Lead(context.Context) (msglog.Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held {
		return nil, nil
	}
	m.held = true
	return &memLease{m: m, lost: make(chan struct{})}, nil
}

type memLease struct {
	m    *memShared
	once sync.Once
	lost chan struct{}
}

func (l *memLease) ok() error {
	select {
	case <-l.lost:
		return errors.New("lease lost")
	default:
		return nil
	}
}

func (l *memLease) Append(ctx context.Context, p []byte) (uint64, error) {
	if err := l.ok(); err != nil {
		return 0, err
	}
	return l.m.Append(ctx, p)
}

func (l *memLease) State(context.Context) ([]byte, error) {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	return l.m.state, nil
}

func (l *memLease) SaveState(_ context.Context, st []byte) error {
	if err := l.ok(); err != nil {
		return err
	}
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	l.m.state = append([]byte(nil), st...)
	if l.m.loseStateAnswer {
		l.m.loseStateAnswer = false
		return errors.New("connection reset during COMMIT")
	}
	return nil
}

func (l *memLease) Lost() <-chan struct{} { return l.lost }
func (l *memLease) ID() string            { return "mem" }
func (l *memLease) Release() error {
	l.once.Do(func() {
		close(l.lost)
		l.m.mu.Lock()
		l.m.held = false
		l.m.mu.Unlock()
	})
	return nil
}

// A rotation whose state commit happened but whose answer was lost must
// not lose the archives that state names: the sealer gives up its lease
// and leaves its parts, the instance goes away, the next sealer renames
// the parts the committed state names, and the chain stays whole with
// every record once.
func TestSharedRotationWithALostCommitAnswer(t *testing.T) {
	dir := t.TempDir()
	store := &memShared{first: 1}
	reg := prometheus.NewRegistry()
	l := openLog(t, dir, func(o *msglog.Options) { o.Shared, o.Dir, o.Registerer = store, "", reg })
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		for i := 0; i < 10; i++ {
			if _, err := l.Append(ctx, exchange(round*10+i, "central-server/GOV/70000001/portal")); err != nil {
				t.Fatal(err)
			}
		}
		if round == 1 {
			// Wait until this instance seals, then lose the answer of
			// its rotation's commit; the instance then goes away and
			// another one continues from what the store holds.
			for !sealer(t, reg) {
				time.Sleep(10 * time.Millisecond)
			}
			store.mu.Lock()
			store.loseStateAnswer = true
			store.mu.Unlock()
			if err := l.Rotate(ctx); err == nil {
				t.Fatal("rotation with a lost commit answer reported success")
			}
			l.Close()
			reg = prometheus.NewRegistry()
			l = openLog(t, dir, func(o *msglog.Options) { o.Shared, o.Dir, o.Registerer = store, "", reg })
		}
		// Wait for the (re)taken lease and pending records to be sealed.
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := l.Rotate(ctx)
			if err == nil && archivedRecords(t, filepath.Join(dir, "archive")) == (round+1)*10 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d records archived (last error %v)", round, archivedRecords(t, filepath.Join(dir, "archive")), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	l.Close()
	rep, err := verify.New(verify.Options{}).Paths([]string{filepath.Join(dir, "archive")}, verify.ChainOptions{First: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || rep.Containers != 60 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("valid=%v containers=%d, want one valid chain of 60:\n%s", rep.Valid(), rep.Containers, b.String())
	}
}

// sealer reads tunduk_msglog_sealer.
func sealer(t *testing.T, reg *prometheus.Registry) bool {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "tunduk_msglog_sealer" {
			return mf.GetMetric()[0].GetGauge().GetValue() == 1
		}
	}
	return false
}

// archivedRecords counts the distinct records in the archives under root.
func archivedRecords(t *testing.T, root string) int {
	t.Helper()
	archives, err := msglog.ListArchives(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for _, a := range archives {
		err := msglog.ReadArchive(a.Path, nil, func(name string, _ []byte, _ *msglog.Record) error {
			if seq, ok := msglog.SeqOfEntry(name); ok {
				seen[seq] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return len(seen)
}
