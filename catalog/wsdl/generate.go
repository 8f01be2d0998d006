// Package wsdl generates and checks WSDL 1.1 descriptions of X-Road SOAP
// services (PR-MESS 4.0, document/literal), as the security server's
// service-description import expects them.
//
// Generate writes one WSDL for one or more services of a subsystem, shaped
// like PR-MESS Annex C: a body element named after the service code, a
// response element <code>Response, the X-Road header parts (xrd:client,
// xrd:service, xrd:id, xrd:userId, xrd:issue, xrd:protocolVersion) on input
// and output, xrd:version in the binding and xrd:title/xrd:notes in ky, ru
// and en.
//
// Parse reads a WSDL the way the security server's admin service does: it
// extracts the service codes and versions from the binding operations,
// refuses DTDs (no entity is ever resolved), documents that are not WSDL,
// identifiers that break X-Road's rules and service URLs that are not
// http(s). Validate adds the checks of X-Road's wsdlvalidator add-on
// (Apache CXF's WSDL11Validator) that matter for registration.
//
// Non-goals: SOAP encoding/rpc style, WSDL 2.0, attachments (swaRef/MTOM).
//
// Public API: other programs may import this package to generate the WSDL of a catalogued SOAP service. Everything under internal/ is tunduk's own and may change
// without notice.
package wsdl

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/tunduk-kg/tunduk/catalog"
)

// Namespaces used in generated WSDLs.
const (
	NSWSDL  = "http://schemas.xmlsoap.org/wsdl/"
	NSSOAP  = "http://schemas.xmlsoap.org/wsdl/soap/"
	NSXRoad = "http://x-road.eu/xsd/xroad.xsd"
	NSXS    = "http://www.w3.org/2001/XMLSchema"
	// NSSOAP12 is the WSDL SOAP 1.2 binding; Parse reads its addresses too.
	NSSOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
)

// PlaceholderAddress is the soap:address written when no address is known;
// it is what the security server shows consumers instead of the internal
// backend address.
const PlaceholderAddress = "http://example.org/xroad-endpoint"

// Options control generation.
type Options struct {
	// Address is the soap:address location. Empty means the first
	// service's Backend.URL (what the SS should call — internal, so
	// never publish such a WSDL), or PlaceholderAddress when that is empty
	// too. Set PlaceholderAddress explicitly for a public WSDL.
	Address string
}

// headerParts are the X-Road header fields every operation declares, in
// the order of PR-MESS Annex C.
var headerParts = []string{"client", "service", "id", "userId", "issue", "protocolVersion"}

