package xroadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/rest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

const (
	consumer = "central-server/COM/60000001/portal"
	service  = "central-server/GOV/70000002/gns-service/getEcho/v1"
)

func mustService(t *testing.T, s string) soap.ServiceID {
	t.Helper()
	id, err := soap.ParseServiceID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustClient(t *testing.T, s string) soap.ClientID {
	t.Helper()
	id, err := soap.ParseClientID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// echoProvider answers with the request's body wrapped in <serviceCode>Response.
func echoProvider(_ context.Context, req *soap.Message) (*soap.Message, error) {
	return soap.NewResponse(req, "", []byte(`<answer xmlns="">ok</answer>`))
}

// post sends raw bytes and returns the answer parsed (fault or not).
func post(t *testing.T, ss *xroadtest.SecurityServer, ct string, body []byte) (*http.Response, *soap.Message) {
	t.Helper()
	resp, err := ss.Client().Post(ss.URL, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m, err := soap.ParseBytes(b, resp.Header.Get("Content-Type"), soap.Limits{})
	if err != nil {
		t.Fatalf("answer is not SOAP: %v\n%s", err, b)
	}
	return resp, m
}

func faultCode(t *testing.T, m *soap.Message) string {
	t.Helper()
	f, ok := m.Fault()
	if !ok {
		t.Fatalf("want a fault, got %s", m.Bytes())
	}
	return f.Code
}

func TestSOAPHappyPathAddsRequestHashAndEchoes(t *testing.T) {
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	ss.HandleFunc(mustService(t, service), echoProvider)

	req := xroadtest.NewRequest(consumer, service, `<q>1</q>`)
	_, resp := post(t, ss, req.ContentType(), req.Bytes())
	if _, isFault := resp.Fault(); isFault {
		t.Fatalf("fault: %s", resp.Bytes())
	}
	if err := soap.Echoes(req, resp); err != nil {
		t.Errorf("echo: %v", err)
	}
	if err := resp.CheckRequestHash(req); err != nil {
		t.Errorf("requestHash: %v", err)
	}
	if got := resp.BodyName().Local; got != "getEchoResponse" {
		t.Errorf("body wrapper %q", got)
	}
	if n := ss.ProviderCalls(mustService(t, service)); n != 1 {
		t.Errorf("ProviderCalls = %d", n)
	}
}

func TestSOAPRejectsBadRequestsWithXRoadCodes(t *testing.T) {
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	ss.HandleFunc(mustService(t, service), echoProvider)
	good := xroadtest.NewRequest(consumer, service, `<q/>`)
	noHeader := []byte(`<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><getEcho/></s:Body></s:Envelope>`)
	tests := []struct {
		name, ct string
		body     []byte
		want     string
	}{
		{"content type", "text/plain", good.Bytes(), "Client.InvalidContentType"},
		{"not xml", "text/xml", []byte("hello"), "Client.InvalidSoap"},
		{"no header", "text/xml", noHeader, "Client.MissingHeader"},
		{"unknown service", good.ContentType(), xroadtest.NewRequest(consumer, "central-server/GOV/70000002/gns-service/nope/v1", "").Bytes(), xroadtest.CodeUnknownService},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := post(t, ss, tt.ct, tt.body)
			if got := faultCode(t, m); got != tt.want {
				t.Errorf("fault %q, want %q", got, tt.want)
			}
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
}

func TestSOAPConformanceRejections(t *testing.T) {
	// The corpus-driven cases live in the soap package; here a sample of
	// request files must be rejected by the emulator with the same codes.
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	cases := map[string]string{
		"missing-body.query":            "Client.MissingBody",
		"faulty-header2.query":          "Client.DuplicateHeaderField",
		"wrong-protocolVersion.query":   "Client.InvalidProtocolVersion",
		"malformed-body3.query":         "Client.InconsistentHeaders",
		"missing-protocolVersion.query": "Client.MissingHeaderField",
	}
	dir := corpusDir(t)
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			_, m := post(t, ss, "text/xml; charset=UTF-8", readFile(t, dir, file))
			if got := faultCode(t, m); got != want {
				t.Errorf("fault %q, want %q", got, want)
			}
		})
	}
}

func TestSOAPAccessDeniedAndLocalClients(t *testing.T) {
	ss := xroadtest.NewSecurityServer(xroadtest.Options{LocalClients: []soap.ClientID{mustClient(t, consumer), mustClient(t, "central-server/COM/60000002/other")}})
	defer ss.Close()
	ss.HandleFunc(mustService(t, service), echoProvider)
	ss.Allow(mustService(t, service), mustClient(t, consumer))

	_, m := post(t, ss, "text/xml", xroadtest.NewRequest("central-server/COM/60000002/other", service, "").Bytes())
	if got := faultCode(t, m); got != xroadtest.CodeAccessDenied {
		t.Errorf("other client: %q", got)
	}
	_, m = post(t, ss, "text/xml", xroadtest.NewRequest("central-server/COM/60000003/stranger", service, "").Bytes())
	if got := faultCode(t, m); got != xroadtest.CodeUnknownMember {
		t.Errorf("unknown client: %q", got)
	}
	_, m = post(t, ss, "text/xml", xroadtest.NewRequest(consumer, service, "").Bytes())
	if _, isFault := m.Fault(); isFault {
		t.Errorf("allowed client got a fault: %s", m.Bytes())
	}
	if n := ss.Received(mustService(t, service)); n != 1 {
		t.Errorf("Received = %d, want 1 (denied requests do not count)", n)
	}
}

func TestSOAPChecksProviderAnswers(t *testing.T) {
	tests := []struct {
		name     string
		provider http.HandlerFunc
		want     string
	}{
		{"no header", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><getEchoResponse/></s:Body></s:Envelope>`)
		}, "Server.ServerProxy.ServiceFailed.MissingHeader"},
		{"html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<html/>`)
		}, "Server.ServerProxy.ServiceFailed.InvalidContentType"},
		{"wrong echo", func(w http.ResponseWriter, r *http.Request) {
			// answers another request's header
			other := xroadtest.NewRequest(consumer, service, "")
			m, _ := soap.NewResponse(other, "", nil)
			w.Header().Set("Content-Type", m.ContentType())
			w.Write(m.Bytes())
		}, xroadtest.CodeInconsistentResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := xroadtest.NewSecurityServer(xroadtest.Options{})
			defer ss.Close()
			ss.Handle(mustService(t, service), tt.provider)
			_, m := post(t, ss, "text/xml", xroadtest.NewRequest(consumer, service, "").Bytes())
			if got := faultCode(t, m); got != tt.want {
				t.Errorf("fault %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProviderFaultPassesThrough(t *testing.T) {
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	ss.HandleFunc(mustService(t, service), func(context.Context, *soap.Message) (*soap.Message, error) {
		return nil, &xroadtest.ProviderFault{Fault: soap.Fault{Code: "CODE", String: "provider says no"}}
	})
	_, m := post(t, ss, "text/xml", xroadtest.NewRequest(consumer, service, "").Bytes())
	if got := faultCode(t, m); got != "CODE" {
		t.Errorf("fault %q, want the provider's CODE verbatim", got)
	}
}

func TestInjections(t *testing.T) {
	id := mustService(t, service)
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	ss.HandleFunc(id, echoProvider)
	req := xroadtest.NewRequest(consumer, service, "")

	ss.Inject(id, xroadtest.Injection{Times: 2, FaultCode: "server.serverproxy.service_failed.unknown_host"})
	for i := 0; i < 2; i++ {
		_, m := post(t, ss, "text/xml", req.Bytes())
		if got := faultCode(t, m); got != "server.serverproxy.service_failed.unknown_host" {
			t.Errorf("attempt %d: %q", i, got)
		}
	}
	if _, m := post(t, ss, "text/xml", req.Bytes()); m.Header().RequestHash == "" {
		t.Errorf("third request should succeed: %s", m.Bytes())
	}

	ss.Inject(id, xroadtest.Injection{Times: 1, CorruptEcho: true})
	if _, m := post(t, ss, "text/xml", req.Bytes()); soap.Echoes(req, m) == nil {
		t.Error("CorruptEcho: answer still echoes")
	}
	ss.Inject(id, xroadtest.Injection{Times: 1, WrongRequestHash: true})
	if _, m := post(t, ss, "text/xml", req.Bytes()); m.CheckRequestHash(req) == nil {
		t.Error("WrongRequestHash: hash still matches")
	}
	ss.Inject(id, xroadtest.Injection{Times: 1, Malformed: true})
	resp, err := ss.Client().Post(ss.URL, "text/xml", bytes.NewReader(req.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := soap.ParseBytes(b, resp.Header.Get("Content-Type"), soap.Limits{}); err == nil {
		t.Error("Malformed: answer parses")
	}

	ss.Inject(id, xroadtest.Injection{Times: 1, Delay: time.Second})
	c := ss.Client()
	c.Timeout = 100 * time.Millisecond
	if _, err := c.Post(ss.URL, "text/xml", bytes.NewReader(req.Bytes())); err == nil {
		t.Error("Delay: no timeout")
	}

	ss.Inject(id, xroadtest.Injection{Times: 1, DropConnection: true})
	before := ss.ProviderCalls(id)
	if _, err := ss.Client().Post(ss.URL, "text/xml", bytes.NewReader(req.Bytes())); err == nil {
		t.Error("DropConnection: got an answer")
	}
	if ss.ProviderCalls(id) != before+1 {
		t.Error("DropConnection must call the provider first")
	}
}

func TestREST(t *testing.T) {
	id := mustService(t, "central-server/GOV/70000024/minjust-inn-services/founders")
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	ss.Register(xroadtest.Service{ID: id, Allow: []soap.ClientID{mustClient(t, consumer)}, Endpoints: []xroadtest.Endpoint{{Method: "GET", Path: "/{inn}"}},
		REST: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path, "client": r.Header.Get(rest.HeaderClient), "user": r.Header.Get(rest.HeaderUserID)})
		})})
	get := func(client, path string) *http.Response {
		req, _ := http.NewRequest("GET", ss.URL+path, nil)
		if client != "" {
			req.Header.Set(rest.HeaderClient, client)
		}
		req.Header.Set(rest.HeaderUserID, "KG21504197800123")
		req.Header.Set(rest.HeaderID, "abc")
		resp, err := ss.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get(consumer, rest.Path(id, "/01503201010234"))
	var got map[string]string
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 200 || got["path"] != "/01503201010234" || got["client"] != consumer || got["user"] != "KG21504197800123" {
		t.Errorf("REST answer %d %v", resp.StatusCode, got)
	}
	if resp.Header.Get(rest.HeaderID) != "abc" || resp.Header.Get(rest.HeaderRequestHash) == "" {
		t.Errorf("X-Road headers %v", resp.Header)
	}
	for _, tt := range []struct{ client, path, want string }{
		{"", rest.Path(id, "/1"), "Client.MissingHeaderField"},
		{"central-server/COM/60000009/x", rest.Path(id, "/1"), xroadtest.CodeAccessDenied},
		{consumer, "/r1/central-server/GOV/70000024/minjust-inn-services/nope/1", xroadtest.CodeUnknownService},
	} {
		resp := get(tt.client, tt.path)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e, err := rest.ParseError(resp.Header, b)
		if err != nil || e.Type != tt.want || resp.Header.Get(rest.HeaderError) != tt.want {
			t.Errorf("%s %s: %v %v %s", tt.client, tt.path, e, err, b)
		}
	}
	// REST metaservices
	resp = get(consumer, "/r1/central-server/GOV/70000024/minjust-inn-services/listMethods")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"service_code":"founders"`) || !strings.Contains(string(b), `"/{inn}"`) {
		t.Errorf("listMethods: %s", b)
	}
	resp = get("central-server/COM/60000009/x", "/r1/central-server/GOV/70000024/minjust-inn-services/allowedMethods")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "founders") {
		t.Errorf("allowedMethods for a stranger lists founders: %s", b)
	}
	resp = get(consumer, "/r1/central-server/GOV/70000024/minjust-inn-services/getOpenAPI?serviceCode=founders")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(b), "openapi: 3.0") || !strings.Contains(string(b), "/{inn}") {
		t.Errorf("getOpenAPI: %s", b)
	}
}

func TestTLSRequiresClientCertificate(t *testing.T) {
	ss := xroadtest.NewTLSSecurityServer(xroadtest.Options{})
	defer ss.Close()
	ss.HandleFunc(mustService(t, service), echoProvider)
	if !strings.HasPrefix(ss.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %s", ss.URL)
	}
	req := xroadtest.NewRequest(consumer, service, "")
	_, m := post(t, ss, "text/xml", req.Bytes())
	if m.CheckRequestHash(req) != nil {
		t.Errorf("TLS call failed: %s", m.Bytes())
	}
	// Trusting the server but without a client certificate: refused.
	cfg := ss.ClientTLSConfig()
	cfg.Certificates = nil
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	_, err := c.Post(ss.URL, "text/xml", bytes.NewReader(req.Bytes()))
	if err == nil {
		t.Fatal("no client certificate: request accepted")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a TLS refusal, got %v", err)
	}
}
