package soap_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
)

// Echoes compares header bytes first and falls back to the canonical
// comparison on any difference; both ways must agree.
func TestEchoesByteCopyAndFallback(t *testing.T) {
	client, _ := soap.ParseClientID("SUBSYSTEM:central-server/GOV/70000099/zakupki")
	service, _ := soap.ParseServiceID("central-server/GOV/70000002/gns-service/getTaxArrearsByINN/v1")
	req, err := soap.NewRequest(soap.Request{Client: client, Service: service, UserID: "KG21504197800123", Issue: "lot 3",
		BodyNamespace: "http://gns.gov.kg/xroad/arrears", Body: []byte("<request><INN>02207200800561</INN></request>")})
	if err != nil {
		t.Fatal(err)
	}
	raw := string(req.Bytes())
	const hash = `<xroad:requestHash algorithmId="http://www.w3.org/2001/04/xmlenc#sha512">AAAA</xroad:requestHash>`
	for name, tc := range map[string]struct {
		edit func(string) string
		ok   bool
	}{
		"byte copy":                  {func(s string) string { return s }, true},
		"byte copy with requestHash": {func(s string) string { return strings.Replace(s, "</SOAP-ENV:Header>", hash+"</SOAP-ENV:Header>", 1) }, true},
		"requestHash first, other spaces": {func(s string) string {
			return strings.Replace(s, "<SOAP-ENV:Header>\n", "<SOAP-ENV:Header>"+hash+"\n\n\t", 1)
		}, true},
		"same fields, other prefix bound": {func(s string) string {
			return strings.Replace(s, `xmlns:xroad="http://x-road.eu/xsd/xroad.xsd"`, `xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:x="http://x-road.eu/xsd/xroad.xsd"`, 1)
		}, true},
		"equivalent bytes differ": {func(s string) string {
			return strings.Replace(s, "<xroad:issue>lot 3</xroad:issue>", "<xroad:issue >lot 3</xroad:issue >", 1)
		}, true},
		"same field bytes, xroad prefix bound elsewhere": {func(s string) string {
			s = strings.Replace(s, `xmlns:xroad="http://x-road.eu/xsd/xroad.xsd"`, `xmlns:xroad="urn:other" xmlns:x="http://x-road.eu/xsd/xroad.xsd"`, 1)
			return strings.Replace(s, "</SOAP-ENV:Header>", strings.ReplaceAll(hash, "xroad:", "x:")+"</SOAP-ENV:Header>", 1)
		}, false},
		"userId changed": {func(s string) string { return strings.Replace(s, "KG21504197800123", "KG21504197800124", 1) }, false},
		"extra field": {func(s string) string {
			return strings.Replace(s, "</SOAP-ENV:Header>", `<foo:x xmlns:foo="urn:x">1</foo:x></SOAP-ENV:Header>`, 1)
		}, false},
		"field dropped": {func(s string) string { return strings.Replace(s, "<xroad:issue>lot 3</xroad:issue>", "", 1) }, false},
	} {
		s := tc.edit(raw)
		if name != "byte copy" && s == raw {
			t.Fatalf("%s: edit did not apply to\n%s", name, raw)
		}
		resp, err := soap.ParseBytes([]byte(s), req.ContentType(), soap.Limits{})
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, s)
		}
		err = soap.Echoes(req, resp)
		if tc.ok && err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !tc.ok && !errors.Is(err, &soap.ValidationError{Code: soap.CodeInconsistentResponse}) {
			t.Errorf("%s: %v, want InconsistentResponse", name, err)
		}
	}
}
