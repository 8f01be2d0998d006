package soap

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"unicode/utf8"
)

// xmlScanner is a small, allocation-lean XML 1.0 tokenizer over a byte
// slice, used for the message scan: it reports each token's offsets, never
// expands anything but the five predefined entities and character
// references, and rejects what encoding/xml's strict mode rejects, and
// more (missing whitespace between attributes, duplicate attributes,
// names with two colons, "]]>" in text). It does not resolve namespaces
// or match end tags; the caller does (as with encoding/xml's RawToken).
// Every token it accepts, encoding/xml's RawToken reads the same way
// (FuzzXMLScanner checks this).
//
// Its cost is linear in the input: duplicate attributes are found with a
// set once an element has more than a few, attributes per element, name
// length and text length are capped (scanLimits), and a context, when
// set, is consulted every few hundred tokens or attributes so a parse
// stops at its caller's deadline. work counts the steps that are not a
// plain advance over the input (attribute comparisons, set probes); the
// cost-bound fuzz target asserts it stays proportional to the input.
type xmlScanner struct {
	b   []byte
	pos int

	lim   scanLimits
	ctx   context.Context // nil: never stops early
	ticks uint32          // tokens and attributes since the start, for the context check
	work  int             // non-advancing steps (see above)
	seen  map[xml.Name]struct{}

	kind       tokKind
	start, end int        // the token's byte range
	name       xml.Name   // elements: Space is the prefix
	attrs      []xml.Attr // start elements; reused between tokens
	text       []byte     // character data (decoded), comment, directive or PI body; valid until next
	buf        []byte     // decoding buffer for text
	selfClose  bool       // start element written <a/>; next() then reports its end
	pendingEnd bool
	target     string // PI target
}

type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
	tokComment
	tokPI
	tokDirective
)

var errXMLEOF = io.EOF

// scanLimits caps what one token may hold; zero fields take the defaults
// below (see Limits, which sets them for Parse).
type scanLimits struct {
	attrs int // attributes per element
	name  int // bytes in a name (prefix:local)
	text  int // bytes in one text, CDATA, comment or PI token, or attribute value
}

// Defaults for the per-token caps. X-Road headers carry a handful of
// attributes with short names; the text cap only keeps one token from
// being the whole message's worth of decoding work twice.
const (
	DefaultMaxAttrs     = 256
	DefaultMaxNameBytes = 1024
)

func (l scanLimits) withDefaults() scanLimits {
	positiveOr(&l.attrs, DefaultMaxAttrs)
	positiveOr(&l.name, DefaultMaxNameBytes)
	positiveOr(&l.text, DefaultMaxBytes)
	return l
}

// linearAttrs is how many attributes an element may have before duplicate
// detection switches from comparing with each earlier one to a set (a
// variable only so a test can restore the old quadratic behaviour and show
// the cost-bound fuzz target catches it).
var linearAttrs = 8

// ctxEvery is how many tokens or attributes pass between context checks
// (a power of two).
const ctxEvery = 256

// errStopped wraps the context's error when a parse is stopped.
type errStopped struct{ err error }

func (e *errStopped) Error() string { return "soap: parsing stopped: " + e.err.Error() }
func (e *errStopped) Unwrap() error { return e.err }

// tick counts a token or attribute and, every ctxEvery of them, asks the
// context whether to go on.
func (s *xmlScanner) tick() error {
	s.ticks++
	if s.ticks&(ctxEvery-1) != 0 || s.ctx == nil {
		return nil
	}
	if err := s.ctx.Err(); err != nil {
		return &errStopped{err}
	}
	return nil
}

// isStopped reports whether err says the parse was stopped by its context.
// The scanner returns it unwrapped, so a type check is enough (and does
// not allocate).
func isStopped(err error) bool {
	_, ok := err.(*errStopped)
	return ok
}

