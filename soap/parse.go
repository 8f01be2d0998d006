package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
)

// Parse reads a message with the given HTTP Content-Type. Attachments are
// streamed and spill to temporary files beyond lim.MaxMemory; call Close to
// remove them. Structural problems (content type, MIME, XML, not SOAP) are
// *ValidationError with the X-Road fault code; header and body rules are
// checked by Validate.
func Parse(r io.Reader, contentType string, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	mt, params, err := mediaType(contentType)
	if err != nil {
		return nil, err
	}
	if mt == "multipart/related" {
		return parseMultipart(r, contentType, params, lim)
	}
	b, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("soap: reading message: %w", err)
	}
	return parsePlain(b, contentType, params, lim)
}

// ParseBytes is Parse over bytes already in memory; a text/xml message
// aliases b (do not modify b afterwards).
func ParseBytes(b []byte, contentType string, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	mt, params, err := mediaType(contentType)
	if err != nil {
		return nil, err
	}
	if mt == "multipart/related" {
		return parseMultipart(bytes.NewReader(b), contentType, params, lim)
	}
	return parsePlain(b, contentType, params, lim)
}

// mediaType checks the HTTP Content-Type: text/xml or multipart/related.
func mediaType(contentType string) (string, map[string]string, error) {
	mt, params, err := parseMediaType(contentType)
	if err != nil {
		return "", nil, &ValidationError{Code: CodeInvalidContentType, Detail: fmt.Sprintf("content type %q: %v", contentType, err)}
	}
	switch mt {
	case "text/xml":
	case "multipart/related":
		if params["boundary"] == "" {
			return "", nil, &ValidationError{Code: CodeInvalidContentType, Detail: fmt.Sprintf("content type %q has no boundary", contentType)}
		}
	default:
		return "", nil, &ValidationError{Code: CodeInvalidContentType, Detail: fmt.Sprintf("content type %q: want text/xml or multipart/related", contentType)}
	}
	return mt, params, nil
}

// parseMediaType is mime.ParseMediaType, tolerating parameters it
// rejects: real senders write e.g. type='application/xop+xml' (X-Road's
// AttachmentSmallMantis test).
func parseMediaType(v string) (string, map[string]string, error) {
	mt, params, err := mime.ParseMediaType(v)
	if errors.Is(err, mime.ErrInvalidMediaParameter) && mt != "" {
		return mt, lenientParams(v), nil
	}
	return mt, params, err
}

// lenientParams reads "; key=value" parameters, values bare or in single
// or double quotes.
func lenientParams(contentType string) map[string]string {
	params := map[string]string{}
	parts := strings.Split(contentType, ";")
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		if k != "" {
			params[k] = v
		}
	}
	return params
}

func parsePlain(b []byte, contentType string, params map[string]string, lim Limits) (*Message, error) {
	if int64(len(b)) > lim.MaxBytes {
		return nil, &ValidationError{Code: CodeInvalidMessage, Detail: fmt.Sprintf("SOAP message larger than %d bytes", lim.MaxBytes), Err: ErrTooLarge}
	}
	m := &Message{contentType: contentType, soap: b}
	if err := m.parseSOAP(params["charset"], lim); err != nil {
		return nil, err
	}
	return m, nil
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// parseSOAP decodes m.soap into header fields and offsets.
func (m *Message) parseSOAP(charset string, lim Limits) error {
	view := m.soap
	m.viewBase = 0
	if bytes.HasPrefix(view, bom) {
		view = view[len(bom):]
		m.viewBase = len(bom)
	}
	if len(bytes.TrimSpace(view)) == 0 {
		return &ValidationError{Code: CodeInvalidSoap, Detail: "empty SOAP message", Err: ErrNotSOAP}
	}
	if charset == "" {
		charset = declaredEncoding(view)
	}
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
	case "iso-8859-1", "latin1", "iso_8859-1", "l1":
		view = latin1ToUTF8(view)
		if len(view) != len(m.soap)-m.viewBase {
			m.viewBase = -1 // view is a transcoded copy
		}
	default:
		return &ValidationError{Code: CodeInvalidContentType, Detail: fmt.Sprintf("unsupported charset %q (use UTF-8)", charset)}
	}
	m.view = view
	return m.scan(lim)
}

