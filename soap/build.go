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
	"unicode"
	"unicode/utf8"

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
// Offsets and header values are recorded while writing, so the result is
// not parsed again.
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
	for _, v := range []string{r.ID, r.UserID, r.Issue, r.ProtocolVersion, r.BodyNamespace} {
		if !xmlText(v) {
			return nil, fmt.Errorf("soap: request header value %q has characters XML cannot carry", v)
		}
	}
	if p := r.RepresentedParty; p != nil && (!xmlText(p.PartyClass) || !xmlText(p.PartyCode) || p.PartyCode == "") {
		return nil, fmt.Errorf("soap: representedParty %+v: partyCode required, XML characters only", *p)
	}
	ns := []nsBinding{{prefix: "SOAP-ENV", uri: NSEnvelope}, {prefix: "xroad", uri: NSXRoad}, {prefix: "id", uri: NSIdentifiers}}
	if r.RepresentedParty != nil {
		ns = append(ns, nsBinding{prefix: "repr", uri: NSRepresent})
	}
	if r.BodyNamespace != "" {
		ns = append(ns, nsBinding{prefix: "tns", uri: r.BodyNamespace})
	} else {
		ns = append(ns, nsBinding{prefix: "", uri: ""})
	}
	if err := checkFragment(r.Body, ns); err != nil {
		return nil, err
	}
	m := &Message{contentType: textXMLUTF8, xroadPrefix: "xroad", hasXRoadPfx: true}
	h := &Header{Client: r.Client, ID: r.ID, UserID: r.UserID, Issue: r.Issue, ProtocolVersion: r.ProtocolVersion,
		SecurityServer: r.SecurityServer, RepresentedParty: r.RepresentedParty}
	svc := r.Service
	h.Service = &svc
	m.hdr = h
	var b bytes.Buffer
	b.Grow(1200 + len(r.Body))
	m.fields = make([]fieldSpan, 0, 8)
	start := 0
	begin := func() { b.WriteString("    "); start = b.Len() }
	end := func(space, local string) {
		m.fields = append(m.fields, fieldSpan{name: xml.Name{Space: space, Local: local}, span: span{start, b.Len()}})
		b.WriteByte('\n')
	}
	simple := func(local, v string) {
		begin()
		b.WriteString("<xroad:")
		b.WriteString(local)
		b.WriteByte('>')
		escape(&b, v)
		b.WriteString("</xroad:")
		b.WriteString(local)
		b.WriteByte('>')
		end(NSXRoad, local)
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NSEnvelope + `" xmlns:xroad="` + NSXRoad + `" xmlns:id="` + NSIdentifiers + `"`)
	if r.RepresentedParty != nil {
		b.WriteString(` xmlns:repr="` + NSRepresent + `"`)
	}
	b.WriteString(">\n  ")
	m.spans.header.start = b.Len()
	b.WriteString("<SOAP-ENV:Header>")
	m.spans.headerInner.start = b.Len()
	b.WriteString("\n")
	begin()
	writeClient(&b, "client", r.Client)
	end(NSXRoad, "client")
	begin()
	writeService(&b, r.Service)
	end(NSXRoad, "service")
	if s := r.SecurityServer; s != nil {
		begin()
		b.WriteString(`<xroad:securityServer id:objectType="SERVER">`)
		writeParts(&b, "xRoadInstance", s.Instance, "memberClass", s.MemberClass, "memberCode", s.MemberCode, "serverCode", s.ServerCode)
		b.WriteString("</xroad:securityServer>")
		end(NSXRoad, "securityServer")
	}
	if p := r.RepresentedParty; p != nil {
		begin()
		b.WriteString("<repr:representedParty>")
		if p.PartyClass != "" {
			b.WriteString("<repr:partyClass>")
			escape(&b, p.PartyClass)
			b.WriteString("</repr:partyClass>")
		}
		b.WriteString("<repr:partyCode>")
		escape(&b, p.PartyCode)
		b.WriteString("</repr:partyCode></repr:representedParty>")
		end(NSRepresent, "representedParty")
	}
	simple("id", r.ID)
	if r.UserID != "" {
		simple("userId", r.UserID)
	}
	if r.Issue != "" {
		simple("issue", r.Issue)
	}
	simple("protocolVersion", r.ProtocolVersion)
	b.WriteString("  ")
	m.spans.headerInner.end = b.Len()
	b.WriteString("</SOAP-ENV:Header>")
	m.spans.header.end = b.Len()
	b.WriteString("\n  ")
	m.spans.body.start = b.Len()
	b.WriteString("<SOAP-ENV:Body>")
	m.spans.bodyInner.start = b.Len()
	b.WriteString("\n    ")
	m.spans.wrapper.start = b.Len()
	writeWrapper(&b, r.Service.ServiceCode, r.BodyNamespace, false, r.Body)
	m.spans.wrapper.end = b.Len()
	m.spans.wrapperName = xml.Name{Space: r.BodyNamespace, Local: r.Service.ServiceCode}
	m.bodyKid = 1
	b.WriteString("\n  ")
	m.spans.bodyInner.end = b.Len()
	b.WriteString("</SOAP-ENV:Body>")
	m.spans.body.end = b.Len()
	b.WriteString("\n</SOAP-ENV:Envelope>\n")
	m.soap = b.Bytes()
	m.view = m.soap
	return withAttachments(m, r.Attachments, "")
}

