package soap_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// row is one line of the corpus's soap/expectations.tsv.
type row = corpus.Expectation

// outOfScope says why a row is not checked here, or "" when it is.
func outOfScope(r row, dir string) string {
	switch {
	case r.Role == "?":
		return "no X-Road test uses the file (unreferenced)"
	case r.Role == "n/a":
		return "not a message (an XAdES signature the proxy encoder unit test embeds)"
	case strings.Contains(r.Scope, "dummy-serverproxy"):
		return "security-server internal protocol (fake server proxy answers the client proxy)"
	case r.Detect == "no":
		return "only a security server can decide (" + r.Cause + ")"
	case strings.Contains(r.HTTPExtras, "generated"):
		return "the X-Road test generates the body and boundary at run time"
	}
	if _, err := os.Stat(filepath.Join(dir, r.File)); err != nil {
		return "file absent from the corpus (missing upstream blob)"
	}
	return ""
}

// load returns a row's message body: annex .txt examples lose their
// illustrative transport-header lines; "UTF-8 BOM prepended" rows get one.
func load(t *testing.T, dir string, r row) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, r.File))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(r.File, ".txt") {
		if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
			b = b[i+2:]
		}
	}
	if strings.HasPrefix(r.Scope, "proxy-suite") {
		// MessageTestCase.changeQueryId: the harness gives every message a
		// fresh id before sending it.
		b = queryID.ReplaceAll(b, []byte("<xroad:id>0123456789abcdef0123456789abcdef</xroad:id>"))
	}
	if strings.Contains(r.HTTPExtras, "BOM prepended") {
		b = append([]byte{0xEF, 0xBB, 0xBF}, b...)
	}
	return b
}

var queryID = regexp.MustCompile(`<xroad:id>(.?)+</xroad:id>`)

func roleOf(r row) soap.Role {
	if r.Role == "response" {
		return soap.RoleResponse
	}
	return soap.RoleRequest
}

