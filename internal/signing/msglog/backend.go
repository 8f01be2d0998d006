package msglog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
)

// Store is the durable record store a Log writes through: the journal in
// Options.Dir (package store, one process) or a store several processes
// share (Options.Shared; package pgstore). It holds records and batch
// seals in one sequence; Append returns a durably assigned sequence number
// or an error, and Scan sees every durable entry in sequence order with no
// gap below LastSeq that a later Scan could fill.
type Store interface {
	Append(ctx context.Context, payload []byte) (uint64, error)
	Scan(from uint64, fn func(seq uint64, payload []byte) error) error
	// Release drops entries below seq once they are archived.
	Release(seq uint64) error
	LastSeq() uint64
	FirstSeq() uint64
	// Stats reports commits (fsyncs) and records since Open.
	Stats() (groups, records uint64)
	Close() error
}

// SharedStore is a Store that several processes (several gateways) append
// to at once. Exactly one of them seals batches and rotates archives: the
// one holding the store's Lease. The sealing state (what the next rotation
// scans from, each group's chain head) lives in the store, not in a local
// file, so that whichever process leads next continues the same hash and
// archive chains.
type SharedStore interface {
	Store
	// Lead tries, without waiting, to make this process the sealer. It
	// returns a nil Lease and no error when another process holds it.
	Lead(ctx context.Context) (Lease, error)
}

// Lease is held by the one process that seals and rotates a SharedStore.
// Its writes are fenced: once the lease is lost (the process was cut off
// and another took over), Append and SaveState fail, so a deposed sealer
// can never store a second seal for a batch or move a chain head.
type Lease interface {
	// Append stores a batch seal.
	Append(ctx context.Context, payload []byte) (uint64, error)
	// State returns the sealing state last saved (nil before the first).
	State(ctx context.Context) ([]byte, error)
	// SaveState replaces the sealing state; a rotation commits with it.
	SaveState(ctx context.Context, state []byte) error
	// Lost is closed once the lease is gone.
	Lost() <-chan struct{}
	// ID is unique to this lease; it names the lease's archive part files.
	ID() string
	// Release gives the lease up.
	Release() error
}

// sharedPartPrefix starts the name of every in-progress archive of a
// shared store; a lease's own parts add its ID.
const sharedPartPrefix = ".rotating-shared-"

// leading reports whether this Log seals and rotates: always with the
// journal in Dir, only while holding the lease with a shared store.
// Callers hold sealMu or rotateMu.
func (l *Log) leading() bool {
	if l.opts.Shared == nil {
		return true
	}
	if l.lease == nil {
		return false
	}
	select {
	case <-l.lease.Lost():
		return false
	default:
		return true
	}
}

// lead keeps leadership of a shared store current: it steps down when the
// lease was lost and tries to take it when nobody holds it. Taking it
// loads the sealing state from the store, finishes or discards the
// previous sealer's interrupted rotation and rebuilds pending from the
// store. It returns whether this Log now leads.
func (l *Log) lead(ctx context.Context) bool {
	l.sealMu.Lock()
	defer l.sealMu.Unlock()
	l.rotateMu.Lock()
	defer l.rotateMu.Unlock()
	if l.lease != nil && !l.leading() {
		l.opts.Logger.Warn("msglog: lost the sealer lease; another instance seals and rotates now")
		l.stepDown()
	}
	if l.lease != nil {
		return true
	}
	// Each try is a connection: at most one a second.
	now := time.Now()
	if now.Before(l.nextLeadTry) {
		return false
	}
	l.nextLeadTry = now.Add(time.Second)
	lease, err := l.opts.Shared.Lead(ctx)
	if err != nil {
		l.opts.Logger.Warn("msglog: could not try the sealer lease; will retry", zap.Error(err))
		return false
	}
	if lease == nil {
		return false
	}
	if err := l.takeOver(ctx, lease); err != nil {
		l.opts.Logger.Error("msglog: taking over sealing failed; will retry", zap.Error(err))
		_ = lease.Release()
		l.stepDown()
		return false
	}
	l.opts.Logger.Info("msglog: this instance seals and rotates the shared log", zap.String("lease", lease.ID()),
		zap.Uint64("scanFrom", l.state.ScanFrom), zap.Int("pending", len(l.pending)))
	return true
}

