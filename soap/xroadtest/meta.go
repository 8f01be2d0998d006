package xroadtest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/tunduk-kg/tunduk/soap"
)

// Metaservice codes (PR-META, PR-MREST).
const (
	MetaListMethods    = "listMethods"
	MetaAllowedMethods = "allowedMethods"
	MetaGetWSDL        = "getWsdl"
	MetaGetOpenAPI     = "getOpenAPI"
)

func isMeta(code string) bool {
	switch code {
	case MetaListMethods, MetaAllowedMethods, MetaGetWSDL, MetaOperationalData, MetaHealthData:
		return true
	}
	return false
}

// providerServices returns provider's services (SOAP, REST or both when
// kind is ""), those client may call when client is non-nil, sorted.
func (s *SecurityServer) providerServices(provider soap.ClientID, client *soap.ClientID, rest bool) []Service {
	var out []Service
	for _, svc := range s.Services() {
		if svc.ID.Provider() != provider || (rest && svc.REST == nil) || (!rest && svc.SOAP == nil) {
			continue
		}
		if client != nil && !allowed(svc, *client) {
			continue
		}
		out = append(out, svc)
	}
	return out
}

func (s *SecurityServer) serveMetaSOAP(w http.ResponseWriter, req *soap.Message, x *Exchange) {
	h := req.Header()
	provider := h.Service.Provider()
	var (
		body        strings.Builder
		attachments []soap.AttachmentData
	)
	switch h.Service.ServiceCode {
	case MetaOperationalData, MetaHealthData:
		s.serveOpmon(w, req, x)
		return
	case MetaListMethods, MetaAllowedMethods:
		var client *soap.ClientID
		if h.Service.ServiceCode == MetaAllowedMethods {
			client = &h.Client
		}
		for _, svc := range s.providerServices(provider, client, false) {
			writeServiceXML(&body, svc.ID)
		}
	case MetaGetWSDL:
		var q struct {
			ServiceCode    string `xml:"serviceCode"`
			ServiceVersion string `xml:"serviceVersion"`
		}
		if err := xml.Unmarshal(req.BodyElement(), &q); err != nil || q.ServiceCode == "" {
			x.FaultCode = soap.CodeInvalidBody.Client()
			x.Response = writeFault(w, x.FaultCode, "getWsdl needs serviceCode")
			s.exchange(*x)
			return
		}
		id := soap.ServiceID{ClientID: provider, ServiceCode: q.ServiceCode, ServiceVersion: q.ServiceVersion}
		svc, ok := s.lookup(id)
		if !ok || svc.SOAP == nil {
			x.FaultCode = CodeUnknownService
			x.Response = writeFault(w, x.FaultCode, "Unknown service: "+id.Typed())
			s.exchange(*x)
			return
		}
		wsdl := svc.WSDL
		if wsdl == nil {
			wsdl = GenerateWSDL(svc.ID)
		}
		fmt.Fprintf(&body, `<serviceCode xmlns="%s">%s</serviceCode>`, soap.NSXRoad, esc(q.ServiceCode))
		if q.ServiceVersion != "" {
			fmt.Fprintf(&body, `<serviceVersion xmlns="%s">%s</serviceVersion>`, soap.NSXRoad, esc(q.ServiceVersion))
		}
		attachments = []soap.AttachmentData{{ContentType: "text/xml", Data: wsdl}}
	}
	var (
		resp *soap.Message
		err  error
	)
	if attachments == nil {
		resp, err = newResponseSpliced(req, soap.NSXRoad, []byte(body.String()))
	} else {
		resp, err = soap.NewResponseFrom(req, soap.Response{BodyNamespace: soap.NSXRoad, Body: []byte(body.String()), Attachments: attachments})
	}
	if err == nil {
		resp, err = soap.AddRequestHash(resp, req)
	}
	if err != nil {
		x.FaultCode = soap.CodeInternalError.Client()
		x.Response = writeFault(w, x.FaultCode, "cannot build the metaservice response: "+reason(err))
		s.exchange(*x)
		return
	}
	defer resp.Close()
	x.Response = resp.Bytes()
	s.exchange(*x)
	writeMessage(w, http.StatusOK, resp.ContentType(), x.Response)
}

