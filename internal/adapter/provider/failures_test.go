package provider_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

// Backend failures over loopback end in the right SOAP fault, seen by the
// consumer through the emulated security server, always with the
// request's header echoed (or, for a legacy fault, as the backend wrote
// it) — never a hang, a 200 with a broken body, or internals.
func TestBackendFailuresGiveTheRightFault(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	}))
	defer garbage.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "db down", http.StatusInternalServerError)
	}))
	defer failing.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // nothing listens there any more

	prov, _ := soap.ParseClientID(providerID)
	d := describedService()
	svc := func(code, backend string) provider.Service {
		dd := *d
		dd.Code = code
		return provider.Service{Code: code, Version: "v1", Backend: backend + "/{inn}", Description: &dd, Timeout: 300 * time.Millisecond}
	}
	h, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{
		svc("slow", slow.URL), svc("garbage", garbage.URL), svc("failing", failing.URL), svc("down", downURL),
		{Code: "legacyDown", Version: "v1", Backend: downURL, SOAPBackend: true, Timeout: time.Second},
		{Code: "legacyGarbage", Version: "v1", Backend: garbage.URL, SOAPBackend: true, Timeout: time.Second},
		{Code: "legacySlow", Version: "v1", Backend: slow.URL, SOAPBackend: true, Timeout: 300 * time.Millisecond},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	for _, c := range []string{"slow", "garbage", "failing", "down", "legacyDown", "legacyGarbage", "legacySlow", "unknown"} {
		for _, v := range []string{"v1", "v2"} {
			id, _ := soap.ParseServiceID(providerID + "/" + c + "/" + v)
			ss.Handle(id, h)
		}
	}
	other, _ := soap.ParseServiceID("central-server/GOV/70000099/other-subsystem/slow/v1")
	ss.Handle(other, h)

	for _, c := range []struct{ service, want string }{
		{providerID + "/slow/v1", "Server.ServiceFailed.Timeout"},
		{providerID + "/garbage/v1", "Server.ServiceFailed.InvalidBackendAnswer"},
		{providerID + "/failing/v1", "Server.ServiceFailed"},
		{providerID + "/down/v1", "Server.ServiceFailed"},
		{providerID + "/legacyDown/v1", "Server.ServiceFailed"},
		{providerID + "/legacyGarbage/v1", "Server.ServiceFailed"},
		{providerID + "/legacySlow/v1", "Server.ServiceFailed.Timeout"},
		{providerID + "/unknown/v1", "Server.ServerProxy.UnknownService"},
		{providerID + "/slow/v2", "Server.ServerProxy.UnknownService"},
		{other.String(), "Server.ServerProxy.UnknownService"},
	} {
		t.Run(c.service, func(t *testing.T) {
			req := xroadtest.NewRequest(consumerID, c.service, "<inn>02207200800561</inn>")
			start := time.Now()
			resp, err := ss.Client().Post(ss.URL, req.ContentType(), bytes.NewReader(req.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			m, err := soap.Parse(resp.Body, resp.Header.Get("Content-Type"), soap.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			f, ok := m.Fault()
			if !ok || f.Code != c.want {
				t.Fatalf("answer %v %+v, want fault %s", ok, f, c.want)
			}
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("HTTP %d, want 500 with a fault", resp.StatusCode)
			}
			if err := soap.Echoes(req, m); err != nil {
				t.Errorf("the fault does not echo the request header: %v", err)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("took %s; the service timeout is 300ms", el)
			}
			for _, leak := range []string{"127.0.0.1", "db down", "html", "dial"} {
				if bytes.Contains(m.Bytes(), []byte(leak)) {
					t.Errorf("fault leaks %q: %s", leak, m.Bytes())
				}
			}
		})
	}
}

// A failing backend's error, logged with its URL, never shows the INN.
func TestBackendErrorLogMasksIdentifiers(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	core, logs := observer.New(zap.DebugLevel)
	prov, _ := soap.ParseClientID(providerID)
	h, err := provider.New(provider.Options{Provider: prov, Logger: zap.New(core), Services: []provider.Service{
		{Code: "getSupplier", Version: "v1", Backend: downURL + "/s/{inn}", Description: describedService(), Timeout: time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	req := xroadtest.NewRequest(consumerID, providerID+"/getSupplier/v1", "<inn>02207200800561</inn>")
	hr := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(req.Bytes()))
	hr.Header.Set("Content-Type", req.ContentType())
	h.ServeHTTP(httptest.NewRecorder(), hr)
	if logs.FilterMessage("backend call failed").Len() != 1 {
		t.Fatalf("no backend failure logged: %v", logs.All())
	}
	for _, e := range logs.All() {
		if strings.Contains(fmt.Sprint(e.ContextMap()), "02207200800561") {
			t.Errorf("log line %q shows the INN: %v", e.Message, e.ContextMap())
		}
	}
}