func (s *xmlScanner) errf(format string, args ...any) error {
	line := 1 + bytes.Count(s.b[:min(s.pos, len(s.b))], []byte{'\n'})
	return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...))
}

// next reads the next token; io.EOF at the end of input.
func (s *xmlScanner) next() error {
	if s.pendingEnd {
		s.pendingEnd = false
		s.kind = tokEnd
		s.start = s.pos
		s.end = s.pos
		return nil
	}
	if s.lim.attrs == 0 {
		s.lim = s.lim.withDefaults()
	}
	s.start = s.pos
	if s.pos >= len(s.b) {
		return errXMLEOF
	}
	if err := s.tick(); err != nil {
		return err
	}
	if s.b[s.pos] != '<' {
		return s.charData()
	}
	if s.pos+1 >= len(s.b) {
		return s.errf("unexpected EOF")
	}
	switch s.b[s.pos+1] {
	case '/':
		return s.endTag()
	case '?':
		return s.procInst()
	case '!':
		return s.bang()
	}
	return s.startTag()
}

func (s *xmlScanner) charData() error {
	i := s.pos
	b := s.b
	plain := true
	for i < len(b) && b[i] != '<' {
		c := b[i]
		switch {
		case c == '&' || c == '\r' || c == ']':
			plain = false
			i++
		case c >= 0x20 && c < 0x80 || c == '\n' || c == '\t':
			i++
		case c < 0x80:
			return s.errf("illegal character code %U", rune(c))
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return s.errf("invalid UTF-8")
			}
			if !xmlChar(r) {
				return s.errf("illegal character code %U", r)
			}
			i += n
		}
	}
	raw := b[s.pos:i]
	if len(raw) > s.lim.text {
		return s.errf("text of %d bytes exceeds the limit of %d", len(raw), s.lim.text)
	}
	s.pos, s.end, s.kind = i, i, tokText
	if plain {
		s.text = raw
		return nil
	}
	if bytes.Contains(raw, []byte("]]>")) {
		return s.errf("unescaped ]]> not in CDATA section")
	}
	t, err := s.decode(raw, s.buf[:0])
	if err != nil {
		return err
	}
	s.buf, s.text = t, t
	return nil
}

// decode expands references and normalises line ends into dst.
func (s *xmlScanner) decode(raw, dst []byte) ([]byte, error) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\r':
			dst = append(dst, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			j := bytes.IndexByte(raw[i:], ';')
			if j < 0 {
				return nil, s.errf("invalid character entity (no semicolon)")
			}
			ref := raw[i+1 : i+j]
			i += j
			switch string(ref) {
			case "lt":
				dst = append(dst, '<')
			case "gt":
				dst = append(dst, '>')
			case "amp":
				dst = append(dst, '&')
			case "apos":
				dst = append(dst, '\'')
			case "quot":
				dst = append(dst, '"')
			default:
				r, ok := charRef(ref)
				if !ok {
					return nil, s.errf("invalid character entity &%s;", ref)
				}
				dst = utf8.AppendRune(dst, r)
			}
		default:
			dst = append(dst, c)
		}
	}
	return dst, nil
}