// newResponseSpliced is soap.NewResponse for a text/xml body whose elements
// declare namespace prefixes (xmlns:id=…), which soap's fragment check
// rejects at present (see "Requests from emulator" in SOAP_API.md): it
// builds the response with an empty wrapper, splices body into it and
// parses the result.
func newResponseSpliced(req *soap.Message, ns string, body []byte) (*soap.Message, error) {
	empty, err := soap.NewResponse(req, ns, nil)
	if err != nil {
		return nil, err
	}
	b := empty.Bytes()
	wrapper := empty.BodyElement()
	at := bytes.Index(b, wrapper)
	end := bytes.LastIndex(wrapper, []byte("</"))
	if at < 0 {
		return nil, fmt.Errorf("xroadtest: cannot locate the response wrapper")
	}
	if end < 0 { // self-closing <x/>: open it
		open := bytes.TrimSuffix(wrapper, []byte("/>"))
		wrapper = append(append(append([]byte{}, open...), '>'), []byte("</"+qualifiedName(open)+">")...)
		b = append(append(append([]byte{}, b[:at]...), wrapper...), b[at+len(empty.BodyElement()):]...)
		end = bytes.LastIndex(wrapper, []byte("</"))
	}
	out := make([]byte, 0, len(b)+len(body))
	out = append(out, b[:at+end]...)
	out = append(out, body...)
	out = append(out, b[at+end:]...)
	return soap.ParseBytes(out, empty.ContentType(), soap.Limits{})
}

// qualifiedName returns the element name of a start tag "<p:name …".
func qualifiedName(tag []byte) string {
	t := strings.TrimPrefix(string(tag), "<")
	if i := strings.IndexAny(t, " \t\r\n/>"); i >= 0 {
		t = t[:i]
	}
	return t
}

