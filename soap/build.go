package soap

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// AttachmentData is an attachment to put into a built message.
type AttachmentData struct {
	ContentID   string // without angle brackets; "" ⇒ generated
	ContentType string // "" ⇒ application/octet-stream
	Data        []byte
}

// Request describes a request to build. The body wrapper's local name is
// always Service.ServiceCode.
type Request struct {
	Client        ClientID
	Service       ServiceID
	ID            string // "" ⇒ a new UUID
	UserID, Issue string
	// ProtocolVersion defaults to "4.0".
	ProtocolVersion  string
	RepresentedParty *RepresentedParty
	SecurityServer   *SecurityServerID
	BodyNamespace    string // namespace of the wrapper; "" ⇒ no namespace
	Body             []byte // inner XML of the wrapper, a well-formed fragment
	Attachments      []AttachmentData
}

const textXMLUTF8 = "text/xml; charset=UTF-8"

// NewRequest builds an X-Road request (protocolVersion 4.0). With
// attachments the message is multipart/related (SOAP with Attachments).
func NewRequest(r Request) (*Message, error) {
	if err := r.Client.Validate(); err != nil {
		return nil, fmt.Errorf("soap: request client: %w", err)
	}
	if err := r.Service.Validate(); err != nil {
		return nil, fmt.Errorf("soap: request service: %w", err)
	}
	if !isNCName(r.Service.ServiceCode) {
		return nil, &ValidationError{Code: CodeInvalidServiceIdentifier, Detail: fmt.Sprintf("serviceCode %q cannot name the body element (not an XML NCName)", r.Service.ServiceCode)}
	}
	if r.ID == "" {
		r.ID = uuid.NewString()
	}
	if r.ProtocolVersion == "" {
		r.ProtocolVersion = "4.0"
	}
	var b bytes.Buffer
	b.Grow(1024 + len(r.Body))
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NSEnvelope + `" xmlns:xroad="` + NSXRoad + `" xmlns:id="` + NSIdentifiers + `"`)
	if r.RepresentedParty != nil {
		b.WriteString(` xmlns:repr="` + NSRepresent + `"`)
	}
	b.WriteString(">\n  <SOAP-ENV:Header>\n")
	writeClient(&b, "client", r.Client)
	writeService(&b, r.Service)
	if r.SecurityServer != nil {
		s := r.SecurityServer
		b.WriteString(`    <xroad:securityServer id:objectType="SERVER">`)
		writeParts(&b, "xRoadInstance", s.Instance, "memberClass", s.MemberClass, "memberCode", s.MemberCode, "serverCode", s.ServerCode)
		b.WriteString("</xroad:securityServer>\n")
	}
	if p := r.RepresentedParty; p != nil {
		b.WriteString("    <repr:representedParty>")
		if p.PartyClass != "" {
			b.WriteString("<repr:partyClass>")
			escape(&b, p.PartyClass)
			b.WriteString("</repr:partyClass>")
		}
		b.WriteString("<repr:partyCode>")
		escape(&b, p.PartyCode)
		b.WriteString("</repr:partyCode></repr:representedParty>\n")
	}
	writeSimple(&b, "id", r.ID)
	if r.UserID != "" {
		writeSimple(&b, "userId", r.UserID)
	}
	if r.Issue != "" {
		writeSimple(&b, "issue", r.Issue)
	}
	writeSimple(&b, "protocolVersion", r.ProtocolVersion)
	b.WriteString("  </SOAP-ENV:Header>\n  <SOAP-ENV:Body>\n    ")
	writeWrapper(&b, r.Service.ServiceCode, r.BodyNamespace, false, r.Body)
	b.WriteString("\n  </SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n")
	return assemble(b.Bytes(), r.Attachments, "")
}

func writeClient(b *bytes.Buffer, elem string, c ClientID) {
	b.WriteString(`    <xroad:` + elem + ` id:objectType="` + string(c.ObjectType()) + `">`)
	writeParts(b, "xRoadInstance", c.Instance, "memberClass", c.MemberClass, "memberCode", c.MemberCode)
	if c.SubsystemCode != "" {
		writeParts(b, "subsystemCode", c.SubsystemCode)
	}
	b.WriteString("</xroad:" + elem + ">\n")
}