func charRef(ref []byte) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	base, digits := 10, ref[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, false
	}
	var n rune
	for _, c := range digits {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		n = n*rune(base) + d
	}
	return n, xmlChar(n)
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// readName reads an XML name at s.pos and splits it at its colon. Like
// encoding/xml it takes every byte that may belong to a name (ASCII name
// characters, anything non-ASCII) and then checks the whole; non-ASCII
// names are checked by encoding/xml itself, so both agree on them.
func (s *xmlScanner) readName() (xml.Name, error) {
	b := s.b
	i := s.pos
	colon := -1
	nonASCII := false
	for i < len(b) {
		if i-s.pos >= s.lim.name {
			return xml.Name{}, s.errf("name longer than %d bytes", s.lim.name)
		}
		c := b[i]
		switch {
		case c >= utf8.RuneSelf:
			nonASCII = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
		case (c >= '0' && c <= '9' || c == '-' || c == '.') && i > s.pos:
		case c == ':' && i > s.pos:
			if colon >= 0 {
				return xml.Name{}, s.errf("name with two colons")
			}
			colon = i
		default:
			goto done
		}
		i++
	}
done:
	if i == s.pos {
		return xml.Name{}, s.errf("expected a name")
	}
	if nonASCII && !nameAcceptedByEncodingXML(b[s.pos:i]) {
		return xml.Name{}, s.errf("invalid XML name %q", b[s.pos:i])
	}
	var n xml.Name
	if colon < 0 {
		n.Local = intern(b[s.pos:i])
	} else {
		if colon == i-1 {
			return xml.Name{}, s.errf("name ends with a colon")
		}
		n.Space, n.Local = intern(b[s.pos:colon]), intern(b[colon+1:i])
	}
	s.pos = i
	return n, nil
}

// nameAcceptedByEncodingXML asks encoding/xml whether name is a valid
// element name (it knows XML's name-character tables).
func nameAcceptedByEncodingXML(name []byte) bool {
	if !utf8.Valid(name) {
		return false
	}
	doc := make([]byte, 0, len(name)+3)
	doc = append(append(append(doc, '<'), name...), '/', '>')
	tok, err := xml.NewDecoder(bytes.NewReader(doc)).RawToken()
	if err != nil {
		return false
	}
	se, ok := tok.(xml.StartElement)
	if !ok {
		return false
	}
	got := se.Name.Local
	if se.Name.Space != "" {
		got = se.Name.Space + ":" + got
	}
	return got == string(name)
}

func (s *xmlScanner) space() bool {
	start := s.pos
	for s.pos < len(s.b) {
		switch s.b[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
			continue
		}
		break
	}
	return s.pos > start
}

func (s *xmlScanner) startTag() error {
	s.pos++ // '<'
	name, err := s.readName()
	if err != nil {
		return err
	}
	s.name = name
	s.attrs = s.attrs[:0]
	for {
		sp := s.space()
		if s.pos >= len(s.b) {
			return s.errf("unexpected EOF in start tag")
		}
		switch s.b[s.pos] {
		case '>':
			s.pos++
			s.kind, s.end, s.selfClose = tokStart, s.pos, false
			return nil
		case '/':
			if s.pos+1 >= len(s.b) || s.b[s.pos+1] != '>' {
				return s.errf("expected /> in element")
			}
			s.pos += 2
			s.kind, s.end, s.selfClose, s.pendingEnd = tokStart, s.pos, true, true
			return nil
		}
		if !sp {
			return s.errf("expected whitespace before an attribute")
		}
		if len(s.attrs) >= s.lim.attrs {
			return s.errf("element <%s> has more than %d attributes", name.Local, s.lim.attrs)
		}
		if err := s.tick(); err != nil {
			return err
		}
		an, err := s.readName()
		if err != nil {
			return err
		}
		s.space()
		if s.pos >= len(s.b) || s.b[s.pos] != '=' {
			return s.errf("attribute name without = in element")
		}
		s.pos++
		s.space()
		if s.pos >= len(s.b) || (s.b[s.pos] != '"' && s.b[s.pos] != '\'') {
			return s.errf("unquoted or missing attribute value in element")
		}
		q := s.b[s.pos]
		j := bytes.IndexByte(s.b[s.pos+1:], q)
		if j < 0 {
			return s.errf("unexpected EOF in attribute value")
		}
		raw := s.b[s.pos+1 : s.pos+1+j]
		if len(raw) > s.lim.text {
			return s.errf("attribute value of %d bytes exceeds the limit of %d", len(raw), s.lim.text)
		}
		s.pos += j + 2
		v, err := s.attrValue(raw)
		if err != nil {
			return err
		}
		if s.repeated(an) {
			return s.errf("attribute %s repeated", an.Local)
		}
		s.attrs = append(s.attrs, xml.Attr{Name: an, Value: v})
	}
}