// writeServiceXML writes a PR-META service identifier element.
func writeServiceXML(b *strings.Builder, id soap.ServiceID) {
	fmt.Fprintf(b, `<xroad:service xmlns:xroad="%s" xmlns:id="%s" id:objectType="SERVICE">`, soap.NSXRoad, soap.NSIdentifiers)
	fmt.Fprintf(b, `<id:xRoadInstance>%s</id:xRoadInstance><id:memberClass>%s</id:memberClass><id:memberCode>%s</id:memberCode>`,
		esc(id.Instance), esc(id.MemberClass), esc(id.MemberCode))
	if id.SubsystemCode != "" {
		fmt.Fprintf(b, `<id:subsystemCode>%s</id:subsystemCode>`, esc(id.SubsystemCode))
	}
	fmt.Fprintf(b, `<id:serviceCode>%s</id:serviceCode>`, esc(id.ServiceCode))
	if id.ServiceVersion != "" {
		fmt.Fprintf(b, `<id:serviceVersion>%s</id:serviceVersion>`, esc(id.ServiceVersion))
	}
	b.WriteString(`</xroad:service>`)
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// members returns the listClients entries: Options.Members plus every
// registered provider (as member and subsystem), without duplicates.
func (s *SecurityServer) members(instance string) []Member {
	seen := map[soap.ClientID]bool{}
	var out []Member
	add := func(m Member) {
		if seen[m.ID] || (instance != "" && m.ID.Instance != instance) {
			return
		}
		seen[m.ID] = true
		out = append(out, m)
	}
	for _, m := range s.opts.Members {
		add(m)
	}
	for _, svc := range s.Services() {
		p := svc.ID.Provider()
		member := p
		member.SubsystemCode = ""
		add(Member{ID: member, Name: member.MemberCode})
		add(Member{ID: p, Name: member.MemberCode, SubsystemName: p.SubsystemCode})
	}
	for _, c := range s.opts.LocalClients {
		add(Member{ID: c, Name: c.MemberCode, SubsystemName: c.SubsystemCode})
	}
	return out
}

// listClients JSON shape (PR-META Annex C.1).
type jsonClientList struct {
	Member []jsonMember `json:"member"`
}

type jsonMember struct {
	ID            jsonID `json:"id"`
	Name          string `json:"name"`
	SubsystemName string `json:"subsystem_name,omitempty"`
}

type jsonID struct {
	MemberClass   string `json:"member_class"`
	MemberCode    string `json:"member_code"`
	SubsystemCode string `json:"subsystem_code,omitempty"`
	ObjectType    string `json:"object_type"`
	XRoadInstance string `json:"xroad_instance"`
}

func (s *SecurityServer) serveListClients(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeFault(w, soap.CodeInvalidHTTPMethod.Client(), "listClients is an HTTP GET")
		return
	}
	ms := s.members(r.URL.Query().Get("xRoadInstance"))
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		var l jsonClientList
		l.Member = []jsonMember{}
		for _, m := range ms {
			l.Member = append(l.Member, jsonMember{
				ID: jsonID{MemberClass: m.ID.MemberClass, MemberCode: m.ID.MemberCode, SubsystemCode: m.ID.SubsystemCode,
					ObjectType: string(m.ID.ObjectType()), XRoadInstance: m.ID.Instance},
				Name: m.Name, SubsystemName: m.SubsystemName,
			})
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_ = json.NewEncoder(w).Encode(l)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<ns2:clientList xmlns:ns1="%s" xmlns:ns2="%s">`, soap.NSIdentifiers, soap.NSXRoad)
	for _, m := range ms {
		fmt.Fprintf(&b, `<ns2:member><ns2:id ns1:objectType="%s"><ns1:xRoadInstance>%s</ns1:xRoadInstance><ns1:memberClass>%s</ns1:memberClass><ns1:memberCode>%s</ns1:memberCode>`,
			m.ID.ObjectType(), esc(m.ID.Instance), esc(m.ID.MemberClass), esc(m.ID.MemberCode))
		if m.ID.SubsystemCode != "" {
			fmt.Fprintf(&b, `<ns1:subsystemCode>%s</ns1:subsystemCode>`, esc(m.ID.SubsystemCode))
		}
		fmt.Fprintf(&b, `</ns2:id><ns2:name>%s</ns2:name>`, esc(m.Name))
		if m.SubsystemName != "" {
			fmt.Fprintf(&b, `<ns2:subsystemName>%s</ns2:subsystemName>`, esc(m.SubsystemName))
		}
		b.WriteString(`</ns2:member>`)
	}
	b.WriteString(`</ns2:clientList>`)
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	_, _ = w.Write([]byte(b.String()))
}

// REST listMethods/allowedMethods JSON shape (PR-MREST).
type jsonMethodList struct {
	Service []jsonService `json:"service"`
}

type jsonService struct {
	MemberClass   string         `json:"member_class"`
	MemberCode    string         `json:"member_code"`
	SubsystemCode string         `json:"subsystem_code"`
	ServiceCode   string         `json:"service_code"`
	ServiceType   string         `json:"service_type"`
	ObjectType    string         `json:"object_type"`
	XRoadInstance string         `json:"xroad_instance"`
	EndpointList  []jsonEndpoint `json:"endpoint_list,omitempty"`
}

type jsonEndpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// serveMetaREST answers listMethods, allowedMethods and getOpenAPI over
// REST; it reports false when code is not a REST metaservice.
func (s *SecurityServer) serveMetaREST(w http.ResponseWriter, r *http.Request, provider, client soap.ClientID, code string) bool {
	switch code {
	case MetaListMethods, MetaAllowedMethods:
		var c *soap.ClientID
		if code == MetaAllowedMethods {
			c = &client
		}
		l := jsonMethodList{Service: []jsonService{}}
		for _, svc := range s.providerServices(provider, c, true) {
			js := jsonService{MemberClass: provider.MemberClass, MemberCode: provider.MemberCode, SubsystemCode: provider.SubsystemCode,
				ServiceCode: svc.ID.ServiceCode, ServiceType: "REST", ObjectType: "SERVICE", XRoadInstance: provider.Instance}
			if svc.OpenAPI != nil {
				js.ServiceType = "OPENAPI"
			}
			for _, e := range svc.Endpoints {
				js.EndpointList = append(js.EndpointList, jsonEndpoint(e))
			}
			l.Service = append(l.Service, js)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(l)
		return true
	case MetaGetOpenAPI:
		sc := r.URL.Query().Get("serviceCode")
		svc, ok := s.lookup(soap.ServiceID{ClientID: provider, ServiceCode: sc})
		if sc == "" || !ok || svc.REST == nil {
			writeRESTError(w, CodeUnknownService, "Unknown service: "+provider.String()+"/"+sc)
			return true
		}
		doc := svc.OpenAPI
		if doc == nil {
			doc = GenerateOpenAPI(svc.ID, svc.Endpoints)
		}
		ct := "text/yaml; charset=utf-8"
		if t := strings.TrimSpace(string(doc)); strings.HasPrefix(t, "{") {
			ct = "application/json; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(doc)
		return true
	}
	return false
}

// GenerateWSDL returns a minimal document/literal WSDL for a SOAP service
// with the X-Road header parts, as getWsdl returns when a Service has no
// WSDL of its own.
func GenerateWSDL(id soap.ServiceID) []byte {
	op := esc(id.ServiceCode)
	ns := "http://" + esc(strings.ToLower(id.MemberClass+"-"+id.MemberCode)) + ".xroadtest.invalid/" + esc(id.SubsystemCode)
	version := ""
	if id.ServiceVersion != "" {
		version = "<xrd:version>" + esc(id.ServiceVersion) + "</xrd:version>"
	}
	header := ""
	for _, p := range []string{"client", "service", "userId", "id", "issue", "protocolVersion"} {
		header += `<soap:header message="tns:requestheader" part="` + p + `" use="literal"/>`
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd"
    xmlns:tns="` + ns + `" name="` + op + `Service" targetNamespace="` + ns + `">
  <wsdl:types>
    <xsd:schema elementFormDefault="qualified" targetNamespace="` + ns + `">
      <xsd:import namespace="http://x-road.eu/xsd/xroad.xsd" schemaLocation="http://x-road.eu/xsd/xroad.xsd"/>
      <xsd:element name="` + op + `"><xsd:complexType><xsd:sequence><xsd:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="` + op + `Response"><xsd:complexType><xsd:sequence><xsd:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xsd:sequence></xsd:complexType></xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="requestheader">
    <wsdl:part name="client" element="xrd:client"/>
    <wsdl:part name="service" element="xrd:service"/>
    <wsdl:part name="userId" element="xrd:userId"/>
    <wsdl:part name="id" element="xrd:id"/>
    <wsdl:part name="issue" element="xrd:issue"/>
    <wsdl:part name="protocolVersion" element="xrd:protocolVersion"/>
  </wsdl:message>
  <wsdl:message name="` + op + `"><wsdl:part name="body" element="tns:` + op + `"/></wsdl:message>
  <wsdl:message name="` + op + `Response"><wsdl:part name="body" element="tns:` + op + `Response"/></wsdl:message>
  <wsdl:portType name="` + op + `PortType">
    <wsdl:operation name="` + op + `"><wsdl:input message="tns:` + op + `"/><wsdl:output message="tns:` + op + `Response"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="` + op + `Binding" type="tns:` + op + `PortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="` + op + `">
      <soap:operation soapAction="" style="document"/>` + version + `
      <wsdl:input><soap:body parts="body" use="literal"/>` + header + `</wsdl:input>
      <wsdl:output><soap:body parts="body" use="literal"/>` + header + `</wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="` + op + `Service">
    <wsdl:port binding="tns:` + op + `Binding" name="` + op + `Port"><soap:address location="http://provider.xroadtest.invalid/"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`)
}

// GenerateOpenAPI returns a minimal OpenAPI 3.0 document (YAML) for a REST
// service, as getOpenAPI returns when a Service has no description.
func GenerateOpenAPI(id soap.ServiceID, endpoints []Endpoint) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "openapi: 3.0.3\ninfo:\n  title: %q\n  version: \"1\"\nservers:\n  - url: /\npaths:\n", id.ServiceCode)
	byPath := map[string][]string{}
	var paths []string
	for _, e := range endpoints {
		if _, ok := byPath[e.Path]; !ok {
			paths = append(paths, e.Path)
		}
		byPath[e.Path] = append(byPath[e.Path], strings.ToLower(e.Method))
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		b.WriteString("  {}\n")
	}
	for _, p := range paths {
		fmt.Fprintf(&b, "  %q:\n", p)
		for _, m := range byPath[p] {
			fmt.Fprintf(&b, "    %s:\n      responses:\n        \"200\":\n          description: OK\n", m)
		}
	}
	return []byte(b.String())
}