func parseFile(t *testing.T, dir, name, ct string) *soap.Message {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := soap.ParseBytes(b, ct, soap.Limits{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestConformanceExpectations walks the X-Road corpus's expectations.tsv:
// every adapter-level row is checked, the rest are listed as out of scope.
func TestConformanceExpectations(t *testing.T) {
	dir := corpus.Dir(t, "soap")
	rows := corpus.Expectations(t, dir)
	if len(rows) != 211 {
		t.Errorf("expectations.tsv has %d rows, the corpus README says 211", len(rows))
	}
	var checked, outScope int
	reasons := map[string][]string{}
	for _, r := range rows {
		if why := outOfScope(r, dir); why != "" {
			outScope++
			reasons[why] = append(reasons[why], r.File+"("+r.TestClass+")")
			continue
		}
		checked++
		name := strings.Join([]string{r.File, r.Role, r.TestClass, strings.ReplaceAll(r.HTTPExtras, "/", "_")}, "|")
		t.Run(name, func(t *testing.T) { checkRow(t, dir, r) })
	}
	t.Logf("expectations.tsv: %d rows checked, %d out of scope", checked, outScope)
	for why, files := range reasons {
		t.Logf("out of scope (%d): %s: %s", len(files), why, strings.Join(files, ", "))
	}
	if checked+outScope != len(rows) {
		t.Errorf("rows lost: %d + %d != %d", checked, outScope, len(rows))
	}
}

func checkRow(t *testing.T, dir string, r row) {
	body := load(t, dir, r)
	role := roleOf(r)

	// HTTP-level expectations.
	switch {
	case r.HTTPExtras == "HTTP GET":
		assertFault(t, r, soap.CheckHTTP("GET", nil), role)
		return
	case strings.HasPrefix(r.HTTPExtras, "HTTP header SOAPAction"):
		action := ""
		if i := strings.Index(r.HTTPExtras, ": "); i >= 0 {
			action = r.HTTPExtras[i+2:]
		}
		err := soap.CheckHTTP("POST", &action)
		if r.Verdict == "reject" {
			assertFault(t, r, err, role)
			return
		}
		if err != nil {
			t.Fatalf("SOAPAction %q rejected: %v", action, err)
		}
	}

	m, err := soap.ParseBytes(body, r.ContentType, soap.Limits{})
	if err == nil {
		defer m.Close()
	}
	switch {
	case r.Verdict == "reject" && strings.HasPrefix(r.Cause, "file (response headers do not match"):
		// getstate.query returned for xml.query: the client side must see
		// the response does not belong to the request.
		if err != nil {
			t.Fatal(err)
		}
		req := parseFile(t, dir, "xml.query", "text/xml; charset=UTF-8")
		assertFault(t, r, soap.Echoes(req, m), role)
		if soap.CheckConsistency(req, m) == nil {
			t.Error("CheckConsistency accepted a response to another request")
		}
		return
	case r.Verdict == "reject":
		if err == nil {
			err = m.Validate(role)
		}
		assertFault(t, r, err, role)
		return
	}

	// Accepted files.
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), body) {
		t.Errorf("round trip not byte-identical (%d vs %d bytes)", out.Len(), len(body))
	}
	if !bytes.Equal(m.Bytes(), body) {
		t.Error("Bytes() differs from the input")
	}
	switch {
	case r.Cause == "service fault (passed through)":
		f, ok := m.Fault()
		if !ok {
			t.Fatal("a SOAP fault was not recognised")
		}
		if r.FaultCodeOld != "?" && f.Code != r.FaultCodeOld {
			t.Errorf("fault code %q, want %q verbatim", f.Code, r.FaultCodeOld)
		}
		if strings.Contains(r.Notes, "Unable to create payload") && !strings.Contains(f.Detail, "<error>Unable to create payload, try increasing the size</error>") {
			t.Errorf("fault detail lacks the error element: %q", f.Detail)
		}
		if err := m.Validate(soap.RoleResponse); err != nil {
			t.Errorf("a service fault must pass as a response: %v", err)
		}
		return
	case strings.HasPrefix(r.Cause, "pair-mismatch"):
		req := parseFile(t, dir, "simple.query", "text/xml; charset=UTF-8")
		resp := parseFile(t, dir, "getstate.answer", "text/xml; charset=UTF-8")
		assertFault(t, r, soap.CheckConsistency(req, resp), role)
		return
	}
	if r.File == "pr-mess-annex-d2-nontechnical-fault.xml" {
		// The spec example's header names serviceCode "test" while its
		// body is exampleServiceResponse (a copy slip in PR-MESS): X-Road's
		// startsWith rule, applied to every parsed message, rejects it. The
		// non-technical fault itself is an ordinary body and reads fine.
		if err := m.Validate(role); !errors.Is(err, &soap.ValidationError{Code: soap.CodeInconsistentHeaders}) {
			t.Errorf("Validate = %v, want InconsistentHeaders (serviceCode test vs exampleServiceResponse)", err)
		}
		if !bytes.Contains(m.BodyElement(), []byte("<faultCode>test_failed</faultCode>")) {
			t.Errorf("body fault not readable: %s", m.BodyElement())
		}
		if _, ok := m.Fault(); ok {
			t.Error("a non-technical fault was taken for a SOAP Fault")
		}
		return
	}
	if err := m.Validate(role); err != nil {
		t.Fatalf("Validate(%v): %v", role, err)
	}
	h := m.Header()
	if role == soap.RoleRequest && (h.Client.IsZero() || h.Service == nil || h.ID == "" || h.ProtocolVersion == "") {
		t.Errorf("request lacks a required field: %+v", h)
	}
	checkNotes(t, r, m)
}

// checkNotes asserts the values some rows' notes state.
func checkNotes(t *testing.T, r row, m *soap.Message) {
	h := m.Header()
	if strings.HasPrefix(r.Notes, "simpleRequest:") {
		if got := h.Client.Typed(); got != "MEMBER:EE/BUSINESS/consumer" {
			t.Errorf("client %s", got)
		}
		if got := h.Service.Typed(); got != "SERVICE:EE/BUSINESS/producer/testQuery" {
			t.Errorf("service %s", got)
		}
		if h.UserID != "EE37702211234" || h.ID != "1234567890" {
			t.Errorf("userId %q id %q", h.UserID, h.ID)
		}
	}
	if r.File == "response-with-requestId.answer" && !strings.Contains(h.Client.SubsystemCode+h.Service.SubsystemCode, " ") {
		t.Errorf("subsystem code with spaces not kept: %+v", h)
	}
	if r.File == "requesthash.answer" && h.RequestHash != "foo" {
		t.Errorf("requestHash %q, want the bogus foo", h.RequestHash)
	}
	if r.File == "simple-representedparty.query" && (h.RepresentedParty == nil || *h.RepresentedParty != (soap.RepresentedParty{PartyClass: "COM", PartyCode: "MEMBER3"})) {
		t.Errorf("representedParty %+v", h.RepresentedParty)
	}
}

// assertFault checks err against the row's expected code: fault_code_old
// (or the snake form), with the Client./ServiceFailed. prefix for proxy
// rows, bare for the parser unit tests.
func assertFault(t *testing.T, r row, err error, role soap.Role) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %s", r.FaultCodeOld)
	}
	var ve *soap.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *soap.ValidationError", err)
	}
	want := strings.TrimSuffix(r.FaultCodeOld, "*")
	var got string
	switch {
	case strings.HasSuffix(r.Scope, "-unit"):
		got = string(ve.Code)
	case strings.HasPrefix(want, "Server.ClientProxy.ServiceFailed."):
		got = "Server.ClientProxy.ServiceFailed." + string(ve.Code)
	default:
		got = soap.FaultCodeFor(err, role)
	}
	if got != want {
		t.Errorf("fault %s (%v), want %s", got, err, want)
	}
	if n := soap.NormalizeFaultCode(r.FaultCodeNew); r.FaultCodeNew != "?" && n != want && !strings.EqualFold(n, want) {
		t.Errorf("NormalizeFaultCode(%q) = %q, want %q", r.FaultCodeNew, n, want)
	}
}
