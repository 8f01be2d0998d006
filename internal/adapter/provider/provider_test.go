package provider_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange/exchangetest"
	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

const (
	providerID = "central-server/GOV/70000099/zakupki-registry"
	consumerID = "central-server/GOV/70000001/zakupki-portal"
)

// backend is the participant's own JSON API: suppliers by INN.
func backend(t *testing.T, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("X-Road-Client") != consumerID {
			http.Error(w, "missing X-Road-Client", http.StatusTeapot)
			return
		}
		inn := strings.TrimPrefix(r.URL.Path, "/suppliers/")
		switch inn {
		case "01234567890123":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"name": "ОсОО \"Ала-Тоо Курулуш\" & Co", "registered": true, "blacklisted": false,
				"lots": []any{map[string]any{"id": "T-2026-17"}, map[string]any{"id": "T-2026-18"}},
			})
		case "00000000000000":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"message":"INN checksum does not match"}`))
		case "09999999999999":
			select { // slower than the service timeout
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		case "05555555555555":
			http.Error(w, "db down", http.StatusInternalServerError)
		case "06666666666666":
			_, _ = w.Write([]byte(`{"bad key": 1}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type fixture struct {
	ss      *xroadtest.SecurityServer
	jr      *exchangetest.Memory
	calls   *atomic.Int32
	service soap.ServiceID
}

func setup(t *testing.T, echo bool) *fixture {
	t.Helper()
	calls := &atomic.Int32{}
	be := backend(t, calls)
	jr := &exchangetest.Memory{}
	prov, _ := soap.ParseClientID(providerID)
	h, err := provider.New(provider.Options{
		Provider: prov,
		Services: []provider.Service{{
			Code: "getSupplier", Version: "v1", Backend: be.URL + "/suppliers/{inn}",
			Required: []string{"inn"}, EchoRequest: echo, Timeout: 300 * time.Millisecond,
		}},
		Recorder: jr,
	})
	if err != nil {
		t.Fatal(err)
	}
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	t.Cleanup(ss.Close)
	svc, _ := soap.ParseServiceID(providerID + "/getSupplier/v1")
	ss.Handle(svc, h)
	return &fixture{ss: ss, jr: jr, calls: calls, service: svc}
}

// call sends a request through the emulated security server, which checks
// the provider's echo and adds requestHash, as a real one does.
func (f *fixture) call(t *testing.T, body string) (*soap.Message, *soap.Message) {
	t.Helper()
	return legacyCall(t, f.ss, f.service, body)
}

