package soap

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"strings"
)

// Namespaces of SOAP 1.1 and X-Road's header schemas.
const (
	NSEnvelope    = "http://schemas.xmlsoap.org/soap/envelope/"
	NSXRoad       = "http://x-road.eu/xsd/xroad.xsd"
	NSIdentifiers = "http://x-road.eu/xsd/identifiers"
	NSRepresent   = "http://x-road.eu/xsd/representation.xsd"
	NSXOP         = "http://www.w3.org/2004/08/xop/include"
)

// Limits bounds what Parse accepts. The zero value is safe: every zero field
// takes its default.
type Limits struct {
	MaxBytes           int64  // SOAP part (the envelope); default 10 MiB
	MaxDepth           int    // XML element nesting; default 128
	MaxMemory          int64  // attachment bytes held in memory before spilling to temp files; default 1 MiB
	MaxAttachmentBytes int64  // all attachments together, part headers included; default 1 GiB
	MaxParts           int    // MIME parts after the SOAP part; default 256
	TempDir            string // where attachments spill; default os.TempDir()

	// Per-token caps of the XML scanner, which keep parsing linear in the
	// input whatever its shape.
	MaxAttrs     int // attributes per element; default 256
	MaxNameBytes int // bytes in an element or attribute name; default 1 KiB
	MaxTextBytes int // bytes in one text node, attribute value, comment or PI; default MaxBytes

	// Context, when set, stops parsing (with its error, wrapped) once it
	// is done: a caller's deadline bounds the CPU a message can take. It
	// is checked every few hundred tokens, at no measurable cost.
	Context context.Context
}

// Defaults for Limits.
const (
	DefaultMaxBytes           = 10 << 20
	DefaultMaxDepth           = 128
	DefaultMaxMemory          = 1 << 20
	DefaultMaxAttachmentBytes = 1 << 30
	DefaultMaxParts           = 256
)

// positiveOr sets *v to def unless it is positive.
func positiveOr[T int | int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func (l Limits) withDefaults() Limits {
	positiveOr(&l.MaxBytes, DefaultMaxBytes)
	positiveOr(&l.MaxDepth, DefaultMaxDepth)
	positiveOr(&l.MaxMemory, DefaultMaxMemory)
	positiveOr(&l.MaxAttachmentBytes, DefaultMaxAttachmentBytes)
	positiveOr(&l.MaxParts, DefaultMaxParts)
	positiveOr(&l.MaxAttrs, DefaultMaxAttrs)
	positiveOr(&l.MaxNameBytes, DefaultMaxNameBytes)
	positiveOr(&l.MaxTextBytes, int(min(l.MaxBytes, 1<<30)))
	return l
}

// scanner returns an XML scanner over b with these limits.
func (l Limits) scanner(b []byte) xmlScanner {
	return xmlScanner{b: b, ctx: l.Context, lim: scanLimits{attrs: l.MaxAttrs, name: l.MaxNameBytes, text: l.MaxTextBytes}}
}

// Role says which side of an exchange a message is, for validation.
type Role int

// Roles.
const (
	RoleAny Role = iota
	RoleRequest
	RoleResponse
)

// String returns "any", "request" or "response".
func (r Role) String() string {
	switch r {
	case RoleRequest:
		return "request"
	case RoleResponse:
		return "response"
	}
	return "any"
}

// Header holds the X-Road header fields, decoded from the message bytes.
// Optional fields absent from the message are "" or nil.
type Header struct {
	Client               ClientID
	Service              *ServiceID // required in requests
	ID                   string
	UserID               string
	Issue                string
	ProtocolVersion      string
	RequestHash          string // responses; base64
	RequestHashAlgorithm string // the algorithmId URI
	SecurityServer       *SecurityServerID
	RepresentedParty     *RepresentedParty
	SecurityToken        string
	SecurityTokenType    string            // tokenType attribute of securityToken
	CentralService       *CentralServiceID // legacy, tolerated
	Unknown              []xml.Name        // unknown header elements, in order (their bytes stay in the message)
}

// HeaderField is one child element of the SOAP Header as it appears in the
// message: its resolved name and its exact bytes.
type HeaderField struct {
	Name xml.Name
	Raw  []byte
}

// Attachment is a MIME part after the SOAP part. Its content is held in
// memory up to Limits.MaxMemory and in a temporary file beyond; Open reads
// it either way.
type Attachment struct {
	Header      textproto.MIMEHeader
	ContentID   string // without the angle brackets
	ContentType string
	Size        int64

	rawHeader []byte   // the part's header block exactly as received, incl. the blank line
	data      [][]byte // content when held in memory, in chunks
	file      string   // spill file when not
	removed   bool     // spill file removed by Close
}

// Message is an X-Road SOAP message: the bytes as received or built, plus
// offsets into them. Methods never modify the bytes.
type Message struct {
	contentType string
	soap        []byte // SOAP part exactly as received
	view        []byte // what offsets refer to: soap without BOM, transcoded to UTF-8 if needed
	viewBase    int    // offset of view within soap when view aliases it (BOM), else -1

	// multipart framing, byte exact: pre is everything before the SOAP
	// part's content (preamble, delimiter, part header); each attachment
	// has its own delimiter bytes; tail is the closing delimiter and
	// epilogue.
	multipart   bool
	pre         []byte
	attSep      [][]byte
	attachments []*Attachment
	tail        []byte

	hdr     *Header
	hdrErr  error // deferred header problem, reported by Validate
	spans   spans
	fields  []fieldSpan
	fault   *Fault
	bodyKid int // element children of Body

	xroadPrefix  string // a prefix bound to NSXRoad where the Header starts
	hasXRoadPfx  bool
	defaultNSAtB string      // default namespace in scope where the Body starts
	bodyNS       []nsBinding // namespace bindings in scope where the Body starts

	work int // the scan's non-advancing steps (xmlScanner.work), for the cost-bound tests
}

type span struct{ start, end int } // [start,end) in view; start<0 ⇒ absent

type spans struct {
	header, headerInner span
	body, bodyInner     span
	wrapper             span
	wrapperName         xml.Name
}

type fieldSpan struct {
	name xml.Name
	span
}

// Header returns the decoded X-Road header (never nil; empty when the
// message has no SOAP Header).
func (m *Message) Header() *Header { return m.hdr }

// HeaderFields returns the SOAP Header's child elements in order, with their
// exact bytes.
func (m *Message) HeaderFields() []HeaderField {
	out := make([]HeaderField, len(m.fields))
	for i, f := range m.fields {
		out[i] = HeaderField{Name: f.name, Raw: m.view[f.start:f.end]}
	}
	return out
}

// HasHeader reports whether the envelope has a SOAP Header element.
func (m *Message) HasHeader() bool { return m.spans.header.start >= 0 }

// SOAP returns the SOAP envelope bytes exactly as received (the first MIME
// part when multipart, including any BOM).
func (m *Message) SOAP() []byte { return m.soap }

// Bytes returns the whole message (the HTTP body). For multipart messages it
// assembles the parts, reading spilled attachments; prefer WriteTo for
// large messages. It returns nil if a spilled attachment cannot be read.
func (m *Message) Bytes() []byte {
	if !m.multipart {
		return m.soap
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return nil
	}
	return b.Bytes()
}

// ContentType returns the HTTP Content-Type to send the message with.
func (m *Message) ContentType() string { return m.contentType }

// WriteTo writes the message exactly as it was received or built.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	var n int64
	write := func(b []byte) error {
		k, err := w.Write(b)
		n += int64(k)
		return err
	}
	if !m.multipart {
		return n, write(m.soap)
	}
	if err := write(m.pre); err != nil {
		return n, err
	}
	if err := write(m.soap); err != nil {
		return n, err
	}
	for i, a := range m.attachments {
		if err := write(m.attSep[i]); err != nil {
			return n, err
		}
		if err := write(a.rawHeader); err != nil {
			return n, err
		}
		rc, err := a.Open()
		if err != nil {
			return n, err
		}
		k, err := io.Copy(w, rc)
		n += k
		rc.Close()
		if err != nil {
			return n, err
		}
	}
	return n, write(m.tail)
}