// declaredEncoding returns the encoding pseudo-attribute of an XML
// declaration at the start of b, or "".
func declaredEncoding(b []byte) string {
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := string(b[:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	if j := strings.IndexByte(rest[1:], q); j >= 0 {
		return rest[1 : 1+j]
	}
	return ""
}

func latin1ToUTF8(b []byte) []byte {
	high := 0
	for _, c := range b {
		if c >= 0x80 {
			high++
		}
	}
	if high == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+high)
	for _, c := range b {
		if c < 0x80 {
			out = append(out, c)
		} else {
			out = append(out, 0xC0|c>>6, 0x80|c&0x3F)
		}
	}
	return out
}

// nsStack resolves prefixes while walking RawToken output. Up to
// linearNS bindings in scope it searches them from the innermost out (what
// real messages need, without allocating); beyond that it keeps, per
// prefix, the innermost binding, each binding pointing at the one it
// shadows, so resolving a name stays constant-time however many
// declarations are in scope. work counts the steps searches take.
type nsStack struct {
	b      []nsBinding
	frames []int
	latest map[string]int // prefix → index in b of its innermost binding; nil until b outgrows linearNS
	work   int
}

// linearNS is how many bindings may be in scope before nsStack indexes them.
const linearNS = 16

type nsBinding struct {
	prefix, uri string
	prev        int // index of the binding this one shadows, or -1 (kept only once latest is in use)
}

// newNSStack returns a stack holding a copy of scope.
func newNSStack(scope []nsBinding) nsStack {
	s := nsStack{b: make([]nsBinding, 0, len(scope)+8)}
	for _, b := range scope {
		s.bind(b.prefix, b.uri)
	}
	return s
}

func (s *nsStack) push(attrs []xml.Attr) {
	s.frames = append(s.frames, len(s.b))
	for _, a := range attrs {
		switch {
		case a.Name.Space == "xmlns":
			s.bind(a.Name.Local, a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			s.bind("", a.Value)
		}
	}
}

func (s *nsStack) bind(prefix, uri string) {
	if s.latest == nil && len(s.b) >= linearNS {
		s.latest = make(map[string]int, 2*linearNS)
		for i := range s.b {
			s.index(i)
		}
	}
	s.b = append(s.b, nsBinding{prefix: prefix, uri: uri, prev: -1})
	if s.latest != nil {
		s.index(len(s.b) - 1)
	}
}

func (s *nsStack) index(i int) {
	s.work++
	if p, ok := s.latest[s.b[i].prefix]; ok {
		s.b[i].prev = p
	} else {
		s.b[i].prev = -1
	}
	s.latest[s.b[i].prefix] = i
}

func (s *nsStack) pop() {
	n := len(s.frames) - 1
	if s.latest != nil {
		for i := len(s.b) - 1; i >= s.frames[n]; i-- {
			s.work++
			if p := s.b[i].prev; p >= 0 {
				s.latest[s.b[i].prefix] = p
			} else {
				delete(s.latest, s.b[i].prefix)
			}
		}
	}
	s.b = s.b[:s.frames[n]]
	s.frames = s.frames[:n]
}

// lookup returns the namespace URI bound to prefix ("" = default).
func (s *nsStack) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace", true
	}
	if s.latest != nil {
		s.work++
		if i, ok := s.latest[prefix]; ok {
			return s.b[i].uri, true
		}
		return "", prefix == ""
	}
	for i := len(s.b) - 1; i >= 0; i-- {
		s.work++
		if s.b[i].prefix == prefix {
			return s.b[i].uri, true
		}
	}
	return "", prefix == ""
}

// prefixFor returns a non-default prefix bound to uri and not shadowed.
func (s *nsStack) prefixFor(uri string) (string, bool) {
	for i := len(s.b) - 1; i >= 0; i-- {
		s.work++
		if s.b[i].uri == uri && s.b[i].prefix != "" {
			if u, _ := s.lookup(s.b[i].prefix); u == uri {
				return s.b[i].prefix, true
			}
		}
	}
	return "", false
}

