package gateway_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence/evidencetest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/receipt"
)

// receipts is what cmd/internal/stack wires in serve: the evidence log
// seen through adapter.Receipts.
type receipts struct{ ev *evidence.Log }

func (r receipts) Receipt(id string, from uint64) (json.RawMessage, string, error) {
	seq, err := msglog.ParseID(id)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", adapter.ErrNoReceipt, err)
	}
	b, check, err := r.ev.ReceiptJSON(seq, from)
	if errors.Is(err, evidence.ErrUnknownRecord) {
		return nil, "", adapter.ErrNoReceipt
	}
	return b, check, err
}

func (r receipts) Compact(id string) (json.RawMessage, error) {
	seq, err := msglog.ParseID(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", adapter.ErrNoReceipt, err)
	}
	return r.ev.AnswerJSON(seq)
}

// TestEvidenceReceipts: a check result carries a compact receipt (the
// promise, the key named by keyId, no certificate), GET
// /v1/evidence/{recordId} returns the full one (certificate embedded) with
// the inclusion proof once sealed, both verify offline, and only callers
// allowed the record's check get it. Every exchange is validated against openapi.json.
func TestEvidenceReceipts(t *testing.T) {
	f := evidencetest.Open(t, evidencetest.Options{})
	l, ev, cert := f.Log, f.Evidence, f.Certificate
	s := newStack(t, stackOptions{
		runner: func(o *adapter.RunnerOptions) {
			o.Journal = &recorder.Recorder{Log: l, Member: "central-server/GOV/70000001/portal", Direction: "consumer"}
			o.Receipts = receipts{ev}
		},
		gateway: func(o *gateway.Options) { o.Receipts = receipts{ev} },
	})
	a := s.get(t, "/v1/suppliers/01503201010234/tax-debt")
	if a.status != 200 {
		t.Fatalf("check: %d %s", a.status, a.raw)
	}
	conforms(t, "Result", a)
	rc, _ := json.Marshal(field(a.body, "evidence", "receipt"))
	res, err := receipt.Verify(rc, receipt.Options{Certificate: cert})
	if err != nil {
		t.Fatalf("the result's receipt does not verify: %v\n%s", err, rc)
	}
	if field(a.body, "evidence", "receipt", "certificate") != nil || field(a.body, "evidence", "receipt", "keyId") == nil {
		t.Errorf("the result's receipt is not the compact form: %s", rc)
	}
	if _, err := receipt.Verify(rc, receipt.Options{}); !errors.Is(err, &receipt.Error{Reason: receipt.ReasonKey}) {
		t.Errorf("compact receipt without the certificate: %v, want reason key", err)
	}
	id, _ := field(a.body, "evidence", "recordId").(string)
	if res.Sealed || res.Statement.RecordID != id || res.Statement.Check != "tax-debt" ||
		res.Statement.MessageID != field(a.body, "evidence", "messageId") || res.Statement.UserID != field(a.body, "evidence", "userId") ||
		res.Statement.Issue != "tender-2026-117/lot-3" || len(res.Statement.Subjects) == 0 || res.Statement.AnswerDigest == "" {
		t.Errorf("promise does not name the exchange: %+v (evidence %v)", res.Statement, a.body["evidence"])
	}

	if err := l.Seal(t.Context()); err != nil {
		t.Fatal(err)
	}
	a = s.get(t, "/v1/evidence/"+id)
	if a.status != 200 {
		t.Fatalf("GET evidence: %d %s", a.status, a.raw)
	}
	conforms(t, "Receipt", a)
	res, err = receipt.Verify(a.raw, receipt.Options{Certificate: cert, Checkpoint: ev.Checkpoint("central-server/GOV/70000001")})
	if err != nil || !res.Sealed {
		t.Fatalf("sealed receipt: %+v %v\n%s", res, err, a.raw)
	}
	// The full form verifies with the certificate it embeds (unpinned).
	if res, err := receipt.Verify(a.raw, receipt.Options{}); err != nil || res.KeyPinned {
		t.Errorf("full receipt, unpinned: %+v %v", res, err)
	}

	auditor := s.do(t, "GET", "/v1/evidence/"+id, auditorKey, hdr("X-User-Id", officer), "")
	if auditor.status != 403 {
		t.Errorf("auditor (founders only) got %d for a tax-debt record", auditor.status)
	}
	for path, want := range map[string]int{
		"/v1/evidence/mlog:99999":         404,
		"/v1/evidence/journal:1":          404,
		"/v1/evidence/" + id + "?from=x":  400,
		"/v1/evidence/" + id + "?from=1":  200,
		"/v1/evidence/" + id + "?from=99": 200,
	} {
		if a := s.get(t, path); a.status != want {
			t.Errorf("GET %s: %d, want %d: %s", path, a.status, want, a.raw)
		}
	}
	if a := s.do(t, "GET", "/v1/evidence/"+id, "", hdr("X-User-Id", officer), ""); a.status != 401 {
		t.Errorf("no credentials: %d", a.status)
	}
}