// xmlText reports whether s is UTF-8 made only of characters XML 1.0 can
// carry.
func xmlText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}

// checkFragment checks that b is well-formed element content in the scope
// of the given namespace bindings: no DTD, matching tags, declared
// prefixes, bounded depth.
func checkFragment(b []byte, scope []nsBinding) error {
	if len(b) == 0 {
		return nil
	}
	if !utf8.Valid(b) {
		return fmt.Errorf("soap: body is not valid UTF-8")
	}
	sc := Limits{}.withDefaults().scanner(b)
	ns := newNSStack(scope)
	var open []xml.Name
	for {
		err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("soap: body is not well-formed XML: %w", err)
		}
		switch sc.kind {
		case tokStart:
			if len(open) >= DefaultMaxDepth-4 {
				return fmt.Errorf("soap: body: %w", ErrTooDeep)
			}
			open = append(open, sc.name)
			ns.push(sc.attrs)
			if _, err := ns.resolve(sc.name); err != nil {
				return fmt.Errorf("soap: body: %w", err)
			}
			for _, a := range sc.attrs {
				if _, ok := ns.resolveAttr(a.Name); !ok {
					return fmt.Errorf("soap: body: undeclared prefix %q on attribute %s", a.Name.Space, a.Name.Local)
				}
			}
		case tokEnd:
			if len(open) == 0 || open[len(open)-1] != sc.name {
				return fmt.Errorf("soap: body: unexpected </%s>", qname(sc.name))
			}
			open = open[:len(open)-1]
			ns.pop()
		case tokDirective:
			return fmt.Errorf("soap: body: %w", ErrDTD)
		case tokPI:
			if sc.target == "xml" {
				return fmt.Errorf("soap: body: XML declaration inside the body")
			}
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("soap: body: <%s> not closed", qname(open[len(open)-1]))
	}
	return nil
}

func writeClient(b *bytes.Buffer, elem string, c ClientID) {
	b.WriteString(`<xroad:`)
	b.WriteString(elem)
	b.WriteString(` id:objectType="`)
	b.WriteString(string(c.ObjectType()))
	b.WriteString(`">`)
	writeParts(b, "xRoadInstance", c.Instance, "memberClass", c.MemberClass, "memberCode", c.MemberCode)
	if c.SubsystemCode != "" {
		writeParts(b, "subsystemCode", c.SubsystemCode)
	}
	b.WriteString("</xroad:")
	b.WriteString(elem)
	b.WriteByte('>')
}

func writeService(b *bytes.Buffer, s ServiceID) {
	b.WriteString(`<xroad:service id:objectType="SERVICE">`)
	writeParts(b, "xRoadInstance", s.Instance, "memberClass", s.MemberClass, "memberCode", s.MemberCode)
	if s.SubsystemCode != "" {
		writeParts(b, "subsystemCode", s.SubsystemCode)
	}
	writeParts(b, "serviceCode", s.ServiceCode)
	if s.ServiceVersion != "" {
		writeParts(b, "serviceVersion", s.ServiceVersion)
	}
	b.WriteString("</xroad:service>")
}

func writeParts(b *bytes.Buffer, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("<id:")
		b.WriteString(kv[i])
		b.WriteByte('>')
		escape(b, kv[i+1])
		b.WriteString("</id:")
		b.WriteString(kv[i])
		b.WriteByte('>')
	}
}

// escape writes s as XML character data (or, with attr, as an attribute
// value in double quotes). s must already be valid XML text (xmlText).
func escape(b *bytes.Buffer, s string) { escapeString(b, s, false) }

