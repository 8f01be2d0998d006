package ssclient_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

func newClient(t *testing.T, ss *xroadtest.SecurityServer, mod func(*ssclient.Options)) *ssclient.Client {
	t.Helper()
	o := ssclient.Options{URL: ss.URL, TLSConfig: ss.ClientTLSConfig(), Client: fixtures.PortalClient, Timeout: 2 * time.Second,
		Retry: ssclient.RetryOptions{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}}
	if mod != nil {
		mod(&o)
	}
	c, err := ssclient.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func taxRequest(t *testing.T, inn string) *soap.Message {
	t.Helper()
	m, err := soap.NewRequest(soap.Request{Client: fixtures.PortalClient, Service: fixtures.TaxDebtService, UserID: "KG21504197800123", Issue: "tender-2026-0042",
		BodyNamespace: fixtures.TaxNamespace, Body: []byte("<request><INN>" + inn + "</INN><RepresentativePIN>21504197800123</RepresentativePIN></request>")})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDoHappyPath(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		ss := fixtures.StartDemo(t, fixtures.DemoOptions{TLS: tlsOn})
		c := newClient(t, ss, nil)
		d := fixtures.Default()
		req := taxRequest(t, d.INNWithTaxDebt())
		ex, err := c.Do(context.Background(), req, ssclient.CallOptions{})
		if err != nil {
			t.Fatalf("tls=%v: %v", tlsOn, err)
		}
		if ex.Response.Header().RequestHash != soap.RequestHash(req.SOAP()) || ex.Attempts != 1 || ex.HTTPStatus != 200 {
			t.Errorf("exchange %+v", ex)
		}
		if !strings.Contains(string(ex.Response.BodyElement()), "<HasArrears>true</HasArrears>") {
			t.Errorf("body %s", ex.Response.BodyElement())
		}
		if !ex.Finished.After(ex.Started) && !ex.Finished.Equal(ex.Started) {
			t.Error("times")
		}
	}
}

func TestFaultsBothCodeStyles(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	c := newClient(t, ss, func(o *ssclient.Options) { o.Breaker.Disabled = true })
	for _, raw := range []string{"Server.ServerProxy.ServiceFailed.NetworkError", "server.serverproxy.service_failed.unknown_host"} {
		ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, FaultCode: raw, FaultString: "provider unreachable"})
		ex, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{})
		var fe *ssclient.FaultError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: err = %v", raw, err)
		}
		if fe.Code != "Server.ServerProxy.ServiceFailed.NetworkError" || fe.RawCode != raw || fe.String != "provider unreachable" || !fe.IsXRoad() || fe.IsClientError() {
			t.Errorf("%s: %+v", raw, fe)
		}
		if ex == nil || ex.Response == nil {
			t.Error("no exchange evidence with a fault")
		}
	}
	// Access denied: another client.
	req, _ := soap.NewRequest(soap.Request{Client: soap.ClientID{Instance: "central-server", MemberClass: "COM", MemberCode: "60000001", SubsystemCode: "x"},
		Service: fixtures.TaxDebtService, Body: []byte("<request/>")})
	_, err := c.Do(context.Background(), req, ssclient.CallOptions{})
	var fe *ssclient.FaultError
	if !errors.As(err, &fe) || fe.Code != "Server.ServerProxy.AccessDenied" {
		t.Errorf("access denied: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	c := newClient(t, ss, nil)
	ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Delay: 2 * time.Second})
	start := time.Now()
	_, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ssclient.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("timeout took %v", d)
	}
	if n := ss.Received(fixtures.TaxDebtService); n != 1 {
		t.Errorf("a timed-out call must not be retried: received %d", n)
	}
}

