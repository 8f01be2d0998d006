package notice_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
)

// TestIssue: the notice is recorded, the log released, then it is sent
// and listed with each channel's outcome; a channel that fails makes the
// error ErrNotDelivered but the notice stays recorded and listed; an
// invalid notice is neither recorded nor sent.
func TestIssue(t *testing.T) {
	var released, sentAfterRelease atomic.Bool
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sentAfterRelease.Store(released.Load())
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ok.Close()
	refused := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	defer refused.Close()
	var log appender
	journal := notice.Journal{Path: filepath.Join(t.TempDir(), "notices.jsonl")}
	to := notice.Issuing{Log: &log, Release: func() error { released.Store(true); return nil }, Journal: journal,
		Sender: &notice.Sender{Webhooks: []notice.Webhook{{URL: ok.URL}, {URL: refused.URL}}}}

	n := testNotice()
	e, err := notice.Issue(context.Background(), n, to)
	if !errors.Is(err, notice.ErrNotDelivered) || e.SignedSeq != 1 || len(log.recs) != 1 || !sentAfterRelease.Load() {
		t.Fatalf("Issue = %+v, %v (%d records, sent after release %v); want recorded, released, then sent, and ErrNotDelivered",
			e, err, len(log.recs), sentAfterRelease.Load())
	}
	if len(e.Deliveries) != 2 || e.Deliveries[0].Error != "" || e.Deliveries[1].Error == "" {
		t.Errorf("deliveries %+v", e.Deliveries)
	}
	listed, err := journal.List()
	if err != nil || len(listed) != 1 || listed[0].SignedSeq != 1 || listed[0].Notice.ID != n.ID || len(listed[0].Deliveries) != 2 {
		t.Fatalf("journal = %+v, %v", listed, err)
	}

	to.Sender.Webhooks = to.Sender.Webhooks[:1]
	if _, err := notice.Issue(context.Background(), n, to); err != nil || len(log.recs) != 2 {
		t.Fatalf("all channels reached: %v, %d records", err, len(log.recs))
	}
	bad := n
	bad.Text = ""
	if _, err := notice.Issue(context.Background(), bad, to); err == nil || len(log.recs) != 2 {
		t.Fatalf("invalid notice: %v, %d records; want refused, nothing recorded", err, len(log.recs))
	}
	if listed, _ := journal.List(); len(listed) != 2 {
		t.Errorf("journal has %d entries, want 2 (the invalid notice is not listed)", len(listed))
	}
}