func escapeString(b *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\r':
			esc = "&#xD;"
		case '"':
			if !attr {
				continue
			}
			esc = "&#34;"
		case '\n':
			if !attr {
				continue
			}
			esc = "&#xA;"
		case '\t':
			if !attr {
				continue
			}
			esc = "&#x9;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// writeWrapper writes <ns:local xmlns:ns="…">inner</ns:local>. With no
// namespace it writes an unprefixed element, undeclaring a default
// namespace when one may be in scope.
func writeWrapper(b *bytes.Buffer, local, ns string, undeclareDefault bool, inner []byte) {
	switch {
	case ns != "":
		b.WriteString("<tns:")
		b.WriteString(local)
		b.WriteString(` xmlns:tns="`)
		escapeAttr(b, ns)
		b.WriteString(`">`)
	case undeclareDefault:
		b.WriteByte('<')
		b.WriteString(local)
		b.WriteString(` xmlns="">`)
	default:
		b.WriteByte('<')
		b.WriteString(local)
		b.WriteByte('>')
	}
	b.Write(inner)
	if ns != "" {
		b.WriteString("</tns:")
	} else {
		b.WriteString("</")
	}
	b.WriteString(local)
	b.WriteByte('>')
}

func escapeAttr(b *bytes.Buffer, s string) { escapeString(b, s, true) }

// assemble parses a built SOAP envelope and adds attachments.
func assemble(soapBytes []byte, atts []AttachmentData, boundary string) (*Message, error) {
	m := &Message{contentType: textXMLUTF8, soap: soapBytes}
	if err := m.parseSOAP("", Limits{}.withDefaults()); err != nil {
		return nil, fmt.Errorf("soap: building message: %w", err)
	}
	return withAttachments(m, atts, boundary)
}

// withAttachments wraps a built text/xml message in multipart/related when
// there are attachments.
func withAttachments(m *Message, atts []AttachmentData, boundary string) (*Message, error) {
	if len(atts) == 0 {
		return m, nil
	}
	if boundary == "" {
		var rnd [12]byte
		_, _ = rand.Read(rnd[:])
		boundary = "tunduk-" + hex.EncodeToString(rnd[:])
	}
	m.contentType = `multipart/related; type="text/xml"; charset=UTF-8; boundary=` + boundary
	m.multipart = true
	m.pre = []byte("--" + boundary + "\r\nContent-Type: " + textXMLUTF8 + "\r\n\r\n")
	m.tail = []byte("\r\n--" + boundary + "--\r\n")
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
		if bytes.Contains(a.Data, []byte("--"+boundary)) {
			return nil, fmt.Errorf("soap: attachment %d contains the MIME boundary", i+1)
		}
		raw := "Content-Type: " + ct + "\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <" + cid + ">\r\n\r\n"
		h, err := readMIMEHeader([]byte(raw))
		if err != nil {
			return nil, fmt.Errorf("soap: attachment %d: %w", i+1, err)
		}
		m.attSep = append(m.attSep, []byte("\r\n--"+boundary+"\r\n"))
		m.attachments = append(m.attachments, &Attachment{Header: h, ContentID: cid, ContentType: ct,
			Size: int64(len(a.Data)), rawHeader: []byte(raw), data: [][]byte{a.Data}})
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
	if !xmlText(ns) {
		return nil, fmt.Errorf("soap: body namespace %q has characters XML cannot carry", ns)
	}
	scope := append(append([]nsBinding(nil), req.bodyNS...), nsBinding{prefix: "tns", uri: ns})
	if ns == "" {
		scope = append(scope, nsBinding{prefix: "", uri: ""})
	}
	if err := checkFragment(r.Body, scope); err != nil {
		return nil, err
	}
	local := h.Service.ServiceCode + "Response"
	var b bytes.Buffer
	b.Grow(len(req.view) + len(r.Body) + 2*len(local) + len(ns) + 40)
	shift := req.writeHeadWithoutHash(&b)
	if req.hdrErr != nil || req.viewBase < 0 {
		// Rare shapes (a header problem, a transcoded request): parse
		// the result rather than derive its offsets.
		writeWrapper(&b, local, ns, req.defaultNSAtB != "", r.Body)
		b.Write(req.view[req.spans.bodyInner.end:])
		return assemble(b.Bytes(), r.Attachments, "")
	}
	m := &Message{contentType: textXMLUTF8, xroadPrefix: req.xroadPrefix, hasXRoadPfx: req.hasXRoadPfx,
		defaultNSAtB: req.defaultNSAtB, bodyNS: req.bodyNS, bodyKid: 1}
	hdr := *h
	hdr.RequestHash, hdr.RequestHashAlgorithm = "", ""
	m.hdr = &hdr
	for _, f := range req.fields {
		if f.name.Space == NSXRoad && f.name.Local == "requestHash" {
			continue
		}
		m.fields = append(m.fields, fieldSpan{name: f.name, span: span{shift(f.start), shift(f.end)}})
	}
	m.spans.header = span{shift(req.spans.header.start), shift(req.spans.header.end)}
	m.spans.headerInner = span{shift(req.spans.headerInner.start), shift(req.spans.headerInner.end)}
	m.spans.body.start = shift(req.spans.body.start)
	m.spans.bodyInner.start = b.Len()
	m.spans.wrapper.start = b.Len()
	writeWrapper(&b, local, ns, req.defaultNSAtB != "", r.Body)
	m.spans.wrapper.end = b.Len()
	m.spans.bodyInner.end = b.Len()
	m.spans.body.end = b.Len() + req.spans.body.end - req.spans.bodyInner.end
	m.spans.wrapperName = xml.Name{Space: ns, Local: local}
	b.Write(req.view[req.spans.bodyInner.end:])
	m.soap = b.Bytes()
	m.view = m.soap
	return withAttachments(m, r.Attachments, "")
}

// NewFaultResponse builds a response carrying a SOAP fault that keeps req's
// header block (so the fault still echoes the request).
func NewFaultResponse(req *Message, f Fault) (*Message, error) {
	if !req.HasHeader() || req.spans.bodyInner.start < 0 {
		return nil, &ValidationError{Code: CodeMissingHeader, Detail: "cannot answer a request without a SOAP Header and Body"}
	}
	var b bytes.Buffer
	_ = req.writeHeadWithoutHash(&b)
	writeFault(&b, f)
	b.Write(req.view[req.spans.bodyInner.end:])
	return assemble(b.Bytes(), nil, "")
}

// writeHeadWithoutHash writes req's view up to the Body's content, leaving
// out requestHash header fields (with the whitespace before them). A
// transcoded (non-UTF-8) request loses its XML declaration, since the copy
// is UTF-8. It returns the mapping from offsets in m.view (outside the
// removed parts) to offsets in what it wrote.
func (m *Message) writeHeadWithoutHash(b *bytes.Buffer) func(int) int {
	head := m.view[:m.spans.bodyInner.start]
	base := b.Len()
	pos := 0
	if m.viewBase < 0 && bytes.HasPrefix(head, []byte("<?xml")) {
		if i := bytes.Index(head, []byte("?>")); i >= 0 {
			pos = i + 2
		}
	}
	type cut struct{ from, to int }
	cuts := []cut{{0, pos}}
	for _, f := range m.fields {
		if f.name.Space != NSXRoad || f.name.Local != "requestHash" {
			continue
		}
		c := f.start
		for c > pos && isSpace(head[c-1]) {
			c--
		}
		b.Write(head[pos:c])
		cuts = append(cuts, cut{c, f.end})
		pos = f.end
	}
	b.Write(head[pos:])
	return func(off int) int {
		removed := 0
		for _, c := range cuts {
			if off >= c.to {
				removed += c.to - c.from
			}
		}
		return base + off - removed
	}
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

// isNCName reports whether s can be an XML element's local name (an
// NCName: a name without ':').
func isNCName(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i, r := range s {
		ok := unicode.IsLetter(r) || r == '_'
		if i > 0 {
			ok = ok || unicode.IsDigit(r) || r == '-' || r == '.' || r == 0xB7 || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
		}
		if !ok {
			return false
		}
	}
	return true
}

// Echoes reports whether resp echoes req's header: the same header fields in
// the same order with the same values, namespace-equivalent prefixes allowed,
// whitespace between elements and requestHash ignored. Otherwise it returns
// *ValidationError with CodeInconsistentResponse.
func Echoes(req, resp *Message) error {
	if sameHeaderBytes(req, resp) {
		return nil
	}
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

// sameHeaderBytes is Echoes' fast path for the common answer that copies
// the request header byte for byte: everything before the first header
// field (XML declaration, Envelope and Header start tags, so the same
// namespace bindings) is identical, and so is each field but requestHash,
// in order. Both messages were parsed (well-formed, no DTD), so their
// canonical fields are then equal; any difference goes the slow way.
func sameHeaderBytes(req, resp *Message) bool {
	if !req.HasHeader() || !resp.HasHeader() || req.spans.headerInner.start < 0 || resp.spans.headerInner.start < 0 {
		return false
	}
	if !bytes.Equal(req.view[:req.spans.headerInner.start], resp.view[:resp.spans.headerInner.start]) {
		return false
	}
	i, j := 0, 0
	for {
		for i < len(req.fields) && isRequestHash(req.fields[i].name) {
			i++
		}
		for j < len(resp.fields) && isRequestHash(resp.fields[j].name) {
			j++
		}
		if i == len(req.fields) || j == len(resp.fields) {
			return i == len(req.fields) && j == len(resp.fields)
		}
		a, b := req.fields[i].span, resp.fields[j].span
		if !bytes.Equal(req.view[a.start:a.end], resp.view[b.start:b.end]) {
			return false
		}
		i, j = i+1, j+1
	}
}

func isRequestHash(n xml.Name) bool { return n.Space == NSXRoad && n.Local == "requestHash" }

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