func writeService(b *bytes.Buffer, s ServiceID) {
	b.WriteString(`    <xroad:service id:objectType="SERVICE">`)
	writeParts(b, "xRoadInstance", s.Instance, "memberClass", s.MemberClass, "memberCode", s.MemberCode)
	if s.SubsystemCode != "" {
		writeParts(b, "subsystemCode", s.SubsystemCode)
	}
	writeParts(b, "serviceCode", s.ServiceCode)
	if s.ServiceVersion != "" {
		writeParts(b, "serviceVersion", s.ServiceVersion)
	}
	b.WriteString("</xroad:service>\n")
}

func writeParts(b *bytes.Buffer, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("<id:" + kv[i] + ">")
		escape(b, kv[i+1])
		b.WriteString("</id:" + kv[i] + ">")
	}
}

func writeSimple(b *bytes.Buffer, local, v string) {
	b.WriteString("    <xroad:" + local + ">")
	escape(b, v)
	b.WriteString("</xroad:" + local + ">\n")
}

func escape(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }

// writeWrapper writes <ns:local xmlns:ns="…">inner</ns:local>. With no
// namespace it writes an unprefixed element, undeclaring a default
// namespace when one may be in scope.
func writeWrapper(b *bytes.Buffer, local, ns string, undeclareDefault bool, inner []byte) {
	switch {
	case ns != "":
		b.WriteString("<tns:" + local + ` xmlns:tns="`)
		escapeAttr(b, ns)
		b.WriteString(`">`)
	case undeclareDefault:
		b.WriteString("<" + local + ` xmlns="">`)
	default:
		b.WriteString("<" + local + ">")
	}
	b.Write(inner)
	if ns != "" {
		b.WriteString("</tns:" + local + ">")
	} else {
		b.WriteString("</" + local + ">")
	}
}

func escapeAttr(b *bytes.Buffer, s string) {
	var e bytes.Buffer
	_ = xml.EscapeText(&e, []byte(s))
	b.WriteString(strings.ReplaceAll(e.String(), `"`, "&#34;"))
}

// assemble parses a built SOAP envelope, wrapping it in multipart/related
// when there are attachments.
func assemble(soapBytes []byte, atts []AttachmentData, boundary string) (*Message, error) {
	if len(atts) == 0 {
		m := &Message{contentType: textXMLUTF8, soap: soapBytes}
		if err := m.parseSOAP("", Limits{}.withDefaults()); err != nil {
			return nil, fmt.Errorf("soap: building message: %w", err)
		}
		return m, nil
	}
	if boundary == "" {
		var rnd [12]byte
		_, _ = rand.Read(rnd[:])
		boundary = "tunduk-" + hex.EncodeToString(rnd[:])
	}
	m := &Message{
		contentType: `multipart/related; type="text/xml"; charset=UTF-8; boundary=` + boundary,
		soap:        soapBytes,
		multipart:   true,
		pre:         []byte("--" + boundary + "\r\nContent-Type: " + textXMLUTF8 + "\r\n\r\n"),
		tail:        []byte("\r\n--" + boundary + "--\r\n"),
	}
	if err := m.parseSOAP("", Limits{}.withDefaults()); err != nil {
		return nil, fmt.Errorf("soap: building message: %w", err)
	}
	for i, a := range atts {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		cid := a.ContentID
		if cid == "" {
			cid = fmt.Sprintf("attachment%d@tunduk", i+1)
		}
		if strings.ContainsAny(ct+cid, "\r\n") {
			return nil, fmt.Errorf("soap: attachment %d: line break in Content-Type or Content-ID", i+1)
		}
		raw := "Content-Type: " + ct + "\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <" + cid + ">\r\n\r\n"
		h, err := readMIMEHeader([]byte(raw))
		if err != nil {
			return nil, fmt.Errorf("soap: attachment %d: %w", i+1, err)
		}
		m.attSep = append(m.attSep, []byte("\r\n--"+boundary+"\r\n"))
		m.attachments = append(m.attachments, &Attachment{Header: h, ContentID: cid, ContentType: ct,
			Size: int64(len(a.Data)), rawHeader: []byte(raw), data: a.Data})
	}
	return m, nil
}

// Response describes the body of a response built by NewResponseFrom.
type Response struct {
	BodyNamespace string // "" ⇒ the request wrapper's namespace
	Body          []byte // inner XML of the <serviceCode>Response wrapper
	Attachments   []AttachmentData
}

