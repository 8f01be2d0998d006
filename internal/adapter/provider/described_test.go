package provider_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

func describedService() *catalog.Service {
	return &catalog.Service{Code: "getSupplier", Version: "v1", Protocol: catalog.SOAP, Namespace: "urn:registry",
		Input: []*catalog.Field{
			{Name: "inn", Type: catalog.TypeINN, Required: true},
			{Name: "kind", Type: catalog.TypeString, Enum: []string{"full", "short"}},
		},
		Output: []*catalog.Field{
			{Name: "found", Type: catalog.TypeBoolean, Required: true},
			{Name: "name", Type: catalog.TypeString},
		},
		NotFound: &catalog.NotFound{Output: map[string]string{"found": "false"}},
	}
}

// Provider inputs are checked by their declared types before the backend
// is called, and placeholders are escaped by where they stand in the URL
// (issue 13 item 4).
func TestDescribedInputsCheckedBeforeBackend(t *testing.T) {
	var calls atomic.Int32
	var lastURL atomic.Value
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		lastURL.Store(r.URL.RequestURI())
		_, _ = w.Write([]byte(`{"found":true,"name":"ОсОО"}`))
	}))
	defer be.Close()
	prov, _ := soap.ParseClientID(providerID)
	h, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{{
		Code: "getSupplier", Version: "v1", Backend: be.URL + "/s/{inn}?kind={kind}", Timeout: time.Second,
		Description: describedService(),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	svc, _ := soap.ParseServiceID(providerID + "/getSupplier/v1")
	ss.Handle(svc, h)
	call := func(body string) string {
		t.Helper()
		_, m := legacyCall(t, ss, svc, body)
		if f, ok := m.Fault(); ok {
			t.Fatalf("SOAP fault %s: %s", f.Code, f.String)
		}
		return string(m.BodyElement())
	}
	for _, bad := range []string{
		"<inn>0220720080056</inn>",
		"<inn>02207200800561&amp;admin=1</inn>",
		"<inn>02207200800561</inn><kind>full&amp;admin=1</kind>",
		"<inn>../../admin</inn>",
		"<kind>full</kind>",
	} {
		got := call(bad)
		if !strings.Contains(got, "<tns:faultCode>BAD_REQUEST</tns:faultCode>") {
			t.Errorf("%s: answer %s, want a BAD_REQUEST business error", bad, got)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the backend was called %d times for invalid inputs", n)
	}
	if got := call("<inn>02207200800561</inn><kind>short</kind>"); got != `<tns:getSupplierResponse xmlns:tns="urn:registry"><tns:found>true</tns:found><tns:name>ОсОО</tns:name></tns:getSupplierResponse>` {
		t.Errorf("answer %s", got)
	}
	if u := lastURL.Load(); u != "/s/02207200800561?kind=short" {
		t.Errorf("backend URL %v", u)
	}
}

// A backend answer the description cannot express is a technical fault,
// never an answer that would not validate against the WSDL.
func TestDescribedBackendAnswerMismatchIsAFault(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"name":"no found field"}`))
	}))
	defer be.Close()
	prov, _ := soap.ParseClientID(providerID)
	h, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{{
		Code: "getSupplier", Version: "v1", Backend: be.URL + "/s/{inn}", Description: describedService(),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	req := xroadtest.NewRequest(consumerID, providerID+"/getSupplier/v1", "<inn>02207200800561</inn>")
	rec := xroadtest.NewRecorder()
	hr := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(req.Bytes()))
	hr.Header.Set("Content-Type", req.ContentType())
	h.ServeHTTP(rec, hr)
	m, err := rec.Message(soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := m.Fault()
	if !ok || f.Code != "Server.ServiceFailed.InvalidBackendAnswer" || strings.Contains(f.String, "found") {
		t.Errorf("fault = %+v (%v); want Server.ServiceFailed.InvalidBackendAnswer without internals", f, ok)
	}
	if err := soap.Echoes(req, m); err != nil {
		t.Errorf("the fault must echo the header: %v", err)
	}
}

func TestDescriptionMustMatchService(t *testing.T) {
	prov, _ := soap.ParseClientID(providerID)
	d := describedService()
	d.NotFound.Output = map[string]string{"found": "maybe"}
	if _, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{{
		Code: "getSupplier", Version: "v1", Backend: "http://127.0.0.1:1/{inn}", Description: d}}}); err == nil {
		t.Error("a not-found answer that is not a boolean was accepted")
	}
	if _, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{{
		Code: "other", Version: "v1", Backend: "http://127.0.0.1:1/{inn}", Description: describedService()}}}); err == nil {
		t.Error("a description of another service was accepted")
	}
	if _, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{{
		Code: "getSupplier", Version: "v1", Backend: "http://{host}/x"}}}); err == nil {
		t.Error("a placeholder in the host was accepted")
	}
}