// Generate writes the WSDL describing services, which must all be SOAP
// services of the same subsystem with the same namespace. The output is
// deterministic (golden-file tested).
func Generate(services []*catalog.Service, opts Options) ([]byte, error) {
	if len(services) == 0 {
		return nil, fmt.Errorf("wsdl: no services to describe")
	}
	first := services[0]
	for _, s := range services {
		switch {
		case s.Protocol != catalog.SOAP:
			return nil, fmt.Errorf("wsdl: service %s is %s, not SOAP; use catalog/openapi", s.FullCode(), s.Protocol)
		case s.Subsystem != first.Subsystem:
			return nil, fmt.Errorf("wsdl: services %s and %s belong to different subsystems (%s, %s); one WSDL describes one subsystem's services", first.FullCode(), s.FullCode(), first.Subsystem, s.Subsystem)
		case s.Namespace != first.Namespace:
			return nil, fmt.Errorf("wsdl: services %s and %s have different namespaces", first.FullCode(), s.FullCode())
		case s.Namespace == "":
			return nil, fmt.Errorf("wsdl: service %s has no namespace", s.FullCode())
		case s.Qualified() != first.Qualified():
			return nil, fmt.Errorf("wsdl: services %s and %s differ in elementFormDefault; one schema has one", first.FullCode(), s.FullCode())
		}
	}
	addr := opts.Address
	if addr == "" {
		addr = first.Backend.URL
	}
	if addr == "" {
		addr = PlaceholderAddress
	}
	name := ncName(first.Subsystem)
	w := &writer{}
	w.line(0, `<?xml version="1.0" encoding="UTF-8"?>`)
	w.line(0, `<wsdl:definitions name=%s targetNamespace=%s`, attr(name), attr(first.Namespace))
	w.line(8, `xmlns:wsdl="`+NSWSDL+`"`)
	w.line(8, `xmlns:soap="`+NSSOAP+`"`)
	w.line(8, `xmlns:xrd="`+NSXRoad+`"`)
	w.line(8, `xmlns:xs="`+NSXS+`"`)
	w.line(8, `xmlns:tns=%s>`, attr(first.Namespace))
	w.line(4, `<wsdl:types>`)
	form := catalog.FormQualified
	if !first.Qualified() {
		form = catalog.FormUnqualified
	}
	w.line(8, `<xs:schema targetNamespace=%s elementFormDefault="%s">`, attr(first.Namespace), form)
	w.line(12, `<xs:import namespace="`+NSXRoad+`" schemaLocation="http://x-road.eu/xsd/xroad.xsd"/>`)
	for _, s := range services {
		w.element(12, s.Code, s.Input)
		w.response(12, s)
	}
	w.line(8, `</xs:schema>`)
	w.line(4, `</wsdl:types>`)

	w.line(4, `<wsdl:message name="requestHeader">`)
	for _, p := range headerParts {
		w.line(8, `<wsdl:part name="%s" element="xrd:%s"/>`, p, p)
	}
	w.line(4, `</wsdl:message>`)
	for _, s := range services {
		for _, m := range []string{s.Code, s.Code + "Response"} {
			w.line(4, `<wsdl:message name=%s>`, attr(m))
			w.line(8, `<wsdl:part name="body" element=%s/>`, attr("tns:"+m))
			w.line(4, `</wsdl:message>`)
		}
	}

	w.line(4, `<wsdl:portType name=%s>`, attr(name+"PortType"))
	for _, s := range services {
		w.line(8, `<wsdl:operation name=%s>`, attr(s.Code))
		w.line(12, `<wsdl:documentation>`)
		for _, l := range langs(s.Title) {
			w.line(16, `<xrd:title xml:lang="%s">%s</xrd:title>`, l.lang, text(l.s))
		}
		for _, l := range langs(s.Description) {
			w.line(16, `<xrd:notes xml:lang="%s">%s</xrd:notes>`, l.lang, text(l.s))
		}
		w.line(12, `</wsdl:documentation>`)
		w.line(12, `<wsdl:input name=%s message=%s/>`, attr(s.Code), attr("tns:"+s.Code))
		w.line(12, `<wsdl:output name=%s message=%s/>`, attr(s.Code+"Response"), attr("tns:"+s.Code+"Response"))
		w.line(8, `</wsdl:operation>`)
	}
	w.line(4, `</wsdl:portType>`)

	w.line(4, `<wsdl:binding name=%s type=%s>`, attr(name+"Soap11"), attr("tns:"+name+"PortType"))
	w.line(8, `<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>`)
	for _, s := range services {
		w.line(8, `<wsdl:operation name=%s>`, attr(s.Code))
		w.line(12, `<soap:operation soapAction="" style="document"/>`)
		if s.Version != "" {
			w.line(12, `<xrd:version>%s</xrd:version>`, text(s.Version))
		}
		for _, io := range []struct{ tag, name string }{{"input", s.Code}, {"output", s.Code + "Response"}} {
			w.line(12, `<wsdl:%s name=%s>`, io.tag, attr(io.name))
			w.line(16, `<soap:body parts="body" use="literal"/>`)
			for _, p := range headerParts {
				w.line(16, `<soap:header message="tns:requestHeader" part="%s" use="literal"/>`, p)
			}
			w.line(12, `</wsdl:%s>`, io.tag)
		}
		w.line(8, `</wsdl:operation>`)
	}
	w.line(4, `</wsdl:binding>`)

	w.line(4, `<wsdl:service name=%s>`, attr(name+"Service"))
	w.line(8, `<wsdl:port name=%s binding=%s>`, attr(name+"Soap11"), attr("tns:"+name+"Soap11"))
	w.line(12, `<soap:address location=%s/>`, attr(addr))
	w.line(8, `</wsdl:port>`)
	w.line(4, `</wsdl:service>`)
	w.line(0, `</wsdl:definitions>`)
	return w.buf.Bytes(), nil
}