func (l *Log) stepDown() {
	if l.lease != nil {
		_ = l.lease.Release()
	}
	l.lease, l.state = nil, nil
	l.sealer.Store(false)
	l.mu.Lock()
	l.pending, l.sealedBytes = nil, 0
	l.mu.Unlock()
}

func (l *Log) takeOver(ctx context.Context, lease Lease) error {
	data, err := lease.State(ctx)
	if err != nil {
		return err
	}
	st := &state{ScanFrom: 1, Groups: map[string]*groupState{}}
	if len(data) > 0 {
		if err := json.Unmarshal(data, st); err != nil {
			return fmt.Errorf("msglog: shared sealing state: %w", err)
		}
		if st.Groups == nil {
			st.Groups = map[string]*groupState{}
		}
	}
	if err := finishRenames(st, l.opts.ArchiveDir, sharedPartPrefix); err != nil {
		return err
	}
	if st.LastRotate.IsZero() {
		st.LastRotate = l.opts.Now()
	}
	l.lease, l.state = lease, st
	l.lastRotate = st.LastRotate
	l.mu.Lock()
	l.pending = nil
	l.mu.Unlock()
	last, err := l.recoverPendingFrom(st.ScanFrom)
	if err != nil {
		return err
	}
	l.tailFrom = max(last+1, st.ScanFrom)
	l.sealer.Store(true)
	return nil
}

// tail moves what other instances (and this one) appended since the last
// look into pending; with a shared store it replaces the store's OnDurable
// hook, which sees only this process's records. Callers hold sealMu.
func (l *Log) tail() error {
	var recs []pendingRecord
	next := l.tailFrom
	err := l.store.Scan(l.tailFrom, func(seq uint64, payload []byte) error {
		next = seq + 1
		kind, parts, err := decodeParts(payload)
		if err != nil {
			return fmt.Errorf("msglog: record %d: %w", seq, err)
		}
		if kind != kindRecord {
			return nil
		}
		cp := make([][]byte, len(parts))
		for i, p := range parts {
			cp[i] = append([]byte(nil), p...)
		}
		recs = append(recs, pendingRecord{seq: seq, size: len(payload), parts: cp})
		return nil
	})
	l.mu.Lock()
	l.pending = append(l.pending, recs...)
	l.mu.Unlock()
	l.tailFrom = next
	return err
}

// saveState commits st: to state.json in Dir, or through the lease.
func (l *Log) saveState(st *state) error {
	if l.opts.Shared == nil {
		return st.save(l.opts.Dir)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("msglog: %w", err)
	}
	if err := l.lease.SaveState(context.Background(), data); err != nil {
		return fmt.Errorf("msglog: save sealing state: %w", err)
	}
	return nil
}

// appendSeal stores a batch seal: in the journal, or fenced by the lease.
func (l *Log) appendSeal(ctx context.Context, payload []byte) (uint64, error) {
	if l.opts.Shared == nil {
		return l.store.Append(ctx, payload)
	}
	return l.lease.Append(ctx, payload)
}

// myPartPrefix names the in-progress archive files this Log writes.
func (l *Log) myPartPrefix() string {
	if l.opts.Shared == nil {
		return partPrefix(l.opts.Dir)
	}
	return sharedPartPrefix + l.lease.ID() + "-"
}

// finishRenames renames the committed part files of st and removes every
// other part file under archiveDir that starts with prefix: a rotation
// that did not commit, whose records are still in the store.
func finishRenames(st *state, archiveDir, prefix string) error {
	committed := map[string]bool{}
	for _, r := range st.Renames {
		committed[r.Part] = true
		if _, err := os.Stat(r.Part); err == nil {
			if err := atomicfile.Rename(r.Part, r.Final); err != nil {
				return fmt.Errorf("msglog: finish rotation: %w", err)
			}
		}
	}
	err := filepath.WalkDir(archiveDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), prefix) && strings.HasSuffix(path, ".part") && !committed[path] {
			return os.Remove(path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("msglog: clean up interrupted rotation: %w", err)
	}
	return nil
}

// leadAndTail is the shared store's part of each sealing tick: keep or
// take the lease, then read what was appended since. It reports whether
// this Log leads.
func (l *Log) leadAndTail() bool {
	if !l.lead(context.Background()) {
		return false
	}
	l.sealMu.Lock()
	defer l.sealMu.Unlock()
	if !l.leading() {
		return false
	}
	if err := l.tail(); err != nil {
		l.opts.Logger.Warn("msglog: reading the shared log failed; will retry", zap.Error(err))
	}
	return true
}