// NewResponse builds the response to req: the header block is req's header
// block copied byte for byte (minus any requestHash), and the wrapper is
// <serviceCode>Response in bodyNamespace ("" ⇒ the request wrapper's
// namespace) containing body.
func NewResponse(req *Message, bodyNamespace string, body []byte) (*Message, error) {
	return NewResponseFrom(req, Response{BodyNamespace: bodyNamespace, Body: body})
}

// NewResponseFrom is NewResponse with attachments. Everything of the
// request's envelope outside the Body's content (XML declaration, Envelope
// start tag with its namespace declarations, Header, Body start tag) is
// copied byte for byte, so the response echoes the request exactly.
func NewResponseFrom(req *Message, r Response) (*Message, error) {
	h := req.Header()
	if h == nil || !req.HasHeader() {
		return nil, &ValidationError{Code: CodeMissingHeader, Detail: "cannot answer a request without a SOAP Header"}
	}
	if h.Service == nil || req.spans.bodyInner.start < 0 {
		return nil, &ValidationError{Code: CodeMissingHeaderField, Detail: "cannot answer a request without service and Body"}
	}
	ns := r.BodyNamespace
	if ns == "" {
		ns = req.spans.wrapperName.Space
	}
	var b bytes.Buffer
	b.Grow(len(req.view) + len(r.Body))
	req.writeHeadWithoutHash(&b)
	writeWrapper(&b, h.Service.ServiceCode+"Response", ns, req.defaultNSAtB != "", r.Body)
	b.Write(req.view[req.spans.bodyInner.end:])
	return assemble(b.Bytes(), r.Attachments, "")
}

// NewFaultResponse builds a response carrying a SOAP fault that keeps req's
// header block (so the fault still echoes the request).
func NewFaultResponse(req *Message, f Fault) (*Message, error) {
	if !req.HasHeader() || req.spans.bodyInner.start < 0 {
		return nil, &ValidationError{Code: CodeMissingHeader, Detail: "cannot answer a request without a SOAP Header and Body"}
	}
	var b bytes.Buffer
	req.writeHeadWithoutHash(&b)
	writeFault(&b, f)
	b.Write(req.view[req.spans.bodyInner.end:])
	return assemble(b.Bytes(), nil, "")
}

// writeHeadWithoutHash writes req's view up to the Body's content, leaving
// out requestHash header fields (with the whitespace before them). A
// transcoded (non-UTF-8) request loses its XML declaration, since the copy
// is UTF-8.
func (m *Message) writeHeadWithoutHash(b *bytes.Buffer) {
	head := m.view[:m.spans.bodyInner.start]
	pos := 0
	if m.viewBase < 0 && bytes.HasPrefix(head, []byte("<?xml")) {
		if i := bytes.Index(head, []byte("?>")); i >= 0 {
			pos = i + 2
		}
	}
	for _, f := range m.fields {
		if f.name.Space != NSXRoad || f.name.Local != "requestHash" {
			continue
		}
		cut := f.start
		for cut > pos && isSpace(head[cut-1]) {
			cut--
		}
		b.Write(head[pos:cut])
		pos = f.end
	}
	b.Write(head[pos:])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func writeFault(b *bytes.Buffer, f Fault) {
	b.WriteString(`<SOAP-ENV:Fault xmlns:SOAP-ENV="` + NSEnvelope + `"><faultcode>`)
	escape(b, f.Code)
	b.WriteString("</faultcode><faultstring>")
	escape(b, f.String)
	b.WriteString("</faultstring>")
	if f.Actor != "" {
		b.WriteString("<faultactor>")
		escape(b, f.Actor)
		b.WriteString("</faultactor>")
	}
	if f.Detail != "" {
		b.WriteString("<detail>")
		if wellFormed([]byte(f.Detail)) {
			b.WriteString(f.Detail)
		} else {
			escape(b, f.Detail)
		}
		b.WriteString("</detail>")
	}
	b.WriteString("</SOAP-ENV:Fault>")
}

// NewFault returns a complete SOAP 1.1 envelope carrying f, to be sent as
// text/xml; charset=UTF-8. A Detail that is not well-formed XML is sent as
// text.
func NewFault(f Fault) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NSEnvelope + `"><SOAP-ENV:Body>`)
	writeFault(&b, f)
	b.WriteString("</SOAP-ENV:Body></SOAP-ENV:Envelope>\n")
	return b.Bytes()
}