type writer struct{ buf bytes.Buffer }

func (w *writer) line(indent int, format string, args ...any) {
	w.buf.WriteString(strings.Repeat(" ", indent))
	fmt.Fprintf(&w.buf, format, args...)
	w.buf.WriteByte('\n')
}

// element writes a global element with an anonymous sequence of fields.
func (w *writer) element(indent int, name string, fields []*catalog.Field) {
	w.line(indent, `<xs:element name=%s>`, attr(name))
	w.sequence(indent+4, fields)
	w.line(indent, `</xs:element>`)
}

// response writes <code>Response as PR-MESS Annex C shapes it: the output
// fields, then an optional business-error <fault> (faultCode restricted to
// the service's declared error codes, faultString). The provider's encoder
// (internal/catalog/codec) writes either the outputs or the fault, never both.
//
// Top-level outputs are declared minOccurs="0" even when required, since a
// fault answer carries none of them; the encoder still always writes
// required ones in a data answer. An xs:choice between the two would say
// this more exactly, but python3-zeep (4.2) drops a choice branch whose
// values are all false or zero, so a "found: false" answer would reach
// zeep clients empty.
func (w *writer) response(indent int, s *catalog.Service) {
	w.line(indent, `<xs:element name=%s>`, attr(s.Code+"Response"))
	w.line(indent+4, `<xs:complexType>`)
	w.line(indent+8, `<xs:sequence>`)
	for _, f := range s.Output {
		opt := *f
		opt.Required = false
		w.field(indent+12, &opt)
	}
	w.line(indent+12, `<xs:element name="fault" minOccurs="0">`)
	w.line(indent+16, `<xs:annotation>`)
	w.line(indent+20, `<xs:appinfo>`)
	w.line(indent+24, `<xrd:title xml:lang="en">Business error: the request was understood but is answered without data</xrd:title>`)
	w.line(indent+20, `</xs:appinfo>`)
	w.line(indent+16, `</xs:annotation>`)
	w.line(indent+16, `<xs:complexType>`)
	w.line(indent+20, `<xs:sequence>`)
	w.line(indent+24, `<xs:element name="faultCode">`)
	w.line(indent+28, `<xs:simpleType>`)
	w.line(indent+32, `<xs:restriction base="xs:string">`)
	for _, c := range s.ErrorCodes() {
		w.line(indent+36, `<xs:enumeration value=%s/>`, attr(c))
	}
	w.line(indent+32, `</xs:restriction>`)
	w.line(indent+28, `</xs:simpleType>`)
	w.line(indent+24, `</xs:element>`)
	w.line(indent+24, `<xs:element name="faultString" type="xs:string"/>`)
	w.line(indent+20, `</xs:sequence>`)
	w.line(indent+16, `</xs:complexType>`)
	w.line(indent+12, `</xs:element>`)
	w.line(indent+8, `</xs:sequence>`)
	w.line(indent+4, `</xs:complexType>`)
	w.line(indent, `</xs:element>`)
}