func TestFoundLegacyStyleEchoesRequest(t *testing.T) {
	f := setup(t, true)
	req, resp := f.call(t, "<request><inn>01234567890123</inn></request>")
	if flt, ok := resp.Fault(); ok {
		t.Fatalf("fault %s: %s", flt.Code, flt.String)
	}
	if err := soap.Echoes(req, resp); err != nil {
		t.Errorf("response does not echo the request header: %v", err)
	}
	if err := resp.CheckRequestHash(req); err != nil {
		t.Errorf("requestHash: %v", err)
	}
	if got := resp.BodyName().Local; got != "getSupplierResponse" {
		t.Errorf("wrapper = %s, want getSupplierResponse", got)
	}
	body := string(resp.BodyElement())
	for _, want := range []string{
		"<request><inn>01234567890123</inn></request><response>",
		"<name>ОсОО &#34;Ала-Тоо Курулуш&#34; &amp; Co</name>",
		"<lots><id>T-2026-17</id></lots><lots><id>T-2026-18</id></lots>",
		"<registered>true</registered>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestWCFStyleParams(t *testing.T) {
	f := setup(t, false)
	_, resp := f.call(t, "<inn>01234567890123</inn><RequestOrg>zakupki</RequestOrg>")
	if _, ok := resp.Fault(); ok {
		t.Fatal("unexpected fault")
	}
	if body := string(resp.BodyElement()); strings.Contains(body, "<request>") || !strings.Contains(body, "<registered>true</registered>") {
		t.Errorf("body = %s", body)
	}
}

func TestBusinessErrorsTravelInTheBody(t *testing.T) {
	f := setup(t, true)
	for _, tt := range []struct{ inn, code, msg string }{
		{"01111111111111", "NOT_FOUND", "no record"},
		{"00000000000000", "BAD_REQUEST", "INN checksum does not match"},
		{"", "BAD_REQUEST", "required parameter inn is missing"},
	} {
		_, resp := f.call(t, "<request><inn>"+tt.inn+"</inn></request>")
		if flt, ok := resp.Fault(); ok {
			t.Errorf("inn %q: technical fault %s, want a body fault", tt.inn, flt.Code)
			continue
		}
		body := string(resp.BodyElement())
		if !strings.Contains(body, "<faultCode>"+tt.code+"</faultCode>") || !strings.Contains(body, tt.msg) {
			t.Errorf("inn %q: body = %s, want %s / %s", tt.inn, body, tt.code, tt.msg)
		}
	}
}

func TestTechnicalFailuresAreSOAPFaults(t *testing.T) {
	f := setup(t, false)
	for _, tt := range []struct{ inn, code string }{
		{"09999999999999", "Server.ServiceFailed.Timeout"},
		{"05555555555555", "Server.ServiceFailed"},
		{"06666666666666", "Server.ServiceFailed"},
	} {
		_, resp := f.call(t, "<inn>"+tt.inn+"</inn>")
		flt, ok := resp.Fault()
		if !ok {
			t.Errorf("inn %s: no fault; body %s", tt.inn, resp.BodyElement())
			continue
		}
		if flt.Code != tt.code {
			t.Errorf("inn %s: fault %s, want %s", tt.inn, flt.Code, tt.code)
		}
		if strings.Contains(flt.String, "db down") || strings.Contains(flt.String, "127.0.0.1") {
			t.Errorf("fault string leaks backend detail: %q", flt.String)
		}
	}
}

func TestRejectsWhatTheSecurityServerShouldNotSend(t *testing.T) {
	prov, _ := soap.ParseClientID(providerID)
	h, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{{Code: "getSupplier", Backend: "http://127.0.0.1:1/x"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(ct string, body []byte) (*http.Response, *soap.Fault) {
		resp, err := http.Post(srv.URL, ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		m, err := soap.Parse(resp.Body, resp.Header.Get("Content-Type"), soap.Limits{})
		if err != nil {
			t.Fatalf("fault does not parse: %v", err)
		}
		flt, _ := m.Fault()
		return resp, flt
	}
	other := xroadtest.NewRequest(consumerID, "central-server/GOV/70000002/gns-service/getSupplier/v1", "<inn>1</inn>")
	corpusMissingHeader, err := os.ReadFile(filepath.Join(corpus.Dir(t, "soap"), "faulty-header.query"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, ct string
		body     []byte
		want     string
	}{
		{"not xml", "text/xml", []byte("hello"), "Client.InvalidSoap"},
		{"wrong provider", other.ContentType(), other.Bytes(), "Server.ServerProxy.UnknownService"},
		{"content type", "application/json", other.Bytes(), "Client.InvalidContentType"},
		{"missing header field", "text/xml; charset=UTF-8", corpusMissingHeader, "Client.MissingHeaderField"},
	} {
		resp, flt := post(tt.ct, tt.body)
		if resp.StatusCode != http.StatusInternalServerError || flt == nil || flt.Code != tt.want {
			t.Errorf("%s: status %d fault %+v, want 500 %s", tt.name, resp.StatusCode, flt, tt.want)
		}
	}
}

func TestEveryExchangeIsJournalled(t *testing.T) {
	f := setup(t, true)
	req, _ := f.call(t, "<request><inn>01234567890123</inn></request>")
	f.call(t, "<request><inn>01111111111111</inn></request>")
	got := f.jr.Exchanges()
	if len(got) != 2 {
		t.Fatalf("journal has %d records, want 2", len(got))
	}
	first := got[0]
	if first.MessageID != req.Header().ID || first.Caller != consumerID || first.Outcome != "ok" || first.Check != "provider:getSupplier" {
		t.Errorf("first record = %+v", first)
	}
	if !bytes.Equal(first.Request.Body, req.Bytes()) {
		t.Errorf("journalled request differs from what was sent")
	}
	if first.Protocol != exchange.SOAP || first.Client != consumerID || first.Request.XRoadHeader == "" ||
		!strings.Contains(first.Request.XRoadHeader, req.Header().ID) {
		t.Errorf("first record: protocol %q, client %q, X-Road header %q (want them from the parsed request)",
			first.Protocol, first.Client, first.Request.XRoadHeader)
	}
	if got[1].Outcome != "business-error" || got[1].FaultCode != "NOT_FOUND" {
		t.Errorf("second record outcome %q code %q", got[1].Outcome, got[1].FaultCode)
	}
}

func TestNewRejectsBadServices(t *testing.T) {
	prov, _ := soap.ParseClientID(providerID)
	for _, s := range []provider.Service{
		{Code: "bad/code", Backend: "http://x/"},
		{Code: "ok", Backend: "ftp://x/"},
		{Code: "ok", Backend: "http://x/", Method: "DELETE"},
	} {
		if _, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{s}}); err == nil {
			t.Errorf("New accepted %+v", s)
		}
	}
	if _, err := provider.New(provider.Options{Provider: prov}); err == nil {
		t.Error("New accepted no services")
	}
}