func (s *nsStack) resolve(n xml.Name) (xml.Name, error) {
	uri, ok := s.lookup(n.Space)
	if !ok {
		return n, fmt.Errorf("undeclared namespace prefix %q on <%s:%s>", n.Space, n.Space, n.Local)
	}
	return xml.Name{Space: uri, Local: n.Local}, nil
}

// resolveAttr resolves an attribute name: unprefixed attributes have no
// namespace.
func (s *nsStack) resolveAttr(n xml.Name) (xml.Name, bool) {
	if n.Space == "" {
		return n, true
	}
	uri, ok := s.lookup(n.Space)
	return xml.Name{Space: uri, Local: n.Local}, ok
}

var passthroughCharset = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

// field accumulates one header element while scanning.
type fieldAcc struct {
	name     xml.Name
	start    int
	attrs    []xml.Attr // resolved names
	text     []byte     // direct character data
	kids     []kidText  // child elements' text (identifier parts, party parts)
	kidDepth bool       // inside a child element
	deep     bool       // has grandchildren
}

type kidText struct {
	name xml.Name
	text []byte
}

func invalidSoap(format string, args ...any) error {
	return &ValidationError{Code: CodeInvalidSoap, Detail: fmt.Sprintf(format, args...)}
}

// scan walks m.view once with encoding/xml's RawToken (which never expands
// external entities), checking well-formedness and namespaces itself, and
// records the envelope's offsets and the X-Road header fields.
func (m *Message) scan(lim Limits) error {
	view := m.view
	sc := lim.scanner(view)
	var ns nsStack
	defer func() { m.work = sc.work + ns.work }()

	m.spans = spans{header: span{-1, -1}, headerInner: span{-1, -1}, body: span{-1, -1}, bodyInner: span{-1, -1}, wrapper: span{-1, -1}}
	m.hdr = &Header{}
	m.fields = make([]fieldSpan, 0, 8)
	var (
		open     []xml.Name // raw names for end-tag matching
		depth    int
		rootDone bool
		inHeader bool
		inBody   bool
		fld      *fieldAcc
		seen     uint32 // known header fields seen, by bit
		fault    *faultAcc
		acc      fieldAcc // reused for every header field
	)
	for {
		err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isStopped(err) {
				return err
			}
			return &ValidationError{Code: CodeInvalidSoap, Detail: "malformed XML: " + err.Error()}
		}
		start, end := sc.start, sc.end
		switch sc.kind {
		case tokStart:
			t := xml.StartElement{Name: sc.name, Attr: sc.attrs}
			if rootDone {
				return invalidSoap("content after the document element")
			}
			depth++
			if depth > lim.MaxDepth {
				return &ValidationError{Code: CodeInvalidSoap, Detail: fmt.Sprintf("XML nested deeper than %d", lim.MaxDepth), Err: ErrTooDeep}
			}
			open = append(open, t.Name)
			ns.push(t.Attr)
			name, err := ns.resolve(t.Name)
			if err != nil {
				return invalidSoap("%v", err)
			}
			switch depth {
			case 1:
				if name.Local != "Envelope" || name.Space != NSEnvelope {
					if name.Local == "Envelope" && name.Space == "http://www.w3.org/2003/05/soap-envelope" {
						return &ValidationError{Code: CodeInvalidSoap, Detail: "SOAP 1.2 envelope; X-Road uses SOAP 1.1", Err: ErrNotSOAP}
					}
					return &ValidationError{Code: CodeInvalidSoap, Detail: fmt.Sprintf("document element is {%s}%s, not a SOAP 1.1 Envelope", name.Space, name.Local), Err: ErrNotSOAP}
				}
			case 2:
				if name.Space == NSEnvelope && name.Local == "Header" {
					if m.spans.header.start >= 0 || m.spans.body.start >= 0 {
						return invalidSoap("unexpected SOAP Header (a second one, or after the Body)")
					}
					inHeader = true
					m.xroadPrefix, m.hasXRoadPfx = ns.prefixFor(NSXRoad)
					m.spans.header.start = start
					m.spans.headerInner.start = end
				} else if name.Space == NSEnvelope && name.Local == "Body" {
					if m.spans.body.start >= 0 {
						return invalidSoap("more than one SOAP Body")
					}
					inBody = true
					m.defaultNSAtB, _ = ns.lookup("")
					m.bodyNS = append([]nsBinding(nil), ns.b...)
					m.spans.body.start = start
					m.spans.bodyInner.start = end
				}
			case 3:
				if inHeader {
					acc.name, acc.start, acc.deep, acc.kidDepth = name, start, false, false
					acc.attrs, acc.text, acc.kids = acc.attrs[:0], acc.text[:0], acc.kids[:0]
					fld = &acc
					for _, a := range t.Attr {
						if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
							continue
						}
						an, ok := ns.resolveAttr(a.Name)
						if !ok {
							return invalidSoap("undeclared namespace prefix %q on attribute %s", a.Name.Space, a.Name.Local)
						}
						fld.attrs = append(fld.attrs, xml.Attr{Name: an, Value: a.Value})
					}
				} else if inBody {
					m.bodyKid++
					if m.bodyKid == 1 {
						m.spans.wrapper.start = start
						m.spans.wrapperName = name
						if name.Space == NSEnvelope && name.Local == "Fault" {
							fault = &faultAcc{}
						}
					}
				}
			case 4:
				if fld != nil {
					if n := len(fld.kids); n < cap(fld.kids) {
						fld.kids = fld.kids[:n+1]
						fld.kids[n].name, fld.kids[n].text = name, fld.kids[n].text[:0]
					} else {
						fld.kids = append(fld.kids, kidText{name: name})
					}
					fld.kidDepth = true
				}
				if fault != nil && m.bodyKid == 1 {
					fault.startChild(name.Local, end)
				}
			default:
				if fld != nil {
					fld.deep = true
				}
			}
		case tokEnd:
			t := xml.EndElement{Name: sc.name}
			if len(open) == 0 {
				return invalidSoap("unexpected end tag </%s>", t.Name.Local)
			}
			top := open[len(open)-1]
			if top != t.Name {
				return invalidSoap("element <%s> closed by </%s>", qname(top), qname(t.Name))
			}
			open = open[:len(open)-1]
			switch depth {
			case 1:
				rootDone = true
			case 2:
				if inHeader {
					inHeader = false
					m.spans.headerInner.end = start
					m.spans.header.end = end
				} else if inBody {
					inBody = false
					m.spans.bodyInner.end = start
					m.spans.body.end = end
				}
			case 3:
				if fld != nil {
					m.fields = append(m.fields, fieldSpan{name: fld.name, span: span{fld.start, end}})
					m.decodeField(fld, &seen)
					fld = nil
				} else if inBody && m.bodyKid == 1 {
					m.spans.wrapper.end = end
				}
			case 4:
				if fld != nil {
					fld.kidDepth = false
				}
				if fault != nil && m.bodyKid == 1 {
					fault.endChild(start)
				}
			}
			ns.pop()
			depth--
		case tokText:
			t := sc.text
			if depth == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return invalidSoap("text outside the document element")
				}
				continue
			}
			if fld != nil {
				if depth == 3 {
					fld.text = append(fld.text, t...)
				} else if depth == 4 && fld.kidDepth {
					k := &fld.kids[len(fld.kids)-1]
					k.text = append(k.text, t...)
				}
			}
			if fault != nil && m.bodyKid == 1 && depth == 4 {
				fault.text = append(fault.text, t...)
			}
		case tokDirective:
			return &ValidationError{Code: CodeInvalidSoap, Detail: "the message contains a DTD or declaration (<!" + truncate(string(sc.text), 20) + "…>)", Err: ErrDTD}
		case tokPI:
			if sc.target == "xml" && (depth > 0 || start > 0) {
				return invalidSoap("XML declaration inside the document")
			}
		}
	}
	if depth != 0 {
		return invalidSoap("malformed XML: unexpected end of input inside <%s>", qname(open[len(open)-1]))
	}
	if !rootDone {
		return &ValidationError{Code: CodeInvalidSoap, Detail: "no document element", Err: ErrNotSOAP}
	}
	if fault != nil && m.bodyKid == 1 {
		m.fault = fault.build(view) // a Fault beside other body elements is no fault but an InvalidBody
	}
	return nil
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// faultAcc collects the children of a SOAP 1.1 Fault.
type faultAcc struct {
	f           Fault
	cur         string
	text        []byte
	detailStart int
	detail      span
}