func TestProtocolViolations(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	c := newClient(t, ss, nil)
	tests := []struct {
		name string
		inj  xroadtest.Injection
		code soap.FaultCode
	}{
		{"echo", xroadtest.Injection{Times: 1, CorruptEcho: true}, soap.CodeInconsistentResponse},
		{"hash", xroadtest.Injection{Times: 1, WrongRequestHash: true}, soap.CodeInvalidRequestHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss.Inject(fixtures.TaxDebtService, tt.inj)
			ex, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{})
			if !errors.Is(err, &soap.ValidationError{Code: tt.code}) {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if ex == nil || ex.Response == nil {
				t.Error("the violating answer must be kept as evidence")
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Malformed: true})
		ex, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{})
		var me *ssclient.MalformedResponseError
		if !errors.As(err, &me) || me.HTTPStatus != 200 {
			t.Fatalf("err = %v", err)
		}
		if ex == nil || ex.Response != nil {
			t.Errorf("exchange %+v", ex)
		}
	})
	t.Run("html", func(t *testing.T) {
		ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Malformed: true, MalformedBody: []byte("<html>502</html>"), MalformedContentType: "text/html"})
		_, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{})
		var me *ssclient.MalformedResponseError
		if !errors.As(err, &me) || me.ContentType != "text/html" {
			t.Fatalf("err = %v", err)
		}
	})
}

// fakeClock is a clock tests move by hand, so breaker timing is tested
// exactly and without sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	var mu sync.Mutex
	var transitions []string
	const openFor = 30 * time.Second
	clock := &fakeClock{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	c := newClient(t, ss, func(o *ssclient.Options) {
		o.Breaker = ssclient.BreakerOptions{FailureThreshold: 3, OpenFor: openFor, Now: clock.Now, OnStateChange: func(_ string, from, to ssclient.BreakerState) {
			mu.Lock()
			transitions = append(transitions, from.String()+"→"+to.String())
			mu.Unlock()
		}}
	})
	key := fixtures.TaxDebtService.String()
	inn := fixtures.Default().INNClean()
	ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 4, FaultCode: "Server.ServerProxy.ServiceFailed.HttpError"})
	for i := 0; i < 3; i++ {
		if _, err := c.Do(context.Background(), taxRequest(t, inn), ssclient.CallOptions{}); err == nil {
			t.Fatal("injected fault not reported")
		}
	}
	if st := c.BreakerStates()[key]; st != ssclient.BreakerOpen {
		t.Fatalf("after 3 failures: %v", st)
	}
	before := ss.Received(fixtures.TaxDebtService)
	ex, err := c.Do(context.Background(), taxRequest(t, inn), ssclient.CallOptions{})
	var bo *ssclient.BreakerOpenError
	if !errors.As(err, &bo) || bo.Service != key || bo.RetryAfter != openFor || ex != nil {
		t.Fatalf("open breaker: %v %+v", err, bo)
	}
	if ss.Received(fixtures.TaxDebtService) != before {
		t.Error("an open breaker must not send")
	}
	clock.Advance(openFor - time.Second)
	if st := c.BreakerStates()[key]; st != ssclient.BreakerOpen {
		t.Errorf("a second before OpenFor: %v", st)
	}
	if _, err := c.Do(context.Background(), taxRequest(t, inn), ssclient.CallOptions{}); !errors.As(err, &bo) || bo.RetryAfter != time.Second {
		t.Fatalf("a second before OpenFor: %v", err)
	}
	clock.Advance(time.Second)
	if st := c.BreakerStates()[key]; st != ssclient.BreakerHalfOpen {
		t.Errorf("after OpenFor: %v", st)
	}
	// The trial fails (4th injected fault): open again.
	if _, err := c.Do(context.Background(), taxRequest(t, inn), ssclient.CallOptions{}); errors.As(err, &bo) || err == nil {
		t.Fatalf("trial: %v", err)
	}
	if st := c.BreakerStates()[key]; st != ssclient.BreakerOpen {
		t.Errorf("after failed trial: %v", st)
	}
	clock.Advance(openFor)
	if _, err := c.Do(context.Background(), taxRequest(t, inn), ssclient.CallOptions{}); err != nil {
		t.Fatalf("successful trial: %v", err)
	}
	if st := c.BreakerStates()[key]; st != ssclient.BreakerClosed {
		t.Errorf("after successful trial: %v", st)
	}
	mu.Lock()
	got := strings.Join(transitions, ",")
	mu.Unlock()
	if got != "closed→open,open→half-open,half-open→open,open→half-open,half-open→closed" {
		t.Errorf("transitions %s", got)
	}
	// Access denied does not count as a failure.
	other := soap.ClientID{Instance: "central-server", MemberClass: "COM", MemberCode: "60000001", SubsystemCode: "x"}
	for i := 0; i < 5; i++ {
		req, _ := soap.NewRequest(soap.Request{Client: other, Service: fixtures.TaxDebtService, Body: []byte("<request/>")})
		c.Do(context.Background(), req, ssclient.CallOptions{})
	}
	if st := c.BreakerStates()[key]; st != ssclient.BreakerClosed {
		t.Errorf("access denials opened the breaker: %v", st)
	}
}