// BodyElement returns the bytes of the Body's first child element, the
// wrapper (e.g. <ns:getX>…</ns:getX>), or nil.
func (m *Message) BodyElement() []byte {
	if m.spans.wrapper.start < 0 || m.spans.wrapper.end < m.spans.wrapper.start {
		return nil
	}
	return m.view[m.spans.wrapper.start:m.spans.wrapper.end]
}

// BodyName returns the wrapper element's name (Space is the namespace URI).
func (m *Message) BodyName() xml.Name { return m.spans.wrapperName }

// Attachments returns the MIME parts after the SOAP part, in order.
func (m *Message) Attachments() []*Attachment { return m.attachments }

// Attachment returns the attachment with the given Content-ID (with or
// without angle brackets, or a "cid:" URL as in xop:Include and swaRef), or
// nil.
func (m *Message) Attachment(cid string) *Attachment {
	cid = strings.TrimPrefix(strings.TrimSpace(cid), "cid:")
	cid = strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">")
	for _, a := range m.attachments {
		if a.ContentID == cid {
			return a
		}
	}
	return nil
}

// IsMultipart reports whether the message is SOAP with Attachments or MTOM.
func (m *Message) IsMultipart() bool { return m.multipart }

// Fault returns the SOAP fault when the message is one.
func (m *Message) Fault() (*Fault, bool) { return m.fault, m.fault != nil }

// Close removes attachments' temporary files. It is safe to call twice.
func (m *Message) Close() error {
	var first error
	for _, a := range m.attachments {
		if a.file == "" {
			continue
		}
		if err := os.Remove(a.file); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = fmt.Errorf("soap: removing attachment file: %w", err)
		}
		a.file = ""
		a.removed = true
	}
	return first
}

// Open returns a reader of the attachment's content.
func (a *Attachment) Open() (io.ReadCloser, error) {
	if a.file != "" {
		f, err := os.Open(a.file)
		if err != nil {
			return nil, fmt.Errorf("soap: opening attachment: %w", err)
		}
		return f, nil
	}
	if a.removed {
		return nil, errors.New("soap: attachment used after Message.Close")
	}
	rs := make([]io.Reader, len(a.data))
	for i, c := range a.data {
		rs[i] = bytes.NewReader(c)
	}
	return io.NopCloser(io.MultiReader(rs...)), nil
}

// InMemory reports whether the attachment's content is held in memory
// rather than in a temporary file.
func (a *Attachment) InMemory() bool { return a.file == "" && !a.removed }