func (w *writer) sequence(indent int, fields []*catalog.Field) {
	if len(fields) == 0 {
		w.line(indent, `<xs:complexType><xs:sequence/></xs:complexType>`)
		return
	}
	w.line(indent, `<xs:complexType>`)
	w.line(indent+4, `<xs:sequence>`)
	for _, f := range fields {
		w.field(indent+8, f)
	}
	w.line(indent+4, `</xs:sequence>`)
	w.line(indent, `</xs:complexType>`)
}

func (w *writer) field(indent int, f *catalog.Field) {
	occurs := ""
	if !f.Required {
		occurs += ` minOccurs="0"`
	}
	if f.Repeated {
		occurs += ` maxOccurs="unbounded"`
	}
	var facets []string
	if f.Type == catalog.TypeINN || f.Type == catalog.TypePIN {
		facets = append(facets, `<xs:pattern value="[0-9]{14}"/>`)
	}
	if f.Pattern != "" {
		facets = append(facets, `<xs:pattern value=`+attr(f.Pattern)+`/>`)
	}
	for _, e := range f.Enum {
		facets = append(facets, `<xs:enumeration value=`+attr(e)+`/>`)
	}
	typ := ""
	if f.Type != catalog.TypeObject && len(facets) == 0 {
		typ = " type=" + attr(xsType(f.Type))
	}
	w.line(indent, `<xs:element name=%s%s%s>`, attr(f.Name), typ, occurs)
	w.line(indent+4, `<xs:annotation>`)
	w.line(indent+8, `<xs:appinfo>`)
	for _, l := range langs(f.Title) {
		w.line(indent+12, `<xrd:title xml:lang="%s">%s</xrd:title>`, l.lang, text(l.s))
	}
	w.line(indent+8, `</xs:appinfo>`)
	w.line(indent+4, `</xs:annotation>`)
	switch {
	case f.Type == catalog.TypeObject:
		w.sequence(indent+4, f.Fields)
	case len(facets) > 0:
		w.line(indent+4, `<xs:simpleType>`)
		if len(facets) > 1 && f.Pattern != "" && (f.Type == catalog.TypeINN || f.Type == catalog.TypePIN) {
			// Two patterns in one restriction are ORed; nest them so both hold.
			w.line(indent+8, `<xs:restriction>`)
			w.line(indent+12, `<xs:simpleType>`)
			w.line(indent+16, `<xs:restriction base="xs:string">%s</xs:restriction>`, facets[0])
			w.line(indent+12, `</xs:simpleType>`)
			facets = facets[1:]
		} else {
			w.line(indent+8, `<xs:restriction base=%s>`, attr(xsType(f.Type)))
		}
		for _, fc := range facets {
			w.line(indent+12, "%s", fc)
		}
		w.line(indent+8, `</xs:restriction>`)
		w.line(indent+4, `</xs:simpleType>`)
	}
	w.line(indent, `</xs:element>`)
}

func xsType(t catalog.FieldType) string {
	switch t {
	case catalog.TypeInteger:
		return "xs:integer"
	case catalog.TypeDecimal:
		return "xs:decimal"
	case catalog.TypeBoolean:
		return "xs:boolean"
	case catalog.TypeDate:
		return "xs:date"
	case catalog.TypeDateTime:
		return "xs:dateTime"
	}
	return "xs:string"
}

type langText struct{ lang, s string }

// langs lists the filled-in languages in the order ky, ru, en.
func langs(t catalog.Text) []langText {
	var out []langText
	for _, l := range []langText{{"ky", t.KY}, {"ru", t.RU}, {"en", t.EN}} {
		if strings.TrimSpace(l.s) != "" {
			out = append(out, langText{l.lang, strings.TrimSpace(l.s)})
		}
	}
	return out
}

// attr quotes and escapes an attribute value.
func attr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	_ = xml.EscapeText(&b, []byte(s))
	b.WriteByte('"')
	return b.String()
}

func text(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ncName makes a subsystem code usable as the base of WSDL component names.
func ncName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if i == 0 && (r == '-' || r == '.' || r >= '0' && r <= '9') {
			b.WriteByte('_')
		}
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
