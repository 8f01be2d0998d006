package provider_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange/exchangetest"
	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/internal/testkit"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/rest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

// REST (PR-REST) requests through the emulated security server reach the
// backend, are checked against the shipped description first, and are
// journalled like SOAP exchanges.
func TestRESTProviderThroughSecurityServer(t *testing.T) {
	cat := testkit.ExampleCatalog(t)
	d := testkit.Service(t, cat, "unreliableSupplier")
	var calls atomic.Int32
	var gotHdr atomic.Value
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		gotHdr.Store(r.Header.Clone())
		switch r.URL.Path {
		case "/api/v1/unreliable-suppliers/02207200800561":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"inn":"02207200800561","listed":true,"listedFrom":"2025-01-10"}`)
		case "/api/v1/unreliable-suppliers/02207200800562":
			<-r.Context().Done() // answers only when the provider gave up (its timeout)
		case "/api/v1/unreliable-suppliers/02207200800563":
			_, _ = io.WriteString(w, `{"inn":"02207200800563","listed":"maybe"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer be.Close()
	jr := &exchangetest.Memory{}
	prov := cat.Organisation.SubsystemID(d.Subsystem)
	h, err := provider.New(provider.Options{Provider: prov, Recorder: jr, Services: []provider.Service{{
		Code: d.Code, REST: true, Backend: be.URL + "/api/v1", Description: d, Timeout: 300 * time.Millisecond,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	id := soap.ServiceID{ClientID: prov, ServiceCode: d.Code}
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	// The security server calls the service URL catalog apply registers:
	// the provider listener's /r1/<service id>, plus the path below it.
	ss.HandleREST(id, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = rest.Path(id, r.URL.Path)
		r.URL.RawPath = ""
		h.ServeHTTP(w, r)
	}))
	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ss.URL+rest.Path(id, path), nil)
		req.Header.Set(rest.HeaderClient, consumerID)
		req.Header.Set(rest.HeaderUserID, "KG22201197000311")
		resp, err := ss.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	resp, body := get("/unreliable-suppliers/02207200800561")
	if resp.StatusCode != 200 || !strings.Contains(body, `"listed":true`) {
		t.Fatalf("found: %d %s", resp.StatusCode, body)
	}
	if hd := gotHdr.Load().(http.Header); hd.Get(rest.HeaderClient) != consumerID || hd.Get(rest.HeaderUserID) != "KG22201197000311" {
		t.Errorf("backend headers %v", hd)
	}
	if resp, _ := get("/unreliable-suppliers/02207200800560"); resp.StatusCode != 404 {
		t.Errorf("not found: %d", resp.StatusCode)
	}
	n := calls.Load()
	for _, bad := range []string{"/unreliable-suppliers/0220720080056", "/unreliable-suppliers/02207200800561?admin=1", "/unreliable-suppliers/..%2Fadmin", "/other/02207200800561"} {
		resp, body := get(bad)
		var e rest.Error
		if resp.StatusCode != 400 || resp.Header.Get(rest.HeaderError) == "" || json.Unmarshal([]byte(body), &e) != nil || e.Type == "" {
			t.Errorf("%s: %d %s %s, want 400 with X-Road-Error", bad, resp.StatusCode, resp.Header.Get(rest.HeaderError), body)
		}
	}
	if calls.Load() != n {
		t.Error("the backend was called for invalid inputs")
	}
	if resp, _ := get("/unreliable-suppliers/02207200800562"); resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get(rest.HeaderError) != "Server.ServiceFailed.Timeout" {
		t.Errorf("slow backend: %d %s", resp.StatusCode, resp.Header.Get(rest.HeaderError))
	}
	if resp, body := get("/unreliable-suppliers/02207200800563"); resp.StatusCode != http.StatusBadGateway || resp.Header.Get(rest.HeaderError) != "Server.ServiceFailed.InvalidBackendAnswer" || strings.Contains(body, "maybe") {
		t.Errorf("answer not matching the description: %d %s %s", resp.StatusCode, resp.Header.Get(rest.HeaderError), body)
	}
	be.Close()
	if resp, _ := get("/unreliable-suppliers/02207200800561"); resp.StatusCode != http.StatusBadGateway || resp.Header.Get(rest.HeaderError) != "Server.ServiceFailed" {
		t.Errorf("backend down: %d %s", resp.StatusCode, resp.Header.Get(rest.HeaderError))
	}

	// Every exchange is in the journal, with who asked and what for.
	recs := jr.Exchanges()
	if len(recs) != 9 {
		t.Fatalf("%d journal records, want 9", len(recs))
	}
	first := recs[0]
	if first.Caller != consumerID || first.Service != id.Typed() || first.MessageID == "" || first.Outcome != "ok" ||
		first.Response == nil || !bytes.Contains(first.Response.Body, []byte(`"listed":true`)) {
		t.Errorf("journal record %+v", first)
	}
	if first.Protocol != exchange.REST || first.Client != consumerID {
		t.Errorf("REST record: protocol %q client %q", first.Protocol, first.Client)
	}
}
