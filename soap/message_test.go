package soap_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestIdentifiersCorpus parses X-Road's identifier fragments
// (IdentifierTypeConverterTest) and compares the canonical strings.
func TestIdentifiersCorpus(t *testing.T) {
	dir := corpus.Dir(t, "identifiers")
	want := map[string]string{
		"clientid.xml":           "MEMBER:EE/COMPANY/FOOBAR",
		"clientid-subsystem.xml": "SUBSYSTEM:EE/COMPANY/FOOBAR/SUBSYSTEM",
		"serviceid.xml":          "SERVICE:EE/BUSINESS/JODA/getState",
		"serviceid-version.xml":  "SERVICE:EE/BUSINESS/JODA/getState/v1",
		"securityserverid.xml":   "SERVER:EE/BUSINESS/123456789/bambi",
		"globalgroupid.xml":      "GLOBALGROUP:EE/perearstid",
		"localgroupid.xml":       "LOCALGROUP:lokaalgrupp",
	}
	invalid := []string{"invalid-clientid-member.xml", "invalid-clientid-subsystem.xml"}
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) != len(want)+len(invalid) {
		t.Errorf("%d identifier files, want %d", len(files), len(want)+len(invalid))
	}
	for name, canon := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		id, err := soap.ParseIdentifierXML(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if id.Typed() != canon {
			t.Errorf("%s: %s, want %s", name, id.Typed(), canon)
		}
	}
	for _, name := range invalid {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		id, err := soap.ParseIdentifierXML(b)
		if !errors.Is(err, &soap.ValidationError{Code: soap.CodeInvalidClientIdentifier}) {
			t.Errorf("%s: %v, %v; want InvalidClientIdentifier", name, id, err)
		}
	}
	// clientid.xml round-trips to an equal id through the string form.
	b, _ := os.ReadFile(filepath.Join(dir, "clientid.xml"))
	id, _ := soap.ParseIdentifierXML(b)
	back, err := soap.ParseClientID(id.Typed())
	if err != nil || back != id {
		t.Errorf("clientid.xml: %v via string gives %v, %v", id, back, err)
	}
}