// repeated reports whether the element read so far already has an
// attribute named an. The first linearAttrs are compared one by one (what
// X-Road messages need, without allocating); beyond that a set keeps the
// check constant per attribute, so n attributes cost O(n), not O(n²).
func (s *xmlScanner) repeated(an xml.Name) bool {
	n := len(s.attrs)
	if n < linearAttrs {
		s.work += n
		for _, a := range s.attrs {
			if a.Name == an {
				return true
			}
		}
		return false
	}
	if n == linearAttrs {
		if s.seen == nil {
			s.seen = make(map[xml.Name]struct{}, 2*linearAttrs)
		} else {
			clear(s.seen)
		}
		for _, a := range s.attrs {
			s.seen[a.Name] = struct{}{}
		}
		s.work += n
	}
	s.work++
	if _, dup := s.seen[an]; dup {
		return true
	}
	s.seen[an] = struct{}{}
	return false
}

func (s *xmlScanner) attrValue(raw []byte) (string, error) {
	plain := true
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '<':
			return "", s.errf("unescaped < inside attribute value")
		case c == '&' || c == '\r':
			plain = false
			i++
		case c >= 0x20 && c < 0x80 || c == '\n' || c == '\t':
			i++
		case c < 0x80:
			return "", s.errf("illegal character code %U", rune(c))
		default:
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 {
				return "", s.errf("invalid UTF-8")
			}
			if !xmlChar(r) {
				return "", s.errf("illegal character code %U", r)
			}
			i += n
		}
	}
	if plain {
		return intern(raw), nil
	}
	t, err := s.decode(raw, s.buf[:0])
	if err != nil {
		return "", err
	}
	s.buf = t
	return string(t), nil
}

func (s *xmlScanner) endTag() error {
	s.pos += 2
	name, err := s.readName()
	if err != nil {
		return err
	}
	s.space()
	if s.pos >= len(s.b) || s.b[s.pos] != '>' {
		return s.errf("invalid characters between </%s and >", name.Local)
	}
	s.pos++
	s.name, s.kind, s.end = name, tokEnd, s.pos
	return nil
}

func (s *xmlScanner) procInst() error {
	s.pos += 2
	name, err := s.readName()
	if err != nil {
		return err
	}
	if name.Space != "" {
		return s.errf("processing instruction target with a colon")
	}
	j := bytes.Index(s.b[s.pos:], []byte("?>"))
	if j < 0 {
		return s.errf("unexpected EOF in processing instruction")
	}
	body := s.b[s.pos : s.pos+j]
	if len(body) > s.lim.text {
		return s.errf("processing instruction of %d bytes exceeds the limit of %d", len(body), s.lim.text)
	}
	if len(body) > 0 && body[0] != ' ' && body[0] != '\t' && body[0] != '\n' && body[0] != '\r' {
		return s.errf("expected whitespace after processing instruction target")
	}
	if err := s.checkChars(body); err != nil {
		return err
	}
	if name.Local == "xml" {
		if v := declParam(body, "version"); v != "" && v != "1.0" {
			return s.errf("unsupported XML version %q", v)
		}
	}
	s.pos += j + 2
	s.target, s.text, s.kind, s.end = name.Local, body, tokPI, s.pos
	return nil
}

// declParam finds name='v' or name="v" in an XML declaration the way
// encoding/xml does: the first occurrence of name= followed by a quote.
func declParam(decl []byte, name string) string {
	key := []byte(name + "=")
	for i := 0; i < len(decl); {
		k := bytes.Index(decl[i:], key)
		if k < 0 || i+k+len(key) >= len(decl) {
			return ""
		}
		i += k + len(key)
		if q := decl[i]; q == '\'' || q == '"' {
			j := bytes.IndexByte(decl[i+1:], q)
			if j < 0 {
				return ""
			}
			return string(decl[i+1 : i+1+j])
		}
		i++
	}
	return ""
}

