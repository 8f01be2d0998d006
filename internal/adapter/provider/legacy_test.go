package provider_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

const env11 = "http://schemas.xmlsoap.org/soap/envelope/"

// legacyBackend answers every request with answer (status code status) and
// remembers what it got.
func legacyBackend(t *testing.T, status int, answer string) (*httptest.Server, *atomic.Value) {
	t.Helper()
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func legacySetup(t *testing.T, svc provider.Service) (*xroadtest.SecurityServer, soap.ServiceID) {
	t.Helper()
	prov, _ := soap.ParseClientID(providerID)
	svc.Timeout = 2 * time.Second
	h, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{svc}})
	if err != nil {
		t.Fatal(err)
	}
	ss := xroadtest.NewSecurityServer(xroadtest.Options{}) // strict echo: every field, in order
	t.Cleanup(ss.Close)
	id, _ := soap.ParseServiceID(providerID + "/" + svc.Code + "/v1")
	ss.Handle(id, h)
	return ss, id
}

// legacyCall sends a SOAP request with body to service id through the
// emulated security server and returns the request and the parsed answer.
func legacyCall(t *testing.T, ss *xroadtest.SecurityServer, id soap.ServiceID, body string) (*soap.Message, *soap.Message) {
	t.Helper()
	req := xroadtest.NewRequest(consumerID, id.String(), body)
	resp, err := ss.Client().Post(ss.URL, req.ContentType(), bytes.NewReader(req.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m, err := soap.Parse(resp.Body, resp.Header.Get("Content-Type"), soap.Limits{})
	if err != nil {
		t.Fatalf("answer does not parse: %v", err)
	}
	return req, m
}

// Legacy SOAP backends that do not echo the X-Road header (X-Road#3315):
// the provider repairs each answer so the security server's echo check
// passes, keeping the backend's body as it meant it.
func TestLegacySOAPBackendAnswersRepaired(t *testing.T) {
	for _, c := range []struct {
		name, code, answer, wantBody string
		rename                       bool
	}{
		{
			name: "no header", code: "getSupplier",
			answer:   `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="` + env11 + `" xmlns:ns1="urn:backend"><soapenv:Body><ns1:getSupplierResponse><ns1:name>Ала-Тоо</ns1:name></ns1:getSupplierResponse></soapenv:Body></soapenv:Envelope>`,
			wantBody: `<ns1:getSupplierResponse xmlns:ns1="urn:backend" xmlns:soapenv="` + env11 + `"><ns1:name>Ала-Тоо</ns1:name></ns1:getSupplierResponse>`,
		},
		{
			name: "reordered and rewritten header", code: "getSupplier",
			answer: `<S:Envelope xmlns:S="` + env11 + `"><S:Header><x:id xmlns:x="http://x-road.eu/xsd/xroad.xsd">other</x:id><x:protocolVersion xmlns:x="http://x-road.eu/xsd/xroad.xsd">4.0</x:protocolVersion></S:Header>` +
				`<S:Body><tns:getSupplierResponse xmlns:tns="urn:backend"><tns:ok>true</tns:ok></tns:getSupplierResponse></S:Body></S:Envelope>`,
			wantBody: `<tns:getSupplierResponse xmlns:tns="urn:backend" xmlns:S="` + env11 + `"><tns:ok>true</tns:ok></tns:getSupplierResponse>`,
		},
		{
			name: "WCF default namespace, wrapper renamed", code: "GetSupplier", rename: true,
			answer:   `<s:Envelope xmlns:s="` + env11 + `"><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><GetSupplierResult xmlns="http://tempuri.org/"><CauseOfError>OK</CauseOfError><Name xsi:nil="true"/></GetSupplierResult></s:Body></s:Envelope>`,
			wantBody: `<GetSupplierResponse xmlns="http://tempuri.org/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:s="` + env11 + `"><CauseOfError>OK</CauseOfError><Name xsi:nil="true"/></GetSupplierResponse>`,
		},
		{
			name: "prefix bound differently in the request", code: "getSupplier",
			answer:   `<e:Envelope xmlns:e="` + env11 + `" xmlns:xrd="urn:not-xroad"><e:Body><xrd:getSupplierResponse><xrd:v/></xrd:getSupplierResponse></e:Body></e:Envelope>`,
			wantBody: `<xrd:getSupplierResponse xmlns:xrd="urn:not-xroad" xmlns:e="` + env11 + `"><xrd:v/></xrd:getSupplierResponse>`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			be, got := legacyBackend(t, http.StatusOK, c.answer)
			ss, id := legacySetup(t, provider.Service{Code: c.code, Version: "v1", Backend: be.URL + "/svc.asmx", SOAPBackend: true, RenameWrapper: c.rename})
			req, resp := legacyCall(t, ss, id, "<inn>02207200800561</inn>")
			if f, ok := resp.Fault(); ok {
				t.Fatalf("fault %s: %s", f.Code, f.String)
			}
			if err := soap.Echoes(req, resp); err != nil {
				t.Errorf("echo: %v", err)
			}
			if b := string(resp.BodyElement()); b != c.wantBody {
				t.Errorf("body\n got %s\nwant %s", b, c.wantBody)
			}
			if resp.BodyName().Local != c.code+"Response" {
				t.Errorf("wrapper %v", resp.BodyName())
			}
			if got.Load() != string(req.Bytes()) {
				t.Errorf("the backend did not get the request unchanged:\n%s", got.Load())
			}
		})
	}
}

func TestLegacySOAPBackendFaultPassesThrough(t *testing.T) {
	fault := `<soap:Envelope xmlns:soap="` + env11 + `"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Object reference not set</faultstring></soap:Fault></soap:Body></soap:Envelope>`
	be, _ := legacyBackend(t, http.StatusInternalServerError, fault)
	ss, id := legacySetup(t, provider.Service{Code: "getSupplier", Version: "v1", Backend: be.URL, SOAPBackend: true})
	_, resp := legacyCall(t, ss, id, "<inn>02207200800561</inn>")
	f, ok := resp.Fault()
	if !ok || f.Code != "soap:Server" || f.String != "Object reference not set" {
		t.Fatalf("fault = %+v, %v; want the backend's fault", f, ok)
	}
	if string(resp.Bytes()) != fault {
		t.Errorf("the fault was not passed through unchanged:\n%s", resp.Bytes())
	}
}

func TestLegacySOAPBackendStripHeaderAndRefusals(t *testing.T) {
	be, got := legacyBackend(t, http.StatusOK, `<e:Envelope xmlns:e="`+env11+`"><e:Body><Wrong/></e:Body></e:Envelope>`)
	ss, id := legacySetup(t, provider.Service{Code: "getSupplier", Version: "v1", Backend: be.URL, SOAPBackend: true, StripHeader: true})
	req, resp := legacyCall(t, ss, id, "<inn>02207200800561</inn>")
	sent := got.Load().(string)
	if strings.Contains(sent, "Header") || strings.Contains(sent, "xroad.xsd}client") || !strings.Contains(sent, "<inn>02207200800561</inn>") {
		t.Errorf("backend got %s; want the request without its Header", sent)
	}
	if len(sent) >= len(req.Bytes()) {
		t.Error("nothing was stripped")
	}
	// The wrong wrapper without renameWrapper is a technical fault.
	if f, ok := resp.Fault(); !ok || f.Code != "Server.ServiceFailed" {
		t.Errorf("wrong wrapper: fault %+v, %v", f, ok)
	}
	prov, _ := soap.ParseClientID(providerID)
	for _, bad := range []provider.Service{
		{Code: "a", Backend: "http://h/{inn}", SOAPBackend: true},
		{Code: "a", Backend: "http://h/", RenameWrapper: true},
	} {
		if _, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{bad}}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// Attachments (SOAP with Attachments) travel both ways through a legacy
// SOAP backend: the multipart request unchanged, the multipart answer
// with its SOAP part repaired and its attachments intact (issue 11.4).
func TestLegacySOAPBackendAttachments(t *testing.T) {
	pdf := bytes.Repeat([]byte("%PDF-1.7 \x00\x01\xff справка "), 2000)
	var got atomic.Value
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(r.Header.Get("Content-Type") + "\n" + string(b))
		w.Header().Set("Content-Type", `multipart/related; type="text/xml"; boundary=MIMEb`)
		_, _ = io.WriteString(w, "--MIMEb\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n"+
			`<e:Envelope xmlns:e="`+env11+`"><e:Body><getCertificateResponse xmlns="urn:b"><doc href="cid:cert1"/></getCertificateResponse></e:Body></e:Envelope>`+
			"\r\n--MIMEb\r\nContent-Type: application/pdf\r\nContent-ID: <cert1>\r\nContent-Transfer-Encoding: binary\r\n\r\n"+string(pdf)+"\r\n--MIMEb--\r\n")
	}))
	defer be.Close()
	ss, id := legacySetup(t, provider.Service{Code: "getCertificate", Version: "v1", Backend: be.URL, SOAPBackend: true})
	c, _ := soap.ParseClientID(consumerID)
	req, err := soap.NewRequest(soap.Request{Client: c, Service: id, UserID: "KG22201197000311", BodyNamespace: "urn:b",
		Body: []byte(`<scan href="cid:in1"/>`), Attachments: []soap.AttachmentData{{ContentID: "in1", ContentType: "image/png", Data: []byte("\x89PNG scan")}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ss.Client().Post(ss.URL, req.ContentType(), bytes.NewReader(req.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m, err := soap.Parse(resp.Body, resp.Header.Get("Content-Type"), soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if f, ok := m.Fault(); ok {
		t.Fatalf("fault %s: %s", f.Code, f.String)
	}
	if got.Load() != req.ContentType()+"\n"+string(req.Bytes()) {
		t.Error("the backend did not get the multipart request unchanged")
	}
	if err := soap.Echoes(req, m); err != nil {
		t.Errorf("echo: %v", err)
	}
	a := m.Attachment("cert1")
	if a == nil || a.ContentType != "application/pdf" {
		t.Fatalf("attachment cert1 missing or retyped: %+v", a)
	}
	r, _ := a.Open()
	data, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(data, pdf) {
		t.Errorf("attachment changed: %d bytes, want %d", len(data), len(pdf))
	}
}

// An MTOM answer stays MTOM: the SOAP part as application/xop+xml with its
// xop:Include, the binary part intact.
func TestLegacySOAPBackendMTOM(t *testing.T) {
	bin := bytes.Repeat([]byte{0, 1, 2, 0xfe, 0xff, '\r', '\n'}, 3000)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", `multipart/related; type="application/xop+xml"; start-info="text/xml"; boundary=uuid:b1`)
		_, _ = io.WriteString(w, "--uuid:b1\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"text/xml\"\r\n\r\n"+
			`<s:Envelope xmlns:s="`+env11+`"><s:Body><getScanResponse xmlns="urn:b"><data><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:scan1"/></data></getScanResponse></s:Body></s:Envelope>`+
			"\r\n--uuid:b1\r\nContent-Type: application/octet-stream\r\nContent-ID: <scan1>\r\nContent-Transfer-Encoding: binary\r\n\r\n"+string(bin)+"\r\n--uuid:b1--\r\n")
	}))
	defer be.Close()
	ss, id := legacySetup(t, provider.Service{Code: "getScan", Version: "v1", Backend: be.URL, SOAPBackend: true})
	req, resp := legacyCall(t, ss, id, "<n>1</n>")
	if f, ok := resp.Fault(); ok {
		t.Fatalf("fault %s: %s", f.Code, f.String)
	}
	if err := soap.Echoes(req, resp); err != nil {
		t.Errorf("echo: %v", err)
	}
	if !strings.Contains(resp.ContentType(), "application/xop+xml") || !strings.Contains(string(resp.BodyElement()), `href="cid:scan1"`) {
		t.Errorf("not MTOM any more: %s\n%s", resp.ContentType(), resp.BodyElement())
	}
	a := resp.Attachment("scan1")
	if a == nil {
		t.Fatal("attachment scan1 missing")
	}
	r, _ := a.Open()
	data, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(data, bin) {
		t.Errorf("attachment changed: %d bytes, want %d", len(data), len(bin))
	}
}