func readCorpus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus.Dir(t, "soap"), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t *testing.T, b []byte, ct string) *soap.Message {
	t.Helper()
	m, err := soap.ParseBytes(b, ct, soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

const textXML = "text/xml; charset=UTF-8"

// TestAnnexEPair checks PR-MESS annex E: E.2 echoes E.1, its wrapped
// requestHash reads as one base64 value, and a response built from E.1 by
// NewResponse + AddRequestHash passes both checks.
func TestAnnexEPair(t *testing.T) {
	req := mustParse(t, readCorpus(t, "pr-mess-annex-e1-request.xml"), textXML)
	resp := mustParse(t, readCorpus(t, "pr-mess-annex-e2-response.xml"), textXML)
	if err := req.Validate(soap.RoleRequest); err != nil {
		t.Fatal(err)
	}
	if err := resp.Validate(soap.RoleResponse); err != nil {
		t.Fatal(err)
	}
	if err := soap.Echoes(req, resp); err != nil {
		t.Errorf("E.2 does not echo E.1: %v", err)
	}
	if err := soap.CheckConsistency(req, resp); err != nil {
		t.Error(err)
	}
	h := resp.Header()
	if h.RequestHash != "29KTVbZf83XlfdYrsxjaSYMGoxvktnTUBTtA4BmSrh1egtRtvR9VY8QycYaVdsKtGJIh/8CpucYWPbWfaIgJDQ==" || h.RequestHashAlgorithm != soap.SHA512 {
		t.Errorf("requestHash %q alg %q", h.RequestHash, h.RequestHashAlgorithm)
	}
	// The spec's value is illustrative: it is not the hash of the E.1 bytes.
	if err := resp.CheckRequestHash(req); !errors.Is(err, &soap.ValidationError{Code: soap.CodeInvalidRequestHash}) {
		t.Errorf("CheckRequestHash = %v, want InvalidRequestHash (the annex value is not E.1's hash)", err)
	}
	if got := req.Header().Service.Typed(); got != "SERVICE:EE/GOV/MEMBER2/SUBSYSTEM2/exampleService/v1" {
		t.Errorf("service %s", got)
	}

	built, err := soap.NewResponse(req, "", []byte("<exampleOutput>bar</exampleOutput>"))
	if err != nil {
		t.Fatal(err)
	}
	if err := soap.Echoes(req, built); err != nil {
		t.Error(err)
	}
	withHash, err := soap.AddRequestHash(built, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := withHash.CheckRequestHash(req); err != nil {
		t.Error(err)
	}
	if err := soap.Echoes(req, withHash); err != nil {
		t.Errorf("requestHash must not break the echo: %v", err)
	}
	if err := withHash.Validate(soap.RoleResponse); err != nil {
		t.Error(err)
	}
	// Replacing E.2's wrong hash with the right one.
	fixed, err := soap.AddRequestHash(resp, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixed.CheckRequestHash(req); err != nil {
		t.Error(err)
	}
	if n := bytes.Count(fixed.SOAP(), []byte("requestHash")); n != 2 {
		t.Errorf("%d requestHash tags after replacing, want 2 (one element)", n)
	}
	if err := resp.CheckRequestHash(mustParse(t, readCorpus(t, "pr-mess-annex-e2-response.xml"), textXML)); err == nil {
		t.Error("a hash of another message was accepted")
	}
}

// headerBytes returns the bytes from <Header to </Header>.
func headerBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	re := regexp.MustCompile(`(?s)<[A-Za-z0-9_-]*:?Header[ >].*</[A-Za-z0-9_-]*:?Header>`)
	h := re.Find(b)
	if h == nil {
		t.Fatalf("no header in %s", b)
	}
	return h
}

// TestNewResponseCopiesHeaderByteForByte builds responses to the corpus's
// valid requests: the header is the request's, byte for byte.
func TestNewResponseCopiesHeaderByteForByte(t *testing.T) {
	for _, name := range []string{"getstate.query", "split-header.query", "xmlencoded.query", "cdata.query", "nowhitespace.query",
		"getstate-defaultnamespace.query", "simple-representedparty.query", "simple.query", "request-suffix.query", "missing-userId.query", "pr-mess-annex-e1-request.xml"} {
		t.Run(name, func(t *testing.T) {
			raw := readCorpus(t, name)
			req := mustParse(t, raw, textXML)
			resp, err := soap.NewResponse(req, "http://example.org/out", []byte("<out>1 &amp; 2</out>"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(headerBytes(t, resp.SOAP()), headerBytes(t, raw)) {
				t.Errorf("header not copied byte for byte:\n%s\nvs\n%s", headerBytes(t, resp.SOAP()), headerBytes(t, raw))
			}
			sameAsReparsed(t, resp)
			if err := soap.Echoes(req, resp); err != nil {
				t.Error(err)
			}
			if err := resp.Validate(soap.RoleResponse); err != nil {
				t.Error(err)
			}
			want := req.Header().Service.ServiceCode + "Response"
			if n := resp.BodyName(); n.Local != want || n.Space != "http://example.org/out" {
				t.Errorf("wrapper %v, want {http://example.org/out}%s", n, want)
			}
			if !bytes.Contains(resp.BodyElement(), []byte("<out>1 &amp; 2</out>")) {
				t.Errorf("body %s", resp.BodyElement())
			}
			// Same namespace as the request when none is given.
			resp2, err := soap.NewResponse(req, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp2.BodyName().Space != req.BodyName().Space {
				t.Errorf("wrapper ns %q, want the request's %q", resp2.BodyName().Space, req.BodyName().Space)
			}
		})
	}
}

func TestNewResponseDropsRequestHash(t *testing.T) {
	e2 := readCorpus(t, "pr-mess-annex-e2-response.xml")
	m := mustParse(t, e2, textXML)
	resp, err := soap.NewResponse(m, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	sameAsReparsed(t, resp)
	if bytes.Contains(resp.SOAP(), []byte("requestHash")) || resp.Header().RequestHash != "" {
		t.Errorf("requestHash kept:\n%s", resp.SOAP())
	}
	if len(resp.HeaderFields()) != len(m.HeaderFields())-1 {
		t.Errorf("%d fields, want %d", len(resp.HeaderFields()), len(m.HeaderFields())-1)
	}
	for i, f := range resp.HeaderFields() {
		if !bytes.Equal(f.Raw, m.HeaderFields()[i].Raw) {
			t.Errorf("field %d differs: %s", i, f.Raw)
		}
	}
}

func TestEchoesDetectsChanges(t *testing.T) {
	raw := string(readCorpus(t, "getstate.query"))
	req := mustParse(t, []byte(raw), textXML)
	for name, tc := range map[string]struct {
		from, to string
		ok       bool
	}{
		"other prefix, same namespaces": {`xroad:`, `x:`, true},
		"changed userId":                {`EE:PIN:abc4567`, `EE:PIN:abc4568`, false},
		"dropped issue":                 {`<xroad:issue/>`, ``, false},
		"reordered": {`<xroad:userId>EE:PIN:abc4567</xroad:userId>
        <xroad:id>411d6755661409fed365ad8135f8210be07613da</xroad:id>`, `<xroad:id>411d6755661409fed365ad8135f8210be07613da</xroad:id>
        <xroad:userId>EE:PIN:abc4567</xroad:userId>`, false},
		"extra unknown field": {`<xroad:issue/>`, `<xroad:issue/><foo:x xmlns:foo="urn:x">1</foo:x>`, false},
	} {
		s := strings.ReplaceAll(raw, tc.from, tc.to)
		if name == "other prefix, same namespaces" {
			s = strings.Replace(s, `xmlns:xroad=`, `xmlns:x=`, 1)
		}
		resp := mustParse(t, []byte(s), textXML)
		err := soap.Echoes(req, resp)
		if tc.ok && err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !tc.ok && !errors.Is(err, &soap.ValidationError{Code: soap.CodeInconsistentResponse}) {
			t.Errorf("%s: %v, want InconsistentResponse", name, err)
		}
	}
}

func TestNewRequest(t *testing.T) {
	client, _ := soap.ParseClientID("SUBSYSTEM:central-server/GOV/70000001/portal")
	service, _ := soap.ParseServiceID("central-server/GOV/70000002/gns-service/getX/v1")
	m, err := soap.NewRequest(soap.Request{Client: client, Service: service, UserID: "KG<&>", Issue: "case 7",
		RepresentedParty: &soap.RepresentedParty{PartyClass: "GOV", PartyCode: "1"},
		BodyNamespace:    "http://tunduk.kg/x", Body: []byte("<inn>01234567890123</inn>")})
	if err != nil {
		t.Fatal(err)
	}
	sameAsReparsed(t, m)
	again, err := soap.ParseBytes(m.Bytes(), m.ContentType(), soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Validate(soap.RoleRequest); err != nil {
		t.Fatalf("%v\n%s", err, m.Bytes())
	}
	h := again.Header()
	if h.Client != client || *h.Service != service || h.UserID != "KG<&>" || h.Issue != "case 7" || h.ProtocolVersion != "4.0" {
		t.Errorf("header %+v", h)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(h.ID) {
		t.Errorf("id %q is not a UUIDv4", h.ID)
	}
	if *h.RepresentedParty != (soap.RepresentedParty{PartyClass: "GOV", PartyCode: "1"}) {
		t.Errorf("representedParty %+v", h.RepresentedParty)
	}
	if n := again.BodyName(); n.Local != "getX" || n.Space != "http://tunduk.kg/x" {
		t.Errorf("wrapper %v", n)
	}
	m2, _ := soap.NewRequest(soap.Request{Client: client, Service: service})
	if m2.Header().ID == h.ID {
		t.Error("two requests share an id")
	}
	for name, r := range map[string]soap.Request{
		"bad body":         {Client: client, Service: service, Body: []byte("<a>")},
		"dtd in body":      {Client: client, Service: service, Body: []byte("<!DOCTYPE a><a/>")},
		"bad service code": {Client: client, Service: soap.ServiceID{ClientID: client, ServiceCode: "1x"}},
		"zero client":      {Service: service},
	} {
		if _, err := soap.NewRequest(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNewRequestWithAttachments(t *testing.T) {
	client, _ := soap.ParseClientID("EE/GOV/1/a")
	service, _ := soap.ParseServiceID("EE/GOV/2/b/getFile")
	data := bytes.Repeat([]byte("0123456789\r\n--x\n"), 1000)
	m, err := soap.NewRequest(soap.Request{Client: client, Service: service,
		Attachments: []soap.AttachmentData{{ContentID: "file1", ContentType: "application/pdf", Data: data}, {Data: []byte("two")}}})
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsMultipart() || !strings.HasPrefix(m.ContentType(), "multipart/related") {
		t.Fatalf("content type %s", m.ContentType())
	}
	sameAsReparsed(t, m)
	again, err := soap.Parse(bytes.NewReader(m.Bytes()), m.ContentType(), soap.Limits{MaxMemory: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Validate(soap.RoleRequest); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.SOAP(), m.SOAP()) {
		t.Error("SOAP part changed")
	}
	atts := again.Attachments()
	if len(atts) != 2 || atts[0].ContentID != "file1" || atts[0].ContentType != "application/pdf" {
		t.Fatalf("attachments %+v", atts)
	}
	if again.Attachment("cid:file1") != atts[0] || again.Attachment("<file1>") != atts[0] {
		t.Error("lookup by Content-ID failed")
	}
	rc, _ := atts[0].Open()
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Error("attachment content changed")
	}
	if atts[0].InMemory() {
		t.Error("a 16 kB attachment stayed in memory with MaxMemory 100")
	}
	// The request hash covers the SOAP part only.
	if soap.RequestHash(again.SOAP()) != soap.RequestHash(m.SOAP()) {
		t.Error("hash of the SOAP part differs")
	}
}

func TestFaults(t *testing.T) {
	f := soap.Fault{Code: "Server.ServerProxy.ServiceFailed.MissingBody", String: "no <body>", Actor: "a", Detail: `<faultDetail xmlns="">x</faultDetail>`}
	m := mustParse(t, soap.NewFault(f), textXML)
	got, ok := m.Fault()
	if !ok || *got != f {
		t.Errorf("fault %+v, want %+v", got, f)
	}
	if err := m.Validate(soap.RoleResponse); err != nil {
		t.Errorf("fault as response: %v", err)
	}
	if code := soap.FaultCodeFor(m.Validate(soap.RoleRequest), soap.RoleRequest); code != "Client.Server.ServerProxy.ServiceFailed.MissingBody" {
		t.Errorf("fault as request gives %s", code)
	}
	bad := soap.Fault{Code: "x", Detail: "<unclosed"}
	m = mustParse(t, soap.NewFault(bad), textXML)
	if got, _ := m.Fault(); got.Detail != "&lt;unclosed" {
		t.Errorf("non-XML detail became %q", got.Detail)
	}
	d1 := mustParse(t, readCorpus(t, "pr-mess-annex-d1-technical-fault.xml"), textXML)
	got, ok = d1.Fault()
	if !ok || got.Code != "Server.ClientProxy.ServiceFailed.MissingBody" || !strings.Contains(got.Detail, "f31e7451-f0ac-48f6-9f05-1f0459e48eea") {
		t.Errorf("D.1 fault %+v", got)
	}
	if soap.NormalizeFaultCode("server.clientproxy.service_failed.missing_body") != got.Code {
		t.Error("snake form does not normalise to D.1's code")
	}
	req := mustParse(t, readCorpus(t, "getstate.query"), textXML)
	fr, err := soap.NewFaultResponse(req, soap.Fault{Code: "Server", String: "down"})
	if err != nil {
		t.Fatal(err)
	}
	if err := soap.Echoes(req, fr); err != nil {
		t.Error(err)
	}
	if got, ok := fr.Fault(); !ok || got.String != "down" {
		t.Errorf("fault response %+v", got)
	}
}

func TestCheckHTTP(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		method string
		action *string
		want   soap.FaultCode
	}{
		{"POST", nil, ""}, {"POST", s(""), ""}, {"POST", s(`""`), ""}, {"POST", s(`"urn:x"`), ""},
		{"POST", s("http://example.org/action"), soap.CodeInvalidSoapAction}, {"POST", s(`"x`), soap.CodeInvalidSoapAction},
		{"GET", nil, soap.CodeInvalidHTTPMethod},
	} {
		err := soap.CheckHTTP(tc.method, tc.action)
		if tc.want == "" && err != nil || tc.want != "" && !errors.Is(err, &soap.ValidationError{Code: tc.want}) {
			t.Errorf("CheckHTTP(%s, %v) = %v, want %q", tc.method, tc.action, err, tc.want)
		}
	}
}

// sameAsReparsed checks that a built message's recorded offsets and values
// equal what parsing its bytes gives.
func sameAsReparsed(t testing.TB, m *soap.Message) {
	t.Helper()
	again, err := soap.ParseBytes(m.Bytes(), m.ContentType(), soap.Limits{})
	if err != nil {
		t.Fatalf("built message does not parse: %v\n%s", err, m.SOAP())
	}
	defer again.Close()
	a, b := soap.Describe(m), soap.Describe(again)
	a.ContentType, b.ContentType = "", ""
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("built message differs from its reparse:\n%s\n%s", ja, jb)
	}
	if !reflect.DeepEqual(m.Header(), again.Header()) {
		t.Errorf("header %+v, reparsed %+v", m.Header(), again.Header())
	}
	fa, fb := m.HeaderFields(), again.HeaderFields()
	if len(fa) != len(fb) {
		t.Fatalf("%d header fields, reparsed %d", len(fa), len(fb))
	}
	for i := range fa {
		if fa[i].Name != fb[i].Name || !bytes.Equal(fa[i].Raw, fb[i].Raw) {
			t.Errorf("field %d: %v %q, reparsed %v %q", i, fa[i].Name, fa[i].Raw, fb[i].Name, fb[i].Raw)
		}
	}
	if !bytes.Equal(m.BodyElement(), again.BodyElement()) || m.BodyName() != again.BodyName() {
		t.Errorf("body %v %q, reparsed %v %q", m.BodyName(), m.BodyElement(), again.BodyName(), again.BodyElement())
	}
}