func (s *xmlScanner) bang() error {
	rest := s.b[s.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		j := bytes.Index(rest[4:], []byte("--"))
		if j < 0 {
			return s.errf("unexpected EOF in comment")
		}
		if 4+j+2 >= len(rest) || rest[4+j+2] != '>' {
			return s.errf(`invalid sequence "--" not allowed in comments`)
		}
		body := rest[4 : 4+j]
		if len(body) > s.lim.text {
			return s.errf("comment of %d bytes exceeds the limit of %d", len(body), s.lim.text)
		}
		if err := s.checkChars(body); err != nil {
			return err
		}
		s.pos += 4 + j + 3
		s.text, s.kind, s.end = body, tokComment, s.pos
		return nil
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		j := bytes.Index(rest[9:], []byte("]]>"))
		if j < 0 {
			return s.errf("unexpected EOF in CDATA section")
		}
		body := rest[9 : 9+j]
		if len(body) > s.lim.text {
			return s.errf("CDATA section of %d bytes exceeds the limit of %d", len(body), s.lim.text)
		}
		if err := s.checkChars(body); err != nil {
			return err
		}
		s.pos += 9 + j + 3
		s.end, s.kind = s.pos, tokText
		if bytes.IndexByte(body, '\r') < 0 {
			s.text = body
			return nil
		}
		s.buf = s.buf[:0]
		for i := 0; i < len(body); i++ {
			if body[i] == '\r' {
				s.buf = append(s.buf, '\n')
				if i+1 < len(body) && body[i+1] == '\n' {
					i++
				}
				continue
			}
			s.buf = append(s.buf, body[i])
		}
		s.text = s.buf
		return nil
	}
	// <!DOCTYPE …> and other declarations: report them (up to the first
	// '>', which is enough to say what they are); the caller rejects them
	// and reads no further.
	end := bytes.IndexByte(rest, '>')
	if end < 0 {
		return s.errf("unexpected EOF in declaration")
	}
	s.text, s.kind = rest[2:end+1], tokDirective
	s.pos += end + 1
	s.end = s.pos
	return nil
}

func (s *xmlScanner) checkChars(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c >= 0x20 && c < 0x80 || c == '\n' || c == '\t' || c == '\r' {
			i++
			continue
		}
		if c < 0x80 {
			return s.errf("illegal character code %U", rune(c))
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return s.errf("invalid UTF-8")
		}
		if !xmlChar(r) {
			return s.errf("illegal character code %U", r)
		}
		i += n
	}
	return nil
}

// interned holds the names and values X-Road messages repeat, so reading
// them does not allocate.
var interned = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"SOAP-ENV", "soap", "soapenv", "env", "s", "S", "xroad", "xrd", "id", "iden", "repr", "ns1", "ns2", "tns", "xmlns", "xml",
		"Envelope", "Header", "Body", "Fault", "faultcode", "faultstring", "faultactor", "detail",
		"client", "service", "centralService", "securityServer", "userId", "issue", "protocolVersion", "requestHash",
		"representedParty", "partyClass", "partyCode", "securityToken", "algorithmId", "tokenType", "objectType",
		"xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode", "serviceVersion", "serverCode", "groupCode",
		"MEMBER", "SUBSYSTEM", "SERVICE", "SERVER", "GLOBALGROUP", "LOCALGROUP", "CENTRALSERVICE", "4.0",
		NSEnvelope, NSXRoad, NSIdentifiers, NSRepresent, NSXOP, nsSecurityToken, SHA512, SHA256, SHA384,
		"Include", "href", "xop", "request", "response",
	} {
		m[s] = s
	}
	return m
}()

func intern(b []byte) string {
	if s, ok := interned[string(b)]; ok {
		return s
	}
	return string(b)
}
