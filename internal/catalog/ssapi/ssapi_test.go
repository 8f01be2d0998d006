package ssapi_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/catalog/ssapitest"
	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
)

const sub = "DEV:GOV:1234:SUB"

func newClient(t *testing.T, fake *ssapitest.Server, mod func(*ssapi.Options)) *ssapi.Client {
	t.Helper()
	o := ssapi.Options{BaseURL: fake.URL, APIKey: fake.APIKey(), PinSHA256: fake.Pin}
	if mod != nil {
		mod(&o)
	}
	c, err := ssapi.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRegistrationRoundTrip(t *testing.T) {
	fake := ssapitest.NewServer(t, ssapitest.Options{})
	fake.Publish("https://is.example/person.wsdl", ssapitest.Published{
		Services:   []ssapitest.PublishedService{{Code: "getPerson", Version: "v1"}, {Code: "listPersons", Version: "v1"}},
		ServiceURL: "http://is.example/soap",
	})
	c := newClient(t, fake, nil)
	ctx := context.Background()

	if _, err := c.GetClient(ctx, sub); !errors.Is(err, ssapi.ErrNotFound) {
		t.Fatalf("GetClient(missing) = %v, want ErrNotFound", err)
	}
	cl, _, err := c.AddClient(ctx, ssapi.ClientAdd{MemberClass: "GOV", MemberCode: "1234", SubsystemCode: "SUB"})
	if err != nil {
		t.Fatal(err)
	}
	if cl.ID != sub {
		t.Errorf("added client id = %q, want %q", cl.ID, sub)
	}
	if _, _, err := c.AddClient(ctx, ssapi.ClientAdd{MemberClass: "GOV", MemberCode: "1234", SubsystemCode: "SUB"}); !errors.Is(err, ssapi.ErrConflict) {
		t.Errorf("second AddClient = %v, want ErrConflict", err)
	}
	all, err := c.Clients(ctx, ssapi.ClientQuery{Instance: "DEV"})
	if err != nil || len(all) != 2 {
		t.Fatalf("Clients = %v, %v; want owner and subsystem", all, err)
	}

	sd, _, err := c.AddServiceDescription(ctx, sub, ssapi.ServiceDescriptionAdd{URL: "https://is.example/person.wsdl", Type: ssapi.TypeWSDL})
	if err != nil {
		t.Fatal(err)
	}
	if !sd.Disabled || len(sd.Services) != 2 || sd.Services[0].ID != sub+":getPerson.v1" {
		t.Fatalf("added description = %+v", sd)
	}
	rest, _, err := c.AddServiceDescription(ctx, sub, ssapi.ServiceDescriptionAdd{URL: "http://is.example/api", Type: ssapi.TypeREST, RestServiceCode: "persons"})
	if err != nil {
		t.Fatal(err)
	}
	svcID := sub + ":getPerson.v1"
	got, _, err := c.UpdateService(ctx, svcID, ssapi.ServiceUpdate{URL: "https://is.example/soap", Timeout: 30, SSLAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Timeout != 30 || !got.SSLAuth || got.URL != "https://is.example/soap" {
		t.Errorf("UpdateService answer = %+v", got)
	}
	if s, _, _ := fake.Service(sub + ":listPersons.v1"); s.Timeout != 60 {
		t.Errorf("UpdateService changed a sibling: %+v", s)
	}
	ep, err := c.AddEndpoint(ctx, sub+":persons", ssapi.Endpoint{ServiceCode: "persons", Method: "GET", Path: "/persons/*"})
	if err != nil || ep.ID == "" {
		t.Fatalf("AddEndpoint = %+v, %v", ep, err)
	}
	if _, err := c.AddEndpoint(ctx, sub+":persons", ssapi.Endpoint{ServiceCode: "persons", Method: "GET", Path: "/persons/*"}); !errors.Is(err, ssapi.ErrConflict) {
		t.Errorf("duplicate AddEndpoint = %v, want ErrConflict", err)
	}
	if _, err := c.AddServiceClients(ctx, svcID, []string{"DEV:COM:5678:portal", "DEV:security-server-owners"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddServiceClients(ctx, svcID, []string{"DEV:COM:5678:portal"}); !errors.Is(err, ssapi.ErrConflict) {
		t.Errorf("duplicate grant = %v, want ErrConflict", err)
	}
	scs, err := c.ServiceClients(ctx, svcID)
	if err != nil || len(scs) != 2 || scs[0].ServiceClientType != "SUBSYSTEM" || scs[1].ServiceClientType != "GLOBALGROUP" {
		t.Fatalf("ServiceClients = %+v, %v", scs, err)
	}
	if err := c.RemoveServiceClients(ctx, svcID, []string{"DEV:security-server-owners"}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnableServiceDescription(ctx, sd.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DisableServiceDescription(ctx, rest.ID, "maintenance"); err != nil {
		t.Fatal(err)
	}
	sds, err := c.ServiceDescriptions(ctx, sub)
	if err != nil || len(sds) != 2 {
		t.Fatalf("ServiceDescriptions = %v, %v", sds, err)
	}
	if sds[0].Disabled || !sds[1].Disabled || sds[1].DisabledNotice != "maintenance" {
		t.Errorf("enabled state not kept: %+v", sds)
	}
	if _, _, err := c.UpdateServiceDescription(ctx, rest.ID, ssapi.ServiceDescriptionUpdate{
		URL: "http://is.example/api2", Type: ssapi.TypeREST, RestServiceCode: "persons"}); err != nil {
		t.Fatal(err)
	}
	if s, err := c.Service(ctx, sub+":persons"); err != nil || s.URL != "http://is.example/api2" || len(s.Endpoints) != 2 {
		t.Errorf("Service after URL change = %+v, %v", s, err)
	}
}

// recordingTB captures the fake's Errorf so a test can check that a
// request outside the spec fails the test that sent it.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestFakeFailsTestOnRequestOutsideSpec(t *testing.T) {
	rec := &recordingTB{TB: t}
	fake := ssapitest.NewServer(rec, ssapitest.Options{})
	c := newClient(t, fake, nil)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsFor(t, fake)}}
	cases := []struct{ name, method, path, body string }{
		{"misspelt field", "POST", "/clients", `{"client":{"member_class":"GOV","member_kode":"1"}}`},
		{"read-only field sent", "POST", "/clients", `{"client":{"id":"DEV:GOV:1:X","member_class":"GOV","member_code":"1"}}`},
		{"bad enum", "POST", "/clients/" + sub + "/service-descriptions", `{"url":"http://x","type":"SOAP"}`},
		{"timeout above maximum", "PATCH", "/services/" + sub + ":x.v1", `{"url":"http://x","timeout":5000,"ssl_auth":false}`},
		{"unknown path", "GET", "/no-such-thing", ``},
	}
	for _, tc := range cases {
		rec.mu.Lock()
		before := len(rec.errs)
		rec.mu.Unlock()
		req, _ := http.NewRequest(tc.method, fake.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "X-Road-ApiKey token="+fake.APIKey())
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		rec.mu.Lock()
		after := len(rec.errs)
		rec.mu.Unlock()
		if after == before {
			t.Errorf("%s: the fake accepted a request outside the spec (HTTP %d)", tc.name, resp.StatusCode)
		}
	}
	// And the typed client's requests are all within the spec.
	rec.mu.Lock()
	before := len(rec.errs)
	rec.mu.Unlock()
	if _, _, err := c.AddClient(context.Background(), ssapi.ClientAdd{MemberClass: "GOV", MemberCode: "1234", SubsystemCode: "SUB"}); err != nil {
		t.Fatal(err)
	}
	if len(rec.errs) != before {
		t.Errorf("typed client request flagged: %v", rec.errs[before:])
	}
}

func TestRateLimitBackoff(t *testing.T) {
	fake := ssapitest.NewServer(t, ssapitest.Options{})
	sl := &ssapitest.Sleeper{}
	c := newClient(t, fake, func(o *ssapi.Options) { o.Sleep = sl.Sleep; o.BaseBackoff = 100 * time.Millisecond })
	ctx := context.Background()

	fake.Inject(ssapitest.Fault{Op: "findClients", Status: http.StatusTooManyRequests, RetryAfter: "3", Times: 2})
	if _, err := c.Clients(ctx, ssapi.ClientQuery{}); err != nil {
		t.Fatalf("Clients after two 429s = %v", err)
	}
	fake.Inject(ssapitest.Fault{Op: "getClientServiceDescriptions", Status: http.StatusTooManyRequests, Times: 3})
	fake.AddClient(sub)
	if _, err := c.ServiceDescriptions(ctx, sub); err != nil {
		t.Fatalf("ServiceDescriptions after three 429s = %v", err)
	}
	want := []time.Duration{3 * time.Second, 3 * time.Second, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	if fmt.Sprint(sl.Waits()) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v (Retry-After honoured, else doubling)", sl.Waits(), want)
	}

	// Exhausted retries end in ErrRateLimited.
	fake.Inject(ssapitest.Fault{Op: "findClients", Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 10})
	c2 := newClient(t, fake, func(o *ssapi.Options) { o.Sleep = sl.Sleep; o.MaxRetries = 2 })
	if _, err := c2.Clients(ctx, ssapi.ClientQuery{}); !errors.Is(err, ssapi.ErrRateLimited) {
		t.Errorf("Clients after exhausting retries = %v, want ErrRateLimited", err)
	}
	// A Retry-After beyond MaxWait is not slept through.
	fake2 := ssapitest.NewServer(t, ssapitest.Options{})
	fake2.Inject(ssapitest.Fault{Op: "findClients", Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	sl2 := &ssapitest.Sleeper{}
	c3 := newClient(t, fake2, func(o *ssapi.Options) { o.Sleep = sl2.Sleep; o.MaxWait = time.Minute })
	if _, err := c3.Clients(ctx, ssapi.ClientQuery{}); !errors.Is(err, ssapi.ErrRateLimited) || len(sl2.Waits()) != 0 {
		t.Errorf("Retry-After 3600 = %v after waits %v; want ErrRateLimited without waiting", err, sl2.Waits())
	}
}

func TestRealSleepHonoursRetryAfter(t *testing.T) {
	fake := ssapitest.NewServer(t, ssapitest.Options{})
	fake.Inject(ssapitest.Fault{Op: "findClients", Status: http.StatusTooManyRequests, RetryAfter: "1"})
	c := newClient(t, fake, nil)
	start := time.Now()
	if _, err := c.Clients(context.Background(), ssapi.ClientQuery{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %s, before Retry-After: 1", d)
	}
}

func TestWarnings(t *testing.T) {
	fake := ssapitest.NewServer(t, ssapitest.Options{})
	warn := ssapi.CodeWithDetails{Code: "unregistered_member", Metadata: []string{"DEV/GOV/1234"}}
	fake.InjectWarnings("addClient", warn)
	ctx := context.Background()
	add := ssapi.ClientAdd{MemberClass: "GOV", MemberCode: "1234", SubsystemCode: "SUB"}

	_, _, err := newClient(t, fake, nil).AddClient(ctx, add)
	var we *ssapi.WarningsError
	if !errors.As(err, &we) || len(we.Warnings) != 1 || we.Warnings[0].Code != "unregistered_member" {
		t.Fatalf("AddClient with warnings = %v, want *WarningsError", err)
	}
	if fake.HasClient(sub) {
		t.Fatal("client added although warnings were not accepted")
	}
	_, ws, err := newClient(t, fake, func(o *ssapi.Options) { o.AcceptWarnings = true }).AddClient(ctx, add)
	if err != nil || len(ws) != 1 || !fake.HasClient(sub) {
		t.Fatalf("AddClient accepting warnings = %v, %v", ws, err)
	}
	reqs := fake.Writes()
	if len(reqs) != 3 {
		t.Fatalf("writes = %d, want 3", len(reqs))
	}
	for i, want := range []bool{false, false, true} {
		var b struct {
			IgnoreWarnings bool `json:"ignore_warnings"`
		}
		_ = json.Unmarshal(reqs[i].Body, &b)
		if b.IgnoreWarnings != want {
			t.Errorf("request %d ignore_warnings = %v, want %v", i, b.IgnoreWarnings, want)
		}
	}
}

func tlsFor(t *testing.T, fake *ssapitest.Server) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(fake.CertPEM) {
		t.Fatal("fake certificate not PEM")
	}
	return &tls.Config{RootCAs: pool}
}

func TestTLSPinning(t *testing.T) {
	fake := ssapitest.NewServer(t, ssapitest.Options{})
	ctx := context.Background()

	wrong := sha256.Sum256([]byte("another certificate"))
	c := newClient(t, fake, func(o *ssapi.Options) { o.PinSHA256 = wrong[:] })
	_, err := c.Clients(ctx, ssapi.ClientQuery{})
	var pe *ssapi.PinError
	if !errors.As(err, &pe) {
		t.Fatalf("wrong pin: err = %v, want *PinError", err)
	}
	if len(fake.Requests()) != 0 {
		t.Errorf("a request reached the server over an unpinned connection")
	}

	pin, err := ssapi.PinFromPEM(fake.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, fake, func(o *ssapi.Options) { o.PinSHA256 = pin }).Clients(ctx, ssapi.ClientQuery{}); err != nil {
		t.Errorf("pin from PEM: %v", err)
	}
	// openssl x509 -fingerprint -sha256 output is accepted.
	var hexColons []string
	for _, b := range fake.Pin {
		hexColons = append(hexColons, fmt.Sprintf("%02X", b))
	}
	p2, err := ssapi.ParsePin("sha256 Fingerprint=" + strings.Join(hexColons, ":"))
	if err != nil || string(p2) != string(fake.Pin) {
		t.Errorf("ParsePin(openssl form) = %x, %v", p2, err)
	}
	if _, err := ssapi.ParsePin("abcd"); err == nil {
		t.Error("ParsePin accepted a short fingerprint")
	}

	for _, o := range []ssapi.Options{
		{BaseURL: "http://" + strings.TrimPrefix(fake.URL, "https://"), APIKey: "k", PinSHA256: fake.Pin},
		{BaseURL: fake.URL, APIKey: "k"},
		{BaseURL: fake.URL, PinSHA256: fake.Pin},
		{BaseURL: fake.URL, APIKey: "k\nInjected: 1", PinSHA256: fake.Pin},
	} {
		if _, err := ssapi.New(o); err == nil {
			t.Errorf("New(%+v) accepted unsafe options", o)
		}
	}
}

func TestKeyNeverLogged(t *testing.T) {
	const key = "s3cr3t-api-key-4f2a"
	fake := ssapitest.NewServer(t, ssapitest.Options{APIKey: key})
	fake.Inject(ssapitest.Fault{Op: "findClients", Status: http.StatusTooManyRequests, RetryAfter: "0"})
	core, logs := observer.New(zapcore.DebugLevel)
	sl := &ssapitest.Sleeper{}
	c := newClient(t, fake, func(o *ssapi.Options) { o.Logger = zap.New(core); o.Sleep = sl.Sleep })
	ctx := context.Background()
	var errs []error
	_, err := c.Clients(ctx, ssapi.ClientQuery{})
	errs = append(errs, err)
	_, err = c.GetClient(ctx, "DEV:GOV:1:NOPE")
	errs = append(errs, err)
	bad := newClient(t, fake, func(o *ssapi.Options) { o.Logger = zap.New(core); o.APIKey = key + "x" })
	_, err = bad.Clients(ctx, ssapi.ClientQuery{})
	if !errors.Is(err, ssapi.ErrAuth) {
		t.Errorf("wrong key: %v, want ErrAuth", err)
	}
	errs = append(errs, err)
	if logs.Len() == 0 {
		t.Fatal("no log lines to check")
	}
	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		if strings.Contains(line, key) {
			t.Errorf("log line leaks the key: %s", line)
		}
	}
	for _, e := range errs {
		if e != nil && strings.Contains(e.Error(), key) {
			t.Errorf("error leaks the key: %v", e)
		}
	}
}

func TestLoadAPIKey(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "key")
	if err := os.WriteFile(f, []byte("  abc-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := ssapi.LoadAPIKey(f, ""); err != nil || k != "abc-123" {
		t.Errorf("LoadAPIKey(file) = %q, %v", k, err)
	}
	t.Setenv("TUNDUK_TEST_SS_KEY", "from-env")
	if k, err := ssapi.LoadAPIKey("", "TUNDUK_TEST_SS_KEY"); err != nil || k != "from-env" {
		t.Errorf("LoadAPIKey(env) = %q, %v", k, err)
	}
	if _, err := ssapi.LoadAPIKey("", "TUNDUK_TEST_SS_KEY_UNSET"); err == nil {
		t.Error("unset env var accepted")
	}
	if _, err := ssapi.LoadAPIKey(filepath.Join(dir, "missing"), ""); err == nil {
		t.Error("missing file accepted")
	}
	if _, err := ssapi.LoadAPIKey("", ""); err == nil {
		t.Error("no source accepted")
	}
}

func TestParseClientID(t *testing.T) {
	id, err := ssapi.ParseClientID("DEV:GOV:1234:SUB")
	if err != nil || id.SubsystemCode != "SUB" || id.Member().String() != "DEV:GOV:1234" || id.ServiceID("getX.v1") != "DEV:GOV:1234:SUB:getX.v1" {
		t.Errorf("ParseClientID = %+v, %v", id, err)
	}
	for _, bad := range []string{"DEV:GOV", "DEV:GOV:12/34", "DEV::1:S", "A:B:C:D:E", "DEV:GOV:1%:S"} {
		if _, err := ssapi.ParseClientID(bad); err == nil {
			t.Errorf("ParseClientID(%q) accepted", bad)
		}
	}
}