func TestRetryOnlyWhenSafe(t *testing.T) {
	t.Run("connection refused is retried", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens: connection refused
		c, err := ssclient.New(ssclient.Options{URL: "http://" + addr, Client: fixtures.PortalClient,
			Retry: ssclient.RetryOptions{MaxAttempts: 3, InitialBackoff: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		ex, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{})
		if !errors.Is(err, ssclient.ErrUnreachable) {
			t.Fatalf("err = %v", err)
		}
		if ex == nil || ex.Attempts != 3 {
			t.Errorf("exchange %+v", ex)
		}
		if err := c.Ping(context.Background()); !errors.Is(err, ssclient.ErrUnreachable) {
			t.Errorf("Ping: %v", err)
		}
	})
	t.Run("dropped after sending is not retried", func(t *testing.T) {
		ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
		c := newClient(t, ss, nil)
		ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, DropConnection: true})
		ex, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{})
		if !errors.Is(err, ssclient.ErrConnectionLost) {
			t.Fatalf("err = %v", err)
		}
		if ex.Attempts != 1 || ss.ProviderCalls(fixtures.TaxDebtService) != 1 {
			t.Errorf("attempts %d, provider calls %d", ex.Attempts, ss.ProviderCalls(fixtures.TaxDebtService))
		}
	})
	t.Run("idempotent metaservice is retried after sending", func(t *testing.T) {
		var calls atomic.Int32
		flaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				panic(http.ErrAbortHandler) // the first listClients is cut off
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"member":[{"id":{"member_class":"GOV","member_code":"70000002","object_type":"MEMBER","xroad_instance":"central-server"},"name":"GNS"}]}`))
		})
		hs := newHTTPServer(t, flaky)
		c, err := ssclient.New(ssclient.Options{URL: hs, Client: fixtures.PortalClient, Retry: ssclient.RetryOptions{InitialBackoff: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := c.ListClients(context.Background(), "", ssclient.MetaOptions{})
		if err != nil || len(ms) != 1 || ms[0].ID.MemberCode != "70000002" || calls.Load() != 2 {
			t.Errorf("ListClients = %v, %v after %d calls", ms, err, calls.Load())
		}
	})
}

func TestTLSWithoutClientCertificateIsRefused(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{TLS: true})
	c := newClient(t, ss, func(o *ssclient.Options) {
		cfg := ss.ClientTLSConfig()
		cfg.Certificates = nil
		o.TLSConfig = cfg
	})
	_, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{})
	// Usually the server's "certificate required" alert arrives
	// (ErrUnreachable); with TLS 1.3 the client may instead have written
	// its request before the server hung up, and cannot tell it was never
	// processed (ErrConnectionLost). Either way nothing reached the SS.
	if !errors.Is(err, ssclient.ErrUnreachable) && !errors.Is(err, ssclient.ErrConnectionLost) {
		t.Fatalf("err = %v", err)
	}
	if n := ss.Received(fixtures.TaxDebtService); n != 0 {
		t.Errorf("request got through: %d", n)
	}
	// And a server we do not trust is refused on our side.
	c2 := newClient(t, ss, func(o *ssclient.Options) {
		cfg := ss.ClientTLSConfig()
		cfg.RootCAs = nil
		o.TLSConfig = cfg
	})
	if _, err := c2.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{}); !errors.Is(err, ssclient.ErrUnreachable) {
		t.Fatalf("untrusted server: %v", err)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	var cur, peak atomic.Int32
	ss.HandleFunc(fixtures.TaxDebtService, func(ctx context.Context, req *soap.Message) (*soap.Message, error) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		return soap.NewResponse(req, "", []byte(`<response xmlns=""/>`))
	})
	c := newClient(t, ss, func(o *ssclient.Options) { o.MaxConcurrent = 3 })
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want ≤ 3 (and some parallelism)", p)
	}
}
