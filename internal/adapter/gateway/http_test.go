package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/adapter/problem"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

var officerHdr = map[string]string{"X-User-Id": officer}

func hdr(kv ...string) map[string]string {
	m := map[string]string{"X-User-Id": officer}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func (s *stack) received() int {
	n := 0
	for _, svc := range []soap.ServiceID{fixtures.TaxDebtService, fixtures.SocialFundDebtService, fixtures.FoundersService, fixtures.CriminalRecordService} {
		n += s.ss.Received(svc)
	}
	return n
}

func typeOf(a answer) string { s, _ := a.body["type"].(string); return s }

// A mistyped URL, a wrong method and a subject the register does not know
// are three different problem types; a check's outcome is the same
// problem alone and inside a batch and a tender check.
func TestProblemsCannotBeConfused(t *testing.T) {
	s := newStack(t, stackOptions{})
	noRoute := s.get(t, "/v1/suppliers/01101201099999/tax-debts")
	notFound := s.get(t, "/v1/suppliers/01101201099999/tax-debt")
	method := s.do(t, "PUT", "/v1/suppliers/01101201099999/tax-debt", portalKey, officerHdr, "")
	for _, c := range []struct {
		a      answer
		typ    problem.Type
		status int
	}{{noRoute, problem.NoRoute, 404}, {notFound, problem.SubjectNotFound, 404}, {method, problem.MethodNotAllowed, 405}} {
		if c.a.status != c.status || typeOf(c.a) != c.typ.URI() || c.a.body["status"] != float64(c.status) || c.a.body["title"] == "" {
			t.Errorf("want %d %s, got %d %s", c.status, c.typ, c.a.status, c.a.raw)
		}
		if ct := c.a.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type %q", ct)
		}
	}
	if method.header.Get("Allow") == "" {
		t.Error("405 without Allow")
	}

	// Outcomes alone, in a batch and in a tender check.
	s.ss.Inject(fixtures.SocialFundDebtService, xroadtest.Injection{FaultCode: "Server.ServerProxy.ServiceFailed.NetworkError"})
	defer s.ss.ClearInjections(fixtures.SocialFundDebtService)
	cases := []struct{ inn, check, status string }{
		{"01101201099999", "tax-debt", "not-found"},
		{"00710201100729", "tax-debt", "error"},         // provider business error
		{"01503201010234", "social-fund-debt", "error"}, // X-Road fault
	}
	same := func(t *testing.T, alone, entry map[string]any) {
		inBatch := entry["problem"].(map[string]any)
		t.Helper()
		for _, k := range []string{"type", "title", "status", "detail", "code", "check", "faultCode", "providerCode"} {
			if alone[k] != inBatch[k] {
				t.Errorf("%s: alone %v, in batch %v", k, alone[k], inBatch[k])
			}
		}
		if field(alone, "evidence", "service") != field(entry, "evidence", "service") || field(alone, "evidence", "service") == nil {
			t.Errorf("evidence service: alone %v, in batch %v", field(alone, "evidence", "service"), field(entry, "evidence", "service"))
		}
	}
	for _, c := range cases {
		t.Run(c.check+"/"+c.inn, func(t *testing.T) {
			alone := s.get(t, "/v1/suppliers/"+c.inn+"/"+c.check)
			if alone.status < 400 {
				t.Fatalf("alone: %d %s", alone.status, alone.raw)
			}
			b := s.do(t, "POST", "/v1/supplier-checks", portalKey, hdr("X-Issue", "tender-2026-117/lot-3"),
				fmt.Sprintf(`{"inn":%q,"checks":[%q]}`, c.inn, c.check))
			r := field(b.body, "results").([]any)[0].(map[string]any)
			if r["status"] != c.status {
				t.Errorf("batch status %v, want %s", r["status"], c.status)
			}
			same(t, alone.body, r)
			tc := s.do(t, "POST", "/v1/tender-checks", portalKey, officerHdr,
				fmt.Sprintf(`{"issue":"tender-2026-117/lot-3","suppliers":[{"inn":%q,"checks":[%q]}]}`, c.inn, c.check))
			r = field(tc.body, "suppliers").([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
			same(t, alone.body, r)
		})
	}
}

// detail follows Accept-Language (ky, ru, en; en by default); type,
// title, status and code do not.
func TestProblemDetailLanguage(t *testing.T) {
	s := newStack(t, stackOptions{})
	details := map[string]string{}
	for _, al := range []string{"", "en-GB", "ru-RU,ru;q=0.9", "ky", "de, ky;q=0.5, ru;q=0.4", "fr"} {
		a := s.do(t, "GET", "/v1/suppliers/01503201010234/tax-debt", portalKey, map[string]string{"Accept-Language": al}, "")
		if a.status != 400 || a.body["code"] != "missing_user_id" || a.body["field"] != "X-User-Id" {
			t.Fatalf("%q: %d %s", al, a.status, a.raw)
		}
		lang := a.header.Get("Content-Language")
		details[lang] = a.body["detail"].(string)
		want := map[string]string{"": "en", "en-GB": "en", "ru-RU,ru;q=0.9": "ru", "ky": "ky", "de, ky;q=0.5, ru;q=0.4": "ky", "fr": "en"}[al]
		if lang != want {
			t.Errorf("Accept-Language %q → Content-Language %q, want %s", al, lang, want)
		}
	}
	if len(details) != 3 || details["en"] == details["ru"] || details["ru"] == details["ky"] {
		t.Fatalf("details: %q", details)
	}
	if !strings.Contains(details["ru"], "X-User-Id") || !strings.Contains(details["ru"], "ПИН") || !strings.Contains(details["ky"], "ПИНи") {
		t.Errorf("localized details: %q", details)
	}
	// A check outcome too.
	a := s.do(t, "GET", "/v1/suppliers/01101201099999/founders", portalKey, hdr("Accept-Language", "ky"), "")
	if a.status != 404 || !strings.Contains(a.body["detail"].(string), "субъект") || a.body["title"] != "Subject not found" {
		t.Errorf("ky not-found: %s", a.raw)
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// X-Request-Id and traceparent are accepted or generated, echoed, and
// found in every log line of the request, its journal/signed record and
// its evidence, next to the X-Road message id.
func TestRequestIdentity(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	s := newStack(t, stackOptions{logger: zap.New(core), timeout: 300 * time.Millisecond})
	const rid = "portal-req-2026.117:lot-3_a"
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	a := s.get(t, "/v1/suppliers/01503201010234/tax-debt") // generated ids
	if !hexID.MatchString(a.header.Get("X-Request-Id")) || !regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-00$`).MatchString(a.header.Get("Traceparent")) {
		t.Errorf("generated ids: %q %q", a.header.Get("X-Request-Id"), a.header.Get("Traceparent"))
	}
	if field(a.body, "evidence", "requestId") != a.header.Get("X-Request-Id") {
		t.Errorf("evidence requestId %v, header %s", field(a.body, "evidence", "requestId"), a.header.Get("X-Request-Id"))
	}

	s.ss.Inject(fixtures.SocialFundDebtService, xroadtest.Injection{Times: 1, FaultCode: "Server.ServerProxy.ServiceFailed"})
	logs.TakeAll()
	a = s.do(t, "POST", "/v1/supplier-checks", portalKey, hdr("X-Request-Id", rid, "traceparent", tp, "X-Issue", "tender-2026-117/lot-3"),
		`{"inn":"01503201010234","checks":["tax-debt","social-fund-debt"]}`)
	if a.status != 200 || a.header.Get("X-Request-Id") != rid || a.header.Get("Traceparent") != tp {
		t.Fatalf("echo: %d %v %s", a.status, a.header, a.raw)
	}
	res := a.body["results"].([]any)
	var msgIDs []string
	for _, r := range res {
		ev := field(r, "evidence")
		if field(ev, "requestId") != rid || field(ev, "traceparent") != tp {
			t.Errorf("evidence %v", ev)
		}
		rec := s.records(t)[field(ev, "recordId").(string)]
		if rec.RequestID != rid || rec.TraceParent != tp {
			t.Errorf("journal record %q %q", rec.RequestID, rec.TraceParent)
		}
		if signed := recorder.Convert(rec, "central-server/GOV/70000001/portal", "consumer"); signed.Exchange.RequestID != rid || signed.Exchange.TraceParent != tp {
			t.Errorf("signed record %+v", signed.Exchange)
		}
		msgIDs = append(msgIDs, field(ev, "messageId").(string))
	}
	if field(res[1], "problem", "requestId") != rid {
		t.Errorf("problem requestId: %v", res[1])
	}
	entries := logs.AllUntimed()
	if len(entries) < 2 {
		t.Fatalf("log lines: %v", entries)
	}
	for _, e := range entries {
		m := e.ContextMap()
		if m["requestId"] != rid {
			t.Errorf("log line %q without the request id: %v", e.Message, m)
		}
		switch e.Message {
		case "check failed":
			if m["messageId"] != msgIDs[1] {
				t.Errorf("check failed: messageId %v, want %s", m["messageId"], msgIDs[1])
			}
		case "portal request":
			got := fmt.Sprint(m["messageIds"])
			for _, id := range msgIDs {
				if !strings.Contains(got, id) {
					t.Errorf("access line messageIds %s lacks %s", got, id)
				}
			}
			if m["traceparent"] != tp || strings.Contains(fmt.Sprint(m["path"]), "01503201010234") {
				t.Errorf("access line %v", m)
			}
		}
	}
	// Malformed ids are refused (with fresh ones to trace the refusal).
	before := s.received()
	for _, h := range []map[string]string{hdr("X-Request-Id", "has space"), hdr("X-Request-Id", strings.Repeat("a", 129)),
		hdr("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"), hdr("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")} {
		a := s.do(t, "GET", "/v1/suppliers/01503201010234/tax-debt", portalKey, h, "")
		if a.status != 400 || typeOf(a) != problem.InvalidInput.URI() || !hexID.MatchString(a.header.Get("X-Request-Id")) {
			t.Errorf("%v: %d %s", h, a.status, a.raw)
		}
	}
	if s.received() != before {
		t.Error("a refused request reached the security server")
	}
}

// A retried POST with the same Idempotency-Key and body gets the recorded
// answer and makes no Tunduk query; another body is 422; the window ends.
func TestIdempotencyKey(t *testing.T) {
	var clock atomic.Int64 // seconds past the start
	start := time.Now()
	s := newStack(t, stackOptions{gateway: func(o *gateway.Options) {
		o.IdempotencyWindow = time.Hour
		o.Now = func() time.Time { return start.Add(time.Duration(clock.Load()) * time.Second) }
	}})
	body := `{"inn":"02207200800561","checks":["tax-debt","founders"]}`
	h := hdr("Idempotency-Key", "tender-117-lot-3-supplier-1", "X-Issue", "tender-2026-117/lot-3")
	first := s.do(t, "POST", "/v1/supplier-checks", portalKey, h, body)
	n := s.received()
	if first.status != 200 || n != 2 {
		t.Fatalf("first: %d, %d queries: %s", first.status, n, first.raw)
	}
	again := s.do(t, "POST", "/v1/supplier-checks", portalKey, h, body)
	if again.status != 200 || string(again.raw) != string(first.raw) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %v\n%s\n%s", again.status, again.header, again.raw, first.raw)
	}
	if again.header.Get("X-Request-Id") == first.header.Get("X-Request-Id") {
		t.Error("the replay carries the first request's X-Request-Id header; it is a new request")
	}
	if s.received() != n {
		t.Errorf("the retry queried Tunduk again: %d → %d", n, s.received())
	}
	other := s.do(t, "POST", "/v1/supplier-checks", portalKey, h, `{"inn":"02207200800561","checks":["tax-debt"]}`)
	if other.status != 422 || typeOf(other) != problem.IdempotencyKeyReused.URI() || s.received() != n {
		t.Errorf("same key, other body: %d %s", other.status, other.raw)
	}
	// Another officer with the same key and body is another request.
	if a := s.do(t, "POST", "/v1/supplier-checks", portalKey, hdr("Idempotency-Key", "tender-117-lot-3-supplier-1", "X-User-Id", "22201197000311", "X-Issue", "tender-2026-117/lot-3"), body); a.status != 422 {
		t.Errorf("other officer: %d %s", a.status, a.raw)
	}
	// Keys are per caller.
	if a := s.do(t, "POST", "/v1/supplier-checks", auditorKey, h, `{"inn":"02207200800561","checks":["founders"]}`); a.status != 200 {
		t.Errorf("other caller, same key: %d %s", a.status, a.raw)
	}
	if a := s.do(t, "POST", "/v1/supplier-checks", portalKey, hdr("Idempotency-Key", "bad key"), body); a.status != 400 || a.body["code"] != "invalid_idempotency_key" {
		t.Errorf("bad key: %d %s", a.status, a.raw)
	}
	clock.Store(3599)
	if a := s.do(t, "POST", "/v1/supplier-checks", portalKey, h, body); a.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("within the window: %d %v", a.status, a.header)
	}
	clock.Store(3601)
	before := s.received()
	if a := s.do(t, "POST", "/v1/supplier-checks", portalKey, h, body); a.status != 200 || a.header.Get("Idempotent-Replayed") != "" || s.received() != before+2 {
		t.Errorf("after the window: %d %v, %d queries", a.status, a.header, s.received()-before)
	}
}

// Concurrent retries of one key run the checks once.
func TestIdempotencyKeyConcurrentRetries(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Delay: 150 * time.Millisecond})
	body := `{"inn":"01503201010234","checks":["tax-debt"]}`
	var wg sync.WaitGroup
	raws := make([]string, 4)
	for i := range raws {
		wg.Go(func() {
			a := s.do(t, "POST", "/v1/supplier-checks", portalKey, hdr("Idempotency-Key", "k-1"), body)
			raws[i] = string(a.raw)
		})
	}
	wg.Wait()
	if s.ss.Received(fixtures.TaxDebtService) != 1 {
		t.Errorf("%d queries for one key", s.ss.Received(fixtures.TaxDebtService))
	}
	for _, r := range raws[1:] {
		if r != raws[0] {
			t.Errorf("answers differ:\n%s\n%s", r, raws[0])
		}
	}
}

// countingChecker records the most checks it ran at once.
type countingChecker struct {
	gateway.Checker
	now, peak atomic.Int64
}

func (c *countingChecker) Run(ctx context.Context, req adapter.Request) (*adapter.Result, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	time.Sleep(20 * time.Millisecond)
	return c.Checker.Run(ctx, req)
}

func TestTenderCheck(t *testing.T) {
	cc := &countingChecker{}
	s := newStack(t, stackOptions{timeout: 300 * time.Millisecond, gateway: func(o *gateway.Options) {
		cc.Checker = o.Checker
		o.Checker, o.TenderConcurrency, o.MaxSuppliers = cc, 3, 4
	}})
	s.ss.Inject(fixtures.FoundersService, xroadtest.Injection{Times: 1, Delay: 2 * time.Second})
	body := `{"issue":"tender-2026-117/lot-3","suppliers":[
	 {"inn":"01503201010234","representativePin":"21504197800123","checks":["tax-debt","social-fund-debt","founders","criminal-record"]},
	 {"inn":"02207200800561","checks":["tax-debt","social-fund-debt"]},
	 {"inn":"01101201099999","checks":["tax-debt"]},
	 {"inn":"00710201100729","representativePin":"22201197000311","checks":["tax-debt","criminal-record"]}]}`
	a := s.do(t, "POST", "/v1/tender-checks", portalKey, officerHdr, body)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if p := cc.peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want ≤ 3 (and > 1)", p)
	}
	sup := a.body["suppliers"].([]any)
	want := [][]string{{"ok", "ok", "error", "ok"}, {"ok", "ok"}, {"not-found"}, {"error", "ok"}}
	if len(sup) != 4 || a.body["complete"] != false || a.body["issue"] != "tender-2026-117/lot-3" {
		t.Fatalf("%s", a.raw)
	}
	for i, w := range want {
		rs := field(sup[i], "results").([]any)
		for j, st := range w {
			if field(rs[j], "status") != st {
				t.Errorf("supplier %d check %d: %v, want %s", i, j, rs[j], st)
			}
			if ev := field(rs[j], "evidence"); ev != nil && field(ev, "issue") != "tender-2026-117/lot-3" {
				t.Errorf("evidence issue %v", field(ev, "issue"))
			}
		}
		if c := field(sup[i], "complete"); c != !strings.Contains(strings.Join(w, ","), "error") {
			t.Errorf("supplier %d complete = %v", i, c)
		}
	}
	if field(field(sup[0], "results").([]any)[2], "problem", "type") != problem.Timeout.URI() {
		t.Errorf("founders timeout: %v", field(sup[0], "results"))
	}
	s.checkEvidence(t, field(field(sup[1], "results").([]any)[0], "evidence"), fixtures.TaxDebtService, true)

	before := s.received()
	five := `{"issue":"t","suppliers":[` + strings.TrimSuffix(strings.Repeat(`{"inn":"01503201010234","checks":["tax-debt"]},`, 5), ",") + `]}`
	for _, c := range []struct{ name, body, code, field string }{
		{"too many suppliers", five, "too_many_suppliers", "suppliers"},
		{"no issue", `{"suppliers":[{"inn":"01503201010234","checks":["tax-debt"]}]}`, "missing_issue", "issue"},
		{"no suppliers", `{"issue":"t","suppliers":[]}`, "missing_suppliers", "suppliers"},
		{"duplicate supplier", `{"issue":"t","suppliers":[{"inn":"01503201010234","checks":["tax-debt"]},{"inn":"01503201010234","checks":["founders"]}]}`, "duplicate_supplier", "suppliers[1].inn"},
		{"bad INN", `{"issue":"t","suppliers":[{"inn":"01503201010234","checks":["tax-debt"]},{"inn":"5","checks":["founders"]}]}`, "invalid_inn", "suppliers[1].inn"},
	} {
		a := s.do(t, "POST", "/v1/tender-checks", portalKey, officerHdr, c.body)
		if a.status != 400 || a.body["code"] != c.code || a.body["field"] != c.field {
			t.Errorf("%s: %d %s", c.name, a.status, a.raw)
		}
	}
	a = s.do(t, "POST", "/v1/tender-checks", portalKey, hdr("X-Issue", "other"), `{"issue":"t","suppliers":[{"inn":"01503201010234","checks":["tax-debt"]}]}`)
	if a.status != 400 || a.body["code"] != "issue_mismatch" {
		t.Errorf("issue mismatch: %d %s", a.status, a.raw)
	}
	a = s.do(t, "POST", "/v1/tender-checks", auditorKey, officerHdr, `{"issue":"t","suppliers":[{"inn":"01503201010234","checks":["founders","tax-debt"]}]}`)
	if a.status != 403 {
		t.Errorf("forbidden check: %d %s", a.status, a.raw)
	}
	if s.received() != before {
		t.Error("a refused tender check reached the security server")
	}
}

// Per-caller rate limits and concurrency quotas answer 429 with
// Retry-After before any Tunduk query, and are counted per caller.
func TestPerCallerLimits(t *testing.T) {
	s := newStack(t, stackOptions{gateway: func(o *gateway.Options) {
		o.Callers[0].RequestsPerSecond, o.Callers[0].Burst = 0.02, 2 // a token per 50 s
		o.Callers[1].MaxConcurrentChecks = 1
	}})
	for i := range 2 {
		if a := s.get(t, "/v1/suppliers/01503201010234/tax-debt"); a.status != 200 {
			t.Fatalf("request %d: %d %s", i, a.status, a.raw)
		}
	}
	before := s.received()
	a := s.get(t, "/v1/suppliers/01503201010234/tax-debt")
	ra, _ := strconv.Atoi(a.header.Get("Retry-After"))
	if a.status != 429 || typeOf(a) != problem.RateLimited.URI() || a.body["code"] != "rate_limited" || ra < 1 || ra > 50 || s.received() != before {
		t.Errorf("over the rate: %d Retry-After %q %s", a.status, a.header.Get("Retry-After"), a.raw)
	}
	// The other caller is not limited by the first one's rate.
	if a := s.do(t, "GET", "/v1/suppliers/01503201010234/founders", auditorKey, officerHdr, ""); a.status != 200 {
		t.Errorf("auditor: %d %s", a.status, a.raw)
	}
	// auditor: one check in flight at most.
	s.ss.Inject(fixtures.FoundersService, xroadtest.Injection{Times: 1, Delay: 300 * time.Millisecond})
	done := make(chan answer)
	go func() { done <- s.do(t, "GET", "/v1/suppliers/01503201010234/founders", auditorKey, officerHdr, "") }()
	for s.ss.Received(fixtures.FoundersService) < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	a = s.do(t, "GET", "/v1/suppliers/02207200800561/founders", auditorKey, officerHdr, "")
	if a.status != 429 || a.body["code"] != "concurrency_limited" || a.header.Get("Retry-After") == "" {
		t.Errorf("over the quota: %d %s", a.status, a.raw)
	}
	if first := <-done; first.status != 200 {
		t.Errorf("the running check: %d", first.status)
	}
	if got := (sample(t, s, "tunduk_gateway_caller_limited_total", "caller", "portal", "reason", "rate_limited")); got != 1 {
		t.Errorf("portal rate_limited = %v", got)
	}
	if got := (sample(t, s, "tunduk_gateway_caller_limited_total", "caller", "auditor", "reason", "concurrency_limited")); got != 1 {
		t.Errorf("auditor concurrency_limited = %v", got)
	}
	if got := (sample(t, s, "tunduk_gateway_caller_requests_total", "caller", "portal", "code", "200")); got != 2 {
		t.Errorf("portal 200s = %v", got)
	}
}

// sample reads one labelled sample from the stack's registry.
func sample(t *testing.T, s *stack, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := s.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue next
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	return 0
}

// One reading of every input (issue 13): repeated single-valued headers,
// duplicate and case-variant JSON keys, unusable header values, null or
// oversized bodies, compressed bodies and non-canonical paths are refused
// with the right status before any Tunduk query.
func TestOneReadingOfEveryInput(t *testing.T) {
	s := newStack(t, stackOptions{})
	const batch = "/v1/supplier-checks"
	good := `{"inn":"01503201010234","checks":["tax-debt"]}`
	type tc struct {
		name, method, path string
		header             http.Header
		body               string
		status             int
		code, field        string
	}
	base := func() http.Header {
		return http.Header{"Authorization": {"Bearer " + portalKey}, "X-User-Id": {officer}, "Content-Type": {"application/json"}}
	}
	with := func(k string, v ...string) http.Header { h := base(); h[k] = v; return h }
	cases := []tc{
		{"duplicate JSON key", "POST", batch, base(), `{"inn":"01503201010234","inn":"02207200800561","checks":["tax-debt"]}`, 400, "duplicate_key", "inn"},
		{"case-variant JSON key", "POST", batch, base(), `{"inn":"01503201010234","INN":"02207200800561","checks":["tax-debt"]}`, 400, "duplicate_key", "INN"},
		{"case-variant key alone", "POST", batch, base(), `{"INN":"01503201010234","checks":["tax-debt"]}`, 400, "invalid_json", "INN"},
		{"nested duplicate key", "POST", "/v1/tender-checks", base(), `{"issue":"t","suppliers":[{"inn":"01503201010234","checks":["tax-debt"],"Checks":["founders"]}]}`, 400, "duplicate_key", "Checks"},
		{"null body", "POST", batch, base(), `null`, 400, "invalid_json", ""},
		{"array body", "POST", batch, base(), `[` + good + `]`, 400, "invalid_json", ""},
		{"two objects", "POST", batch, base(), good + good, 400, "invalid_json", ""},
		{"70 KB trailing whitespace", "POST", batch, base(), good + strings.Repeat(" ", 70<<10), 413, "body_too_large", ""},
		{"gzip body", "POST", batch, with("Content-Encoding", "gzip"), good, 415, "unsupported_content_encoding", "Content-Encoding"},
		{"not JSON", "POST", batch, with("Content-Type", "text/plain"), good, 415, "unsupported_media_type", "Content-Type"},
		{"two X-User-Id", "GET", "/v1/suppliers/01503201010234/tax-debt", with("X-User-Id", officer, "22201197000311"), "", 400, "duplicate_header", "X-User-Id"},
		{"two X-Issue", "GET", "/v1/suppliers/01503201010234/tax-debt", with("X-Issue", "a", "b"), "", 400, "duplicate_header", "X-Issue"},
		{"two Authorization", "GET", "/v1/suppliers/01503201010234/tax-debt", with("Authorization", "Bearer "+portalKey, "Bearer "+auditorKey), "", 400, "duplicate_header", "Authorization"},
		{"two X-API-Key", "GET", "/v1/suppliers/01503201010234/tax-debt", with("X-Api-Key", auditorKey, portalKey), "", 400, "duplicate_header", "X-Api-Key"},
		{"two Idempotency-Key", "POST", batch, with("Idempotency-Key", "a", "b"), good, 400, "duplicate_header", "Idempotency-Key"},
		{"invalid UTF-8 in X-Issue", "GET", "/v1/suppliers/01503201010234/tax-debt", with("X-Issue", "lot-\xff\xfe"), "", 400, "invalid_header", "X-Issue"},
		{"tab in X-Issue", "GET", "/v1/suppliers/01503201010234/tax-debt", with("X-Issue", "lot\t3"), "", 400, "invalid_header", "X-Issue"},
		{"C1 control in X-Issue", "GET", "/v1/suppliers/01503201010234/tax-debt", with("X-Issue", "lot\u00853"), "", 400, "invalid_header", "X-Issue"},
		{"dot-dot path", "GET", "/v1/suppliers/../suppliers/01503201010234/tax-debt", base(), "", 400, "invalid_path", "path"},
		{"dot path", "GET", "/v1/./suppliers/01503201010234/tax-debt", base(), "", 400, "invalid_path", "path"},
		{"double slash", "GET", "/v1//suppliers/01503201010234/tax-debt", base(), "", 400, "invalid_path", "path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := s.received()
			req, err := http.NewRequest(c.method, s.api.URL+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = "//" + req.URL.Host + c.path // send the path exactly as written
			req.Header = c.header
			a := s.send(t, req)
			if a.status != c.status || a.body["code"] != c.code || (c.field != "" && a.body["field"] != c.field) {
				t.Fatalf("got %d %s, want %d %s %s", a.status, a.raw, c.status, c.code, c.field)
			}
			if s.received() != before {
				t.Error("a refused request reached the security server")
			}
		})
	}
	// A raw control character (which Go's client refuses to send) in X-Issue.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.api.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/suppliers/01503201010234/tax-debt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nX-User-Id: %s\r\nX-Issue: lot\x013\r\nConnection: close\r\n\r\n", portalKey, officer)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != 400 {
		t.Errorf("raw control character: %d %v", resp.StatusCode, p)
	}
}

// A tender check runs within the caller's concurrency quota when that is
// below tenderConcurrency, and still answers every check.
func TestTenderCheckWithinCallerQuota(t *testing.T) {
	cc := &countingChecker{}
	s := newStack(t, stackOptions{gateway: func(o *gateway.Options) {
		cc.Checker = o.Checker
		o.Checker, o.TenderConcurrency = cc, 16
		o.Callers[0].MaxConcurrentChecks = 2
	}})
	var sups []string
	for _, inn := range []string{"01503201010234", "02207200800561", "00911201500118", "01004201200847"} {
		sups = append(sups, `{"inn":"`+inn+`","checks":["tax-debt","social-fund-debt","founders"]}`)
	}
	a := s.do(t, "POST", "/v1/tender-checks", portalKey, officerHdr, `{"issue":"tender-2026-117/lot-3","suppliers":[`+strings.Join(sups, ",")+`]}`)
	if a.status != 200 || a.body["complete"] != true {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if p := cc.peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want the caller's quota 2", p)
	}
	if n := s.received(); n != 12 {
		t.Errorf("%d queries, want 12", n)
	}
}
