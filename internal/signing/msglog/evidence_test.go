package msglog_test

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// hook records which of the Evidence calls saw which records.
type hook struct {
	mu       sync.Mutex
	appended []msglog.EvidenceRecord
	promised [][]msglog.EvidenceRecord
}

func (h *hook) Appended(r msglog.EvidenceRecord) {
	h.mu.Lock()
	h.appended = append(h.appended, r)
	h.mu.Unlock()
}

func (h *hook) Sealed(context.Context, []msglog.EvidenceRecord) error { return nil }

func (h *hook) seen(seq uint64) (appended, promised bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.appended {
		appended = appended || r.Seq == seq
	}
	for _, g := range h.promised {
		for _, r := range g {
			promised = promised || r.Seq == seq
		}
	}
	return appended, promised
}

// promiseHook also implements msglog.EvidencePromises.
type promiseHook struct{ hook }

func (h *promiseHook) Promise(recs []msglog.EvidenceRecord, done func()) {
	h.mu.Lock()
	h.promised = append(h.promised, slices.Clone(recs))
	h.mu.Unlock()
	go done() // later, from another goroutine, as evidence's signer does
}

// TestEvidencePromises: an Evidence implementing EvidencePromises gets
// each group commit's records, in seq order with the record and its
// message.xml as sealed, before their Appends return, and Appended never;
// one that does not gets Appended for each record before its Append
// returns.
func TestEvidencePromises(t *testing.T) {
	for _, withPromise := range []bool{true, false} {
		var h *hook
		var ev msglog.Evidence
		if withPromise {
			p := &promiseHook{}
			h, ev = &p.hook, p
		} else {
			h = &hook{}
			ev = h
		}
		l := openLog(t, t.TempDir(), func(o *msglog.Options) { o.Evidence, o.BatchInterval = ev, time.Hour })
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 10 {
					seq, err := l.Append(context.Background(), exchange(w*10+i, "KG/GOV/70000001"))
					if err != nil {
						t.Error(err)
						return
					}
					if a, p := h.seen(seq); a == withPromise || p != withPromise {
						t.Errorf("promise hook %v: seq %d reached Appended %v, Promise %v when its Append returned", withPromise, seq, a, p)
					}
				}
			})
		}
		wg.Wait()
		groups, _ := l.Stats()
		l.Close()
		if !withPromise {
			continue
		}
		if len(h.promised) != int(groups) {
			t.Errorf("%d calls of Promise for %d group commits", len(h.promised), groups)
		}
		n := 0
		for _, g := range h.promised {
			for i, r := range g {
				n++
				if i > 0 && r.Seq <= g[i-1].Seq || r.Record == nil || r.Record.Seq != r.Seq || r.Group != "" ||
					!bytes.Contains(bytes.Join(r.MessageParts, nil), []byte(` seq="`)) {
					t.Fatalf("record %d of a group: %+v", i, r)
				}
			}
		}
		if n != 80 {
			t.Errorf("Promise got %d records, want 80", n)
		}
	}
}