// wellFormed reports whether b is a well-formed XML fragment without DTDs.
func wellFormed(b []byte) bool {
	d := xml.NewDecoder(io.MultiReader(strings.NewReader("<x>"), bytes.NewReader(b), strings.NewReader("</x>")))
	d.Strict = true
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return depth == 0
		}
		if err != nil {
			return false
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.Directive:
			return false
		}
	}
}

// isNCName reports whether s can be an XML element's local name.
func isNCName(s string) bool {
	if s == "" {
		return false
	}
	d := xml.NewDecoder(strings.NewReader("<" + s + "/>"))
	tok, err := d.RawToken()
	if err != nil {
		return false
	}
	se, ok := tok.(xml.StartElement)
	return ok && se.Name.Space == "" && se.Name.Local == s && !strings.ContainsRune(s, ':')
}

// Echoes reports whether resp echoes req's header: the same header fields in
// the same order with the same values, namespace-equivalent prefixes allowed,
// whitespace between elements and requestHash ignored. Otherwise it returns
// *ValidationError with CodeInconsistentResponse.
func Echoes(req, resp *Message) error {
	a, err := req.canonicalFields()
	if err != nil {
		return err
	}
	b, err := resp.canonicalFields()
	if err != nil {
		return err
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return &ValidationError{Code: CodeInconsistentResponse, Detail: fmt.Sprintf("response has an extra header field %s", b[i].name)}
		case i >= len(b):
			return &ValidationError{Code: CodeInconsistentResponse, Detail: fmt.Sprintf("response lacks the request's header field %s", a[i].name)}
		case a[i].canon != b[i].canon:
			return &ValidationError{Code: CodeInconsistentResponse, Detail: fmt.Sprintf("header field %d (%s) differs from the request's (%s)", i+1, b[i].name, a[i].name)}
		}
	}
	return nil
}

type canonField struct{ name, canon string }

// canonicalFields renders each header field (but requestHash) with resolved
// names and sorted attributes, dropping whitespace-only text and comments.
func (m *Message) canonicalFields() ([]canonField, error) {
	if !m.HasHeader() {
		return nil, nil
	}
	d := xml.NewDecoder(bytes.NewReader(m.view))
	d.CharsetReader = passthroughCharset
	var (
		out   []canonField
		cur   strings.Builder
		name  string
		depth int
		skip  bool
	)
	for d.InputOffset() < int64(m.spans.header.end) {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("soap: re-reading header: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 3 {
				name = t.Name.Local
				skip = t.Name.Space == NSXRoad && t.Name.Local == "requestHash"
				cur.Reset()
			}
			if depth >= 3 && !skip {
				cur.WriteString("<{" + t.Name.Space + "}" + t.Name.Local)
				attrs := make([]string, 0, len(t.Attr))
				for _, a := range t.Attr {
					if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
						continue
					}
					attrs = append(attrs, "{"+a.Name.Space+"}"+a.Name.Local+"="+a.Value)
				}
				sort.Strings(attrs)
				for _, a := range attrs {
					cur.WriteString(" " + a)
				}
				cur.WriteString(">")
			}
		case xml.EndElement:
			if depth >= 3 && !skip {
				cur.WriteString("</>")
			}
			if depth == 3 && !skip {
				out = append(out, canonField{name: name, canon: cur.String()})
			}
			depth--
		case xml.CharData:
			if depth >= 3 && !skip && len(bytes.TrimSpace(t)) > 0 {
				cur.Write(t)
			}
		}
	}
	return out, nil
}

// CheckConsistency applies X-Road's looser pair check (SoapUtils): client,
// service, id, userId, issue and representedParty must be equal. Otherwise it
// returns *ValidationError with CodeInconsistentHeaders.
func CheckConsistency(req, resp *Message) error {
	a, b := req.Header(), resp.Header()
	bad := func(f string) error {
		return &ValidationError{Code: CodeInconsistentHeaders, Detail: "response header field " + f + " differs from the request's"}
	}
	switch {
	case a.Client != b.Client:
		return bad("client")
	case (a.Service == nil) != (b.Service == nil) || (a.Service != nil && *a.Service != *b.Service):
		return bad("service")
	case a.ID != b.ID:
		return bad("id")
	case a.UserID != b.UserID:
		return bad("userId")
	case a.Issue != b.Issue:
		return bad("issue")
	case (a.RepresentedParty == nil) != (b.RepresentedParty == nil) || (a.RepresentedParty != nil && *a.RepresentedParty != *b.RepresentedParty):
		return bad("representedParty")
	}
	return nil
}
