package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/adapter/portalapi"
	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange/exchangetest"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

const (
	portalKey  = "portal-key-0123456789abcdef0123456789abcdef"
	auditorKey = "auditor-key-0123456789abcdef0123456789abcdef"
	officer    = "21504197800123"
)

// stack is the whole chain on loopback: gateway → ssclient → emulated
// security server → fixture providers, with a real journal file.
type stack struct {
	ss      *xroadtest.SecurityServer
	api     *httptest.Server
	journal *exchangetest.Memory
	runner  *adapter.Runner
	metrics *prometheus.Registry
	// client validates every exchange against openapi.json.
	client *http.Client
	val    *validator
}

type stackOptions struct {
	breaker ssclient.BreakerOptions
	timeout time.Duration // per-check timeout written into every mapping
	// gateway adjusts the gateway's options (limits, callers).
	gateway func(*gateway.Options)
	// runner adjusts the runner's options (journal, receipts).
	runner func(*adapter.RunnerOptions)
	logger *zap.Logger
}

func newStack(t testing.TB, so stackOptions) *stack {
	t.Helper()
	ss := fixtures.NewDemo(fixtures.DemoOptions{})
	t.Cleanup(ss.Close)
	if so.breaker.FailureThreshold == 0 {
		so.breaker.FailureThreshold = 1000
	}
	sc, err := ssclient.New(ssclient.Options{URL: ss.URL, Client: fixtures.PortalClient, Timeout: 10 * time.Second,
		MaxConcurrent: 256, Breaker: so.breaker, Retry: ssclient.RetryOptions{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Close)
	ms, err := mapping.LoadDir("../../../configs/mappings")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if so.timeout > 0 {
			m.Timeout = so.timeout
		}
	}
	j := &exchangetest.Memory{}
	reg := prometheus.NewRegistry()
	metrics, err := observe.NewMetrics(observe.MetricsOptions{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ro := adapter.RunnerOptions{Mappings: ms, Transport: sc, Journal: j, Client: fixtures.PortalClient,
		UserIDPrefix: "KG", SecurityServerURL: ss.URL, Metrics: metrics, Logger: so.logger}
	if so.runner != nil {
		so.runner(&ro)
	}
	r, err := adapter.NewRunner(ro)
	if err != nil {
		t.Fatal(err)
	}
	gopts := gateway.Options{Checker: r, Metrics: metrics, Logger: so.logger, Callers: []gateway.Caller{
		{Name: "portal", APIKey: portalKey, Checks: []string{"*"}},
		{Name: "auditor", APIKey: auditorKey, Checks: []string{"founders"}},
	}}
	if so.gateway != nil {
		so.gateway(&gopts)
	}
	g, err := gateway.New(gopts)
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(g)
	t.Cleanup(api.Close)
	val := newValidator(t, api.URL)
	return &stack{ss: ss, api: api, journal: j, runner: r, metrics: reg, client: &http.Client{Transport: val}, val: val}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (s *stack) do(t testing.TB, method, path, key string, hdr map[string]string, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return s.send(t, req)
}

// send makes req through the validating client and reads the answer.
func (s *stack) send(t testing.TB, req *http.Request) answer {
	t.Helper()
	method, path := req.Method, req.URL.Path
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v: %s", method, path, err, raw)
	}
	return a
}

func (s *stack) get(t testing.TB, path string) answer {
	return s.do(t, http.MethodGet, path, portalKey, map[string]string{"X-User-Id": officer, "X-Issue": "tender-2026-117/lot-3"}, "")
}

var (
	docOnce sync.Once
	doc     *openapi3.T
)

// conforms checks an answer against the OpenAPI document's schema.
func conforms(t *testing.T, schema string, a answer) {
	t.Helper()
	docOnce.Do(func() {
		d, err := openapi3.NewLoader().LoadFromData(portalapi.JSON)
		if err != nil {
			t.Fatal(err)
		}
		doc = d
	})
	var v any
	json.Unmarshal(a.raw, &v)
	if err := doc.Components.Schemas[schema].Value.VisitJSON(v); err != nil {
		t.Errorf("answer does not match OpenAPI schema %s: %v\n%s", schema, err, a.raw)
	}
}

func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// records reads the journal back.
func (s *stack) records(t *testing.T) map[string]*exchange.Exchange {
	t.Helper()
	return s.journal.ByID()
}

// checkEvidence verifies that evidence names a durable journal record
// holding the exchange, whose request bytes hash to the requestHash.
func (s *stack) checkEvidence(t *testing.T, ev any, service soap.ServiceID, soapCheck bool) {
	t.Helper()
	recID, _ := field(ev, "recordId").(string)
	rec := s.records(t)[recID]
	if rec == nil {
		t.Fatalf("evidence recordId %q is not in the journal", recID)
	}
	if got := field(ev, "service"); got != service.Typed() || rec.Service != service.Typed() {
		t.Errorf("service = %v, journal %v, want %s", got, rec.Service, service.Typed())
	}
	if field(ev, "userId") != "KG"+officer || rec.UserID != "KG"+officer {
		t.Errorf("userId = %v", field(ev, "userId"))
	}
	if field(ev, "issue") != "tender-2026-117/lot-3" || rec.Issue != "tender-2026-117/lot-3" {
		t.Errorf("issue = %v", field(ev, "issue"))
	}
	if id := field(ev, "messageId"); id == "" || id != rec.MessageID {
		t.Errorf("messageId %v, journal %v", id, rec.MessageID)
	}
	if _, err := time.Parse(time.RFC3339Nano, field(ev, "time").(string)); err != nil {
		t.Errorf("time: %v", err)
	}
	hash, _ := field(ev, "requestHash").(string)
	if hash == "" || hash != rec.RequestHash {
		t.Errorf("requestHash %q, journal %q", hash, rec.RequestHash)
	}
	if soapCheck {
		if soap.RequestHash(rec.Request.Body) != hash {
			t.Errorf("requestHash does not match the journalled request bytes")
		}
		req, err := soap.ParseBytes(rec.Request.Body, rec.Request.Header.Get("Content-Type"), soap.Limits{})
		if err != nil {
			t.Fatalf("journalled request does not parse: %v", err)
		}
		if req.Header().UserID != "KG"+officer || req.Header().ID != rec.MessageID || req.BodyName().Local != service.ServiceCode {
			t.Errorf("journalled request header %+v, wrapper %v", req.Header(), req.BodyName())
		}
		if rec.Response == nil || len(rec.Response.Body) == 0 {
			t.Errorf("journal has no response bytes")
		}
	} else if rec.Request.Header.Get("X-Road-UserId") != "KG"+officer || rec.Response == nil {
		t.Errorf("REST journal record: %+v", rec.Request.Header)
	}
}

func TestChecksThroughTheEmulator(t *testing.T) {
	s := newStack(t, stackOptions{})
	tests := []struct {
		name, path string
		service    soap.ServiceID
		soap       bool
		status     int
		want       map[string]any // data fields (200) or error fields
	}{
		{"tax: no debt", "/v1/suppliers/01503201010234/tax-debt", fixtures.TaxDebtService, true, 200,
			map[string]any{"hasDebt": false, "amount": 0.0, "asOf": "2026-03-31"}},
		{"tax: debt found", "/v1/suppliers/02207200800561/tax-debt", fixtures.TaxDebtService, true, 200,
			map[string]any{"hasDebt": true, "amount": 184250.75}},
		{"tax: not found", "/v1/suppliers/01101201099999/tax-debt", fixtures.TaxDebtService, true, 404,
			map[string]any{"code": "not_found", "providerCode": "NOT_FOUND"}},
		{"tax: provider error", "/v1/suppliers/00710201100729/tax-debt", fixtures.TaxDebtService, true, 502,
			map[string]any{"code": "provider_error", "providerCode": "INTERNAL_ERROR"}},
		{"social fund: no debt", "/v1/suppliers/01503201010234/social-fund-debt", fixtures.SocialFundDebtService, true, 200,
			map[string]any{"hasDebt": false}},
		{"social fund: debt found", "/v1/suppliers/00911201500118/social-fund-debt", fixtures.SocialFundDebtService, true, 200,
			map[string]any{"hasDebt": true, "amount": 56300.0}},
		{"social fund: not found", "/v1/suppliers/01101201099999/social-fund-debt", fixtures.SocialFundDebtService, true, 404,
			map[string]any{"code": "not_found", "providerCode": "false"}},
		{"social fund: provider error", "/v1/suppliers/02103201600184/social-fund-debt", fixtures.SocialFundDebtService, true, 502,
			map[string]any{"code": "provider_error", "providerCode": "INTERNAL_ERROR"}},
		{"founders", "/v1/suppliers/01503201010234/founders", fixtures.FoundersService, false, 200,
			map[string]any{"name": "ОсОО «Ала-Тоо Курулуш»"}},
		{"founders: not found", "/v1/suppliers/01101201099999/founders", fixtures.FoundersService, false, 404,
			map[string]any{"code": "not_found", "providerCode": "204"}},
		{"founders: provider error", "/v1/suppliers/01702201700815/founders", fixtures.FoundersService, false, 502,
			map[string]any{"code": "provider_error", "providerCode": "INTERNAL_ERROR"}},
		{"criminal record: clean", "/v1/persons/21504197800123/criminal-record", fixtures.CriminalRecordService, true, 200,
			map[string]any{"hasAnyRecord": false, "hasActiveRecord": false}},
		{"criminal record: found", "/v1/persons/22201197000311/criminal-record", fixtures.CriminalRecordService, true, 200,
			map[string]any{"hasAnyRecord": true, "hasActiveRecord": true}},
		{"criminal record: not found", "/v1/persons/21101199099999/criminal-record", fixtures.CriminalRecordService, true, 404,
			map[string]any{"code": "not_found", "providerCode": "PIN_NOTFOUND"}},
		{"criminal record: provider error", "/v1/persons/10911199100776/criminal-record", fixtures.CriminalRecordService, true, 502,
			map[string]any{"code": "provider_error", "providerCode": "INTERNAL_ERROR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.get(t, tt.path)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.raw)
			}
			where := a.body["data"]
			schema := "Result"
			if tt.status != 200 {
				where, schema = any(a.body), "Problem"
			}
			conforms(t, schema, a)
			for k, v := range tt.want {
				if got := field(where, k); got != v {
					t.Errorf("%s = %#v, want %#v (%s)", k, got, v, a.raw)
				}
			}
			s.checkEvidence(t, a.body["evidence"], tt.service, tt.soap)
		})
	}
	a := s.get(t, "/v1/suppliers/01503201010234/founders")
	fs, _ := field(a.body, "data", "founders").([]any)
	if len(fs) != 2 || field(fs[0], "id") != "21504197800123" || field(fs[0], "share") != 60.0 {
		t.Errorf("founders = %s", a.raw)
	}
}

func TestSecurityServerFailures(t *testing.T) {
	s := newStack(t, stackOptions{timeout: 300 * time.Millisecond})
	tests := []struct {
		name      string
		service   soap.ServiceID
		path      string
		inj       xroadtest.Injection
		status    int
		code      string
		faultCode string
		evidence  bool
	}{
		{"SS fault", fixtures.TaxDebtService, "/v1/suppliers/01503201010234/tax-debt",
			xroadtest.Injection{Times: 1, FaultCode: "Server.ServerProxy.ServiceFailed.NetworkError"}, 502, "xroad_fault", "Server.ServerProxy.ServiceFailed.NetworkError", true},
		{"SS fault, 7.8 snake case", fixtures.SocialFundDebtService, "/v1/suppliers/01503201010234/social-fund-debt",
			xroadtest.Injection{Times: 1, FaultCode: "server.serverproxy.access_denied"}, 502, "xroad_fault", "Server.ServerProxy.AccessDenied", true},
		{"REST X-Road-Error", fixtures.FoundersService, "/v1/suppliers/01503201010234/founders",
			xroadtest.Injection{Times: 1, FaultCode: "Server.ServerProxy.ServiceFailed"}, 502, "xroad_fault", "Server.ServerProxy.ServiceFailed", true},
		{"timeout", fixtures.TaxDebtService, "/v1/suppliers/01503201010234/tax-debt",
			xroadtest.Injection{Times: 1, Delay: 2 * time.Second}, 504, "timeout", "", false},
		{"malformed answer", fixtures.CriminalRecordService, "/v1/persons/21504197800123/criminal-record",
			xroadtest.Injection{Times: 1, Malformed: true}, 502, "invalid_response", "MalformedResponse", true},
		{"echo violation", fixtures.TaxDebtService, "/v1/suppliers/01503201010234/tax-debt",
			xroadtest.Injection{Times: 1, CorruptEcho: true}, 502, "invalid_response", "InconsistentResponse", true},
		{"requestHash mismatch", fixtures.SocialFundDebtService, "/v1/suppliers/01503201010234/social-fund-debt",
			xroadtest.Injection{Times: 1, WrongRequestHash: true}, 502, "invalid_response", "InvalidRequestHash", true},
		{"REST requestHash missing/mismatch", fixtures.FoundersService, "/v1/suppliers/01503201010234/founders",
			xroadtest.Injection{Times: 1, WrongRequestHash: true}, 0, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ss.Inject(tt.service, tt.inj)
			defer s.ss.ClearInjections(tt.service)
			a := s.get(t, tt.path)
			if tt.status == 0 {
				// PR-REST: the client can check the hash's presence, not
				// its value (the SS hashes its own representation), so a
				// wrong hash is not detectable; the answer stands.
				if a.status != 200 {
					t.Errorf("status %d: %s", a.status, a.raw)
				}
				return
			}
			if a.status != tt.status || field(a.body, "code") != tt.code {
				t.Fatalf("got %d %s, want %d %s", a.status, a.raw, tt.status, tt.code)
			}
			if tt.faultCode != "" && field(a.body, "faultCode") != tt.faultCode {
				t.Errorf("faultCode = %v, want %s", field(a.body, "faultCode"), tt.faultCode)
			}
			if strings.Contains(string(a.raw), "ssclient") || strings.Contains(string(a.raw), "soap:") {
				t.Errorf("internal error text leaked: %s", a.raw)
			}
			conforms(t, "Problem", a)
			ev := a.body["evidence"]
			if tt.evidence {
				id, _ := field(ev, "recordId").(string)
				rec := s.records(t)[id]
				if rec == nil || rec.FaultCode != tt.faultCode || rec.Outcome == "ok" {
					t.Errorf("journal record %q = %+v", id, rec)
				}
			}
		})
	}
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	// The breaker runs on a clock the test moves: no sleeping through OpenFor.
	var mu sync.Mutex
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := newStack(t, stackOptions{breaker: ssclient.BreakerOptions{FailureThreshold: 2, OpenFor: 30 * time.Second, Now: clock}})
	s.ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 2, FaultCode: "Server.ServerProxy.ServiceFailed.NetworkError"})
	const path = "/v1/suppliers/01503201010234/tax-debt"
	for i := range 2 {
		if a := s.get(t, path); a.status != 502 {
			t.Fatalf("failure %d: %d %s", i, a.status, a.raw)
		}
	}
	before := s.ss.Received(fixtures.TaxDebtService)
	a := s.get(t, path)
	if a.status != 503 || field(a.body, "code") != "service_unavailable" || a.header.Get("Retry-After") == "" {
		t.Fatalf("breaker open: %d %v %s", a.status, a.header, a.raw)
	}
	if s.ss.Received(fixtures.TaxDebtService) != before {
		t.Error("a call went to the security server while the breaker was open")
	}
	// Other services are unaffected.
	if a := s.get(t, "/v1/suppliers/01503201010234/social-fund-debt"); a.status != 200 {
		t.Errorf("other service: %d", a.status)
	}
	if a := s.get(t, path); a.status != 503 || a.header.Get("Retry-After") != "30" {
		t.Fatalf("still open at the same instant: %d Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	mu.Lock()
	now = now.Add(30 * time.Second)
	mu.Unlock()
	if a := s.get(t, path); a.status != 200 {
		t.Fatalf("after recovery: %d %s", a.status, a.raw)
	}
	if a := s.get(t, path); a.status != 200 {
		t.Fatalf("closed again: %d %s", a.status, a.raw)
	}
}

func TestRequestValidationAndAuth(t *testing.T) {
	s := newStack(t, stackOptions{})
	ok := map[string]string{"X-User-Id": officer}
	tests := []struct {
		name, method, path, key string
		hdr                     map[string]string
		body                    string
		status                  int
		code, field             string
	}{
		{"missing officer id", "GET", "/v1/suppliers/01503201010234/tax-debt", portalKey, nil, "", 400, "missing_user_id", "X-User-Id"},
		{"bad officer id", "GET", "/v1/suppliers/01503201010234/tax-debt", portalKey, map[string]string{"X-User-Id": "KG21504197800123"}, "", 400, "invalid_pin", "X-User-Id"},
		{"bad INN length", "GET", "/v1/suppliers/0150320101023/tax-debt", portalKey, ok, "", 400, "invalid_inn", "inn"},
		{"bad INN first digit", "GET", "/v1/suppliers/51503201010234/founders", portalKey, ok, "", 400, "invalid_inn", "inn"},
		{"bad PIN date", "GET", "/v1/persons/23202199012345/criminal-record", portalKey, ok, "", 400, "invalid_pin", "pin"},
		{"bad PIN sex digit", "GET", "/v1/persons/31504197800123/criminal-record", portalKey, ok, "", 400, "invalid_pin", "pin"},
		{"control char in issue", "GET", "/v1/suppliers/01503201010234/tax-debt", portalKey, map[string]string{"X-User-Id": officer, "X-Issue": "a\tb"}, "", 400, "invalid_header", "X-Issue"},
		{"unknown caller", "GET", "/v1/suppliers/01503201010234/tax-debt", "wrong-key-0123456789abcdef0123456789abcdef", ok, "", 401, "unauthenticated", ""},
		{"no credential", "GET", "/v1/suppliers/01503201010234/tax-debt", "", ok, "", 401, "unauthenticated", ""},
		{"not allowed", "GET", "/v1/suppliers/01503201010234/tax-debt", auditorKey, ok, "", 403, "forbidden", ""},
		{"unknown route", "GET", "/v1/suppliers/01503201010234/passport", portalKey, ok, "", 404, "not_found_route", ""},
		{"wrong method", "DELETE", "/v1/suppliers/01503201010234/tax-debt", portalKey, ok, "", 405, "method_not_allowed", ""},
		{"batch: unknown field", "POST", "/v1/supplier-checks", portalKey, ok, `{"inn":"01503201010234","checks":["founders"],"x":1}`, 400, "invalid_json", ""},
		{"batch: no checks", "POST", "/v1/supplier-checks", portalKey, ok, `{"inn":"01503201010234","checks":[]}`, 400, "missing_checks", "checks"},
		{"batch: unknown check", "POST", "/v1/supplier-checks", portalKey, ok, `{"inn":"01503201010234","checks":["passport"]}`, 400, "unknown_check", "checks"},
		{"batch: person check without PIN", "POST", "/v1/supplier-checks", portalKey, ok, `{"inn":"01503201010234","checks":["criminal-record"]}`, 400, "missing_representative_pin", "representativePin"},
		{"batch: bad representative PIN", "POST", "/v1/supplier-checks", portalKey, ok, `{"inn":"01503201010234","representativePin":"1","checks":["founders"]}`, 400, "invalid_pin", "representativePin"},
		{"batch: forbidden check", "POST", "/v1/supplier-checks", auditorKey, ok, `{"inn":"01503201010234","checks":["founders","tax-debt"]}`, 403, "forbidden", ""},
		{"batch: huge body", "POST", "/v1/supplier-checks", portalKey, ok, `{"inn":"` + strings.Repeat("0", 70000) + `"}`, 413, "body_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.ss.Received(fixtures.TaxDebtService)
			a := s.do(t, tt.method, tt.path, tt.key, tt.hdr, tt.body)
			if a.status != tt.status || field(a.body, "code") != tt.code {
				t.Fatalf("got %d %s, want %d %s", a.status, a.raw, tt.status, tt.code)
			}
			if tt.field != "" && field(a.body, "field") != tt.field {
				t.Errorf("field = %v, want %s", field(a.body, "field"), tt.field)
			}
			if tt.status == 401 && a.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if s.ss.Received(fixtures.TaxDebtService) != before {
				t.Error("a refused request reached the security server")
			}
			conforms(t, "Problem", a)
		})
	}
	// X-API-Key works as well as Bearer.
	req, _ := http.NewRequest("GET", s.api.URL+"/v1/suppliers/01503201010234/founders", nil)
	req.Header.Set("X-API-Key", auditorKey)
	req.Header.Set("X-User-Id", officer)
	resp, err := s.client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("X-API-Key: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

func TestBatchRunsConcurrentlyWithPartialResults(t *testing.T) {
	s := newStack(t, stackOptions{timeout: 300 * time.Millisecond})
	// tax-debt of this company fails at the provider; founders times out.
	s.ss.Inject(fixtures.FoundersService, xroadtest.Injection{Times: 1, Delay: 2 * time.Second})
	body := `{"inn":"00710201100729","representativePin":"22201197000311","checks":["tax-debt","social-fund-debt","founders","criminal-record"]}`
	start := time.Now()
	a := s.do(t, "POST", "/v1/supplier-checks", portalKey, map[string]string{"X-User-Id": officer, "X-Issue": "tender-2026-117/lot-3"}, body)
	if a.status != 200 {
		t.Fatalf("batch: %d %s", a.status, a.raw)
	}
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Errorf("batch took %v: checks are not concurrent (or the slow one was not cut off)", el)
	}
	conforms(t, "BatchResponse", a)
	res, _ := a.body["results"].([]any)
	if len(res) != 4 || a.body["complete"] != false {
		t.Fatalf("results = %s", a.raw)
	}
	want := []struct{ check, status, code string }{
		{"tax-debt", "error", "provider_error"}, {"social-fund-debt", "ok", ""}, {"founders", "error", "timeout"}, {"criminal-record", "ok", ""},
	}
	for i, w := range want {
		if field(res[i], "check") != w.check || field(res[i], "status") != w.status {
			t.Errorf("result %d = %v", i, res[i])
		}
		if w.code != "" && field(res[i], "problem", "code") != w.code {
			t.Errorf("result %d error = %v, want %s", i, field(res[i], "problem"), w.code)
		}
	}
	if field(res[3], "data", "hasActiveRecord") != true {
		t.Errorf("criminal record of the representative: %v", res[3])
	}
	s.checkEvidence(t, field(res[1], "evidence"), fixtures.SocialFundDebtService, true)
	s.checkEvidence(t, field(res[0], "evidence"), fixtures.TaxDebtService, true)

	a = s.do(t, "POST", "/v1/supplier-checks", portalKey, map[string]string{"X-User-Id": officer}, `{"inn":"01101201099999","checks":["tax-debt"]}`)
	if field(a.body, "results") == nil || field(a.body["results"].([]any)[0], "status") != "not-found" || a.body["complete"] != true {
		t.Errorf("not-found in batch: %s", a.raw)
	}
}

func TestOpenAPIServed(t *testing.T) {
	s := newStack(t, stackOptions{})
	resp, err := s.client.Get(s.api.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(b, portalapi.JSON) {
		t.Errorf("/openapi.json: %d, %d bytes", resp.StatusCode, len(b))
	}
}

func TestJournalFailureWithholdsResult(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.journal.Close()
	a := s.get(t, "/v1/suppliers/01503201010234/tax-debt")
	if a.status != 503 || field(a.body, "code") != "journal_unavailable" || field(a.body, "data") != nil {
		t.Errorf("journal closed: %d %s", a.status, a.raw)
	}
	if a.header.Get("Retry-After") == "" {
		t.Errorf("journal closed: 503 without Retry-After")
	}
}

func ExampleGateway() {
	fmt.Println(gateway.HeaderUserID, gateway.HeaderIssue)
	// Output: X-User-Id X-Issue
}

var _ = context.Background