func (a *faultAcc) startChild(local string, end int) {
	a.cur = local
	a.text = a.text[:0]
	if local == "detail" {
		a.detailStart = end
	}
}

func (a *faultAcc) endChild(start int) {
	s := string(a.text)
	switch a.cur {
	case "faultcode":
		a.f.Code = strings.TrimSpace(s)
	case "faultstring":
		a.f.String = s
	case "faultactor":
		a.f.Actor = strings.TrimSpace(s)
	case "detail":
		a.detail = span{a.detailStart, start}
	}
	a.cur = ""
}

func (a *faultAcc) build(view []byte) *Fault {
	f := a.f
	if a.detail.end > a.detail.start {
		f.Detail = string(view[a.detail.start:a.detail.end])
	}
	return &f
}

// Header field bits for duplicate detection.
const (
	bitClient = 1 << iota
	bitService
	bitCentralService
	bitSecurityServer
	bitID
	bitUserID
	bitIssue
	bitProtocolVersion
	bitRequestHash
	bitRepresentedParty
	bitSecurityToken
)

const nsSecurityToken = "http://x-road.eu/xsd/security-token.xsd"

// decodeField interprets one header element; problems are kept in m.hdrErr
// (the first one wins) for Validate to report.
func (m *Message) decodeField(f *fieldAcc, seen *uint32) {
	h := m.hdr
	fail := func(err error) {
		if m.hdrErr == nil {
			m.hdrErr = err
		}
	}
	var bit uint32
	switch {
	case f.name.Space == NSXRoad:
		switch f.name.Local {
		case "client":
			bit = bitClient
		case "service":
			bit = bitService
		case "centralService":
			bit = bitCentralService
		case "securityServer":
			bit = bitSecurityServer
		case "id":
			bit = bitID
		case "userId":
			bit = bitUserID
		case "issue":
			bit = bitIssue
		case "protocolVersion":
			bit = bitProtocolVersion
		case "requestHash":
			bit = bitRequestHash
		}
	case f.name.Space == NSRepresent && f.name.Local == "representedParty":
		bit = bitRepresentedParty
	case f.name.Space == nsSecurityToken && f.name.Local == "securityToken":
		bit = bitSecurityToken
	}
	if bit == 0 {
		h.Unknown = append(h.Unknown, f.name)
		return
	}
	if *seen&bit != 0 {
		fail(&ValidationError{Code: CodeDuplicateHeaderField, Detail: fmt.Sprintf("header field %s appears more than once", f.name.Local)})
		return
	}
	*seen |= bit
	text := string(f.text)
	switch bit {
	case bitID:
		h.ID = text
	case bitUserID:
		h.UserID = text
	case bitIssue:
		h.Issue = text
	case bitProtocolVersion:
		h.ProtocolVersion = text
	case bitRequestHash:
		h.RequestHash = normalizeB64(text)
		h.RequestHashAlgorithm = attr(f.attrs, "", "algorithmId")
	case bitSecurityToken:
		h.SecurityToken = strings.TrimSpace(text)
		h.SecurityTokenType = attr(f.attrs, "", "tokenType")
	case bitRepresentedParty:
		rp := &RepresentedParty{}
		for _, k := range f.kids {
			switch {
			case k.name.Space == NSRepresent && k.name.Local == "partyClass":
				rp.PartyClass = string(bytes.TrimSpace(k.text))
			case k.name.Space == NSRepresent && k.name.Local == "partyCode":
				rp.PartyCode = string(bytes.TrimSpace(k.text))
			default:
				fail(&ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("representedParty: unexpected element {%s}%s", k.name.Space, k.name.Local)})
			}
		}
		if rp.PartyCode == "" {
			fail(&ValidationError{Code: CodeInvalidXML, Detail: "representedParty without partyCode"})
		}
		h.RepresentedParty = rp
	default:
		id, err := identifierFrom(f.name.Local, f.attrs, f.kids)
		if err != nil {
			fail(err)
			return
		}
		switch v := id.(type) {
		case ClientID:
			if bit != bitClient {
				fail(&ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s has objectType %s", f.name.Local, v.ObjectType())})
				return
			}
			h.Client = v
		case ServiceID:
			if bit != bitService {
				fail(&ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s has objectType SERVICE", f.name.Local)})
				return
			}
			h.Service = &v
		case CentralServiceID:
			if bit != bitCentralService {
				fail(&ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s has objectType CENTRALSERVICE", f.name.Local)})
				return
			}
			h.CentralService = &v
		case SecurityServerID:
			if bit != bitSecurityServer {
				fail(&ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s has objectType SERVER", f.name.Local)})
				return
			}
			h.SecurityServer = &v
		default:
			fail(&ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s has objectType %s", f.name.Local, id.ObjectType())})
		}
	}
}

func attr(attrs []xml.Attr, space, local string) string {
	for _, a := range attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// identifierFrom builds an identifier from an element's id:objectType
// attribute and its id:* children, as X-Road's IdentifierTypeConverter
// does. elem names the element for messages.
func identifierFrom(elem string, attrs []xml.Attr, kids []kidText) (Identifier, error) {
	ot := ObjectType(attr(attrs, NSIdentifiers, "objectType"))
	if ot == "" {
		return nil, &ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s lacks the required id:objectType attribute", elem)}
	}
	var p struct {
		instance, class, member, subsystem, service, version, server, group string
		has                                                                 map[string]bool
	}
	p.has = map[string]bool{}
	// fields are where each id: part goes.
	fields := map[string]*string{"xRoadInstance": &p.instance, "memberClass": &p.class, "memberCode": &p.member,
		"subsystemCode": &p.subsystem, "serviceCode": &p.service, "serviceVersion": &p.version, "serverCode": &p.server,
		"groupCode": &p.group}
	for _, k := range kids {
		if k.name.Space != NSIdentifiers {
			return nil, &ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s: unexpected element {%s}%s", elem, k.name.Space, k.name.Local)}
		}
		if p.has[k.name.Local] {
			return nil, &ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s: id:%s appears twice", elem, k.name.Local)}
		}
		p.has[k.name.Local] = true
		v := string(bytes.TrimSpace(k.text))
		dst, ok := fields[k.name.Local]
		if !ok {
			return nil, &ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s: unknown identifier part id:%s", elem, k.name.Local)}
		}
		*dst = v
	}
	need := func(code FaultCode, names ...string) error {
		for _, n := range names {
			if !p.has[n] {
				return &ValidationError{Code: code, Detail: fmt.Sprintf("%s (objectType %s) lacks id:%s", elem, ot, n)}
			}
		}
		return nil
	}
	only := func(code FaultCode, names ...string) error {
		allowed := map[string]bool{}
		for _, n := range names {
			allowed[n] = true
		}
		for n := range p.has {
			if !allowed[n] {
				return &ValidationError{Code: code, Detail: fmt.Sprintf("%s (objectType %s) must not have id:%s", elem, ot, n)}
			}
		}
		return nil
	}
	// exactly: the identifier has the parts named, and no other.
	exactly := func(code FaultCode, names ...string) error {
		if err := need(code, names...); err != nil {
			return err
		}
		return only(code, names...)
	}
	// exactParts: exactly the parts named in kv (name, value pairs), with
	// valid values.
	exactParts := func(code FaultCode, kv ...string) error {
		names := make([]string, 0, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			names = append(names, kv[i])
		}
		if err := exactly(code, names...); err != nil {
			return err
		}
		return checkParts(code, kv...)
	}
	switch ot {
	case TypeMember, TypeSubsystem:
		c := ClientID{Instance: p.instance, MemberClass: p.class, MemberCode: p.member, SubsystemCode: p.subsystem}
		names := []string{"xRoadInstance", "memberClass", "memberCode"}
		if ot == TypeSubsystem {
			names = append(names, "subsystemCode")
		}
		if err := exactly(CodeInvalidClientIdentifier, names...); err != nil {
			return nil, err
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	case TypeService:
		if err := need(CodeInvalidServiceIdentifier, "xRoadInstance", "memberClass", "memberCode", "serviceCode"); err != nil {
			return nil, err
		}
		if err := only(CodeInvalidServiceIdentifier, "xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode", "serviceVersion"); err != nil {
			return nil, err
		}
		s := ServiceID{ClientID: ClientID{p.instance, p.class, p.member, p.subsystem}, ServiceCode: p.service, ServiceVersion: p.version}
		if p.has["subsystemCode"] && p.subsystem == "" || p.has["serviceVersion"] && p.version == "" {
			return nil, &ValidationError{Code: CodeInvalidServiceIdentifier, Detail: elem + ": empty subsystemCode or serviceVersion"}
		}
		if err := s.Validate(); err != nil {
			return nil, err
		}
		return s, nil
	case TypeCentralService:
		if err := exactParts(CodeInvalidServiceIdentifier, "xRoadInstance", p.instance, "serviceCode", p.service); err != nil {
			return nil, err
		}
		return CentralServiceID{p.instance, p.service}, nil
	case TypeServer:
		if err := exactParts(CodeInvalidXML, "xRoadInstance", p.instance, "memberClass", p.class, "memberCode", p.member, "serverCode", p.server); err != nil {
			return nil, err
		}
		return SecurityServerID{p.instance, p.class, p.member, p.server}, nil
	case TypeGlobalGroup:
		if err := exactParts(CodeInvalidXML, "xRoadInstance", p.instance, "groupCode", p.group); err != nil {
			return nil, err
		}
		return GlobalGroupID{p.instance, p.group}, nil
	case TypeLocalGroup:
		if err := exactParts(CodeInvalidXML, "groupCode", p.group); err != nil {
			return nil, err
		}
		return LocalGroupID{p.group}, nil
	}
	return nil, &ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("%s: unknown objectType %q", elem, ot)}
}

// ParseIdentifierXML parses a standalone identifier element such as
// <xroad:client id:objectType="SUBSYSTEM">…</xroad:client> (the fragments
// X-Road's IdentifierTypeConverter reads). Invalid client identifiers give
// *ValidationError with CodeInvalidClientIdentifier.
func ParseIdentifierXML(b []byte) (Identifier, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = passthroughCharset
	var (
		ns    nsStack
		depth int
		root  string
		attrs []xml.Attr
		kids  []kidText
		done  bool
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &ValidationError{Code: CodeInvalidXML, Detail: "identifier: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if done {
				return nil, &ValidationError{Code: CodeInvalidXML, Detail: "identifier: content after the element"}
			}
			depth++
			if depth > 2 {
				return nil, &ValidationError{Code: CodeInvalidXML, Detail: "identifier: nested too deep"}
			}
			ns.push(t.Attr)
			n, err := ns.resolve(t.Name)
			if err != nil {
				return nil, &ValidationError{Code: CodeInvalidXML, Detail: "identifier: " + err.Error()}
			}
			if depth == 1 {
				root = n.Local
				for _, a := range t.Attr {
					if an, ok := ns.resolveAttr(a.Name); ok {
						attrs = append(attrs, xml.Attr{Name: an, Value: a.Value})
					}
				}
			} else {
				kids = append(kids, kidText{name: n})
			}
		case xml.EndElement:
			if depth == 0 {
				return nil, &ValidationError{Code: CodeInvalidXML, Detail: "identifier: unexpected end tag"}
			}
			ns.pop()
			depth--
			if depth == 0 {
				done = true
			}
		case xml.CharData:
			if depth == 2 {
				kids[len(kids)-1].text = append(kids[len(kids)-1].text, t...)
			}
		case xml.Directive:
			return nil, &ValidationError{Code: CodeInvalidXML, Detail: "identifier: DTDs are not allowed", Err: ErrDTD}
		}
	}
	if !done || depth != 0 {
		return nil, &ValidationError{Code: CodeInvalidXML, Detail: "identifier: incomplete element"}
	}
	return identifierFrom(root, attrs, kids)
}
