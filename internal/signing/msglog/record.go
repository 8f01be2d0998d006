package msglog

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Type says what a record is about.
type Type string

// Record types. Exchange records carry an Exchange; every other type
// carries an Event.
const (
	TypeExchange     Type = "exchange"      // a request and its response through the gateway or the provider
	TypeArchiveRead  Type = "archive-read"  // someone read the archives (ls, search, export)
	TypeCatalogApply Type = "catalog-apply" // the catalog was applied to the security server
	TypeKeyOperation Type = "key-operation" // a signing key was created, imported or used administratively
	TypeRetention    Type = "retention"     // archives were removed under the retention policy
)

// Namespace is the XML namespace of message.xml in tunduk's containers.
const Namespace = "https://tunduk.kg/xsd/msglog/1"

// Record is one entry of the log. Its XML form (MarshalXML through
// encoding/xml) is the message.xml of the record's ASiC-E container; the
// exact request and response bodies are the container's attachment1 and
// attachment2, so their bytes are signed as they were sent and received.
type Record struct {
	XMLName xml.Name `xml:"https://tunduk.kg/xsd/msglog/1 record" json:"-"`
	// Seq is the record's sequence number, assigned by Append.
	Seq uint64 `xml:"seq,attr,omitempty" json:"seq"`
	// Leaf is the version of the record's transparency-log leaf
	// (signing/tlog), set by Append from Options.LeafVersion: 2 is
	// written as leaf="2" right after seq; 0 (version 1) writes nothing,
	// so a version 1 document is what tunduk wrote before version 2.
	Leaf int `xml:"leaf,attr,omitempty" json:"leaf,omitempty"`
	// Type is what the record is about.
	Type Type `xml:"type,attr" json:"type"`
	// Time is when the record was appended (the Log's clock), UTC.
	Time time.Time `xml:"time,attr" json:"time"`
	// Member is the X-Road identifier of our side of the exchange
	// (INSTANCE/CLASS/CODE[/SUBSYSTEM]); archives are grouped by it.
	Member string `xml:"member,omitempty" json:"member,omitempty"`
	// Exchange is set for TypeExchange.
	Exchange *Exchange `xml:"exchange,omitempty" json:"exchange,omitempty"`
	// Event is set for every other type.
	Event *Event `xml:"event,omitempty" json:"event,omitempty"`
}

// Exchange is one request/response pair with who asked, why and what came of it.
type Exchange struct {
	// Direction is "consumer" (the portal asked a Tunduk service through
	// the gateway) or "provider" (a Tunduk client asked our service).
	Direction string `xml:"direction,attr,omitempty" json:"direction,omitempty"`
	// Protocol is "soap" or "rest".
	Protocol string `xml:"protocol,attr,omitempty" json:"protocol,omitempty"`
	// Check is the portal check this exchange served (tax-debt, founders, …).
	Check string `xml:"check,attr,omitempty" json:"check,omitempty"`
	// MessageID is the X-Road message id (header id / X-Road-Id).
	MessageID string `xml:"messageId" json:"messageId,omitempty"`
	// Client and Service are X-Road identifiers in their slash form.
	Client  string `xml:"client,omitempty" json:"client,omitempty"`
	Service string `xml:"service,omitempty" json:"service,omitempty"`
	// UserID is the X-Road userId header: the person who initiated the request.
	UserID string `xml:"userId,omitempty" json:"userId,omitempty"`
	// Issue is the X-Road issue header (tender/lot reference).
	Issue string `xml:"issue,omitempty" json:"issue,omitempty"`
	// RequestHash is the response's requestHash (base64 SHA-512 of the request).
	RequestHash string `xml:"requestHash,omitempty" json:"requestHash,omitempty"`
	// Caller is the portal's API client that called the gateway.
	Caller string `xml:"caller,omitempty" json:"caller,omitempty"`
	// Officer is the portal officer on whose behalf the call was made.
	Officer string `xml:"officer,omitempty" json:"officer,omitempty"`
	// Subjects are the INN/PIN identifiers the exchange is about, so that
	// archives can be searched by them even in metadata-only mode.
	Subjects []string `xml:"subject,omitempty" json:"subjects,omitempty"`
	// RequestID and TraceParent are the portal request's X-Request-Id and
	// W3C traceparent (consumer exchanges).
	RequestID   string `xml:"requestId,omitempty" json:"requestId,omitempty"`
	TraceParent string `xml:"traceparent,omitempty" json:"traceparent,omitempty"`
	// Started and Finished bound the exchange.
	Started  time.Time `xml:"started,omitempty" json:"started,omitempty"`
	Finished time.Time `xml:"finished,omitempty" json:"finished,omitempty"`
	// Outcome is "ok", "fault" (SOAP fault / X-Road-Error) or "error"
	// (transport failure, no response).
	Outcome string `xml:"outcome,omitempty" json:"outcome,omitempty"`
	// Fault is the fault code and string when Outcome is "fault" or "error".
	Fault string `xml:"fault,omitempty" json:"fault,omitempty"`
	// Request and Response are the messages as sent and as received.
	Request  Message `xml:"request" json:"request,omitempty"`
	Response Message `xml:"response" json:"response,omitempty"`
}

// Message is one side of an exchange.
type Message struct {
	// Method and URL of a request; Status of a response.
	Method string `xml:"method,attr,omitempty" json:"method,omitempty"`
	URL    string `xml:"url,attr,omitempty" json:"url,omitempty"`
	Status int    `xml:"status,attr,omitempty" json:"status,omitempty"`
	// ContentType is the HTTP Content-Type.
	ContentType string `xml:"contentType,attr,omitempty" json:"contentType,omitempty"`
	// Headers are the HTTP headers that cross the security server
	// (X-Road-* for REST, SOAPAction), in order.
	Headers []Header `xml:"header,omitempty" json:"headers,omitempty"`
	// XRoadHeader is the raw SOAP Header element of the message, kept in
	// metadata-only mode too.
	XRoadHeader string `xml:"xroadHeader,omitempty" json:"xroadHeader,omitempty"`
	// Body is the exact bytes; it is not part of message.xml but the
	// container's attachment. In metadata-only mode it is dropped and only
	// Size and Digest remain.
	Body []byte `xml:"-" json:"body,omitempty"`
	// Size is len(Body) as sent or received.
	Size int64 `xml:"size,attr" json:"size,omitempty"`
	// Digest is "SHA-512:" + base64 of the body's SHA-512, always set.
	Digest string `xml:"digest,attr,omitempty" json:"digest,omitempty"`
	// BodyRef names the container entry holding the body ("/attachment1");
	// empty in metadata-only mode.
	BodyRef string `xml:"body,attr,omitempty" json:"bodyRef,omitempty"`
}

// Header is one HTTP header.
type Header struct {
	Name  string `xml:"name,attr" json:"name,omitempty"`
	Value string `xml:",chardata" json:"value"`
}

// Event is a record that is not an exchange: an archive read, a catalog
// apply, a key operation, a retention removal.
type Event struct {
	// Actor is who did it (OS user, officer, service account).
	Actor string `xml:"actor,attr,omitempty" json:"actor,omitempty"`
	// Role is the configured role the actor acted in (archive reads).
	Role string `xml:"role,attr,omitempty" json:"role,omitempty"`
	// Purpose is the stated purpose (archive reads).
	Purpose string `xml:"purpose,omitempty" json:"purpose,omitempty"`
	// Action is what was done ("search", "export", "generate-key", …).
	Action string `xml:"action,attr" json:"action,omitempty"`
	// Outcome is "ok" or what went wrong.
	Outcome string `xml:"outcome,attr,omitempty" json:"outcome,omitempty"`
	// Fields are the details, in order.
	Fields []Field `xml:"field,omitempty" json:"fields,omitempty"`
}

// Field is one named detail of an Event.
type Field struct {
	Name  string `xml:"name,attr" json:"name,omitempty"`
	Value string `xml:",chardata" json:"value"`
}

// ID is the stable reference to a record that callers (the portal's
// evidence) keep: "mlog:<seq>".
func ID(seq uint64) string {
	var b [len("mlog:") + 20]byte // one allocation (FormatUint and + make two)
	return string(strconv.AppendUint(append(b[:0], "mlog:"...), seq, 10))
}

// ParseID is the inverse of ID.
func ParseID(id string) (uint64, error) {
	n, ok := strings.CutPrefix(id, "mlog:")
	if !ok {
		return 0, fmt.Errorf("msglog: record id %q: want mlog:<seq>", id)
	}
	seq, err := strconv.ParseUint(n, 10, 64)
	if err != nil || seq == 0 {
		return 0, fmt.Errorf("msglog: record id %q: want mlog:<seq>", id)
	}
	return seq, nil
}

// BodyDigest is the digest form used in Message.Digest.
func BodyDigest(body []byte) string {
	sum := sha512.Sum512(body)
	return "SHA-512:" + base64.StdEncoding.EncodeToString(sum[:])
}

// prepare fills the derived fields of a record before it is stored:
// digests and sizes always, body references unless metadataOnly, in which
// case the bodies are dropped. It returns the attachments to store in order.
func (r *Record) prepare(metadataOnly bool) ([][]byte, error) {
	switch {
	case r.Type == "":
		return nil, errors.New("msglog: record has no type")
	case r.Type == TypeExchange && r.Exchange == nil:
		return nil, errors.New("msglog: exchange record without Exchange")
	case r.Type != TypeExchange && r.Event == nil:
		return nil, fmt.Errorf("msglog: %s record without Event", r.Type)
	}
	if r.Exchange == nil {
		return nil, nil
	}
	var atts [][]byte
	for i, m := range []*Message{&r.Exchange.Request, &r.Exchange.Response} {
		m.Size = int64(len(m.Body))
		m.Digest = BodyDigest(m.Body)
		m.BodyRef = ""
		if metadataOnly {
			m.Body = nil
			continue
		}
		if len(m.Body) > 0 || i == 0 {
			atts = append(atts, m.Body)
			m.BodyRef = "/attachment" + strconv.Itoa(len(atts))
		}
	}
	return atts, nil
}

// MarshalRecord returns message.xml for a record. It writes the document
// directly rather than through encoding/xml's reflection (about ten times
// faster, and this runs once per exchange); UnmarshalRecord reads it back
// with encoding/xml, and a test checks the two agree.
func MarshalRecord(r *Record) ([]byte, error) {
	size := 1024
	if ex := r.Exchange; ex != nil { // the SOAP headers are most of it: grow once
		size += (len(ex.Request.XRoadHeader) + len(ex.Response.XRoadHeader)) * 9 / 8
	}
	w := &xmlWriter{b: make([]byte, 0, size)}
	w.raw(xml.Header)
	w.raw(`<record xmlns="` + Namespace + `"`)
	if r.Seq != 0 {
		w.attr("seq", strconv.FormatUint(r.Seq, 10))
	}
	if r.Leaf >= 2 {
		w.attr("leaf", strconv.Itoa(r.Leaf))
	}
	w.attr("type", string(r.Type))
	w.attr("time", r.Time.Format(time.RFC3339Nano))
	w.raw(">")
	w.elem("member", r.Member)
	if ex := r.Exchange; ex != nil {
		w.raw("<exchange")
		w.attr("direction", ex.Direction)
		w.attr("protocol", ex.Protocol)
		w.attr("check", ex.Check)
		w.raw(">")
		w.elemAlways("messageId", ex.MessageID)
		w.elem("client", ex.Client)
		w.elem("service", ex.Service)
		w.elem("userId", ex.UserID)
		w.elem("issue", ex.Issue)
		w.elem("requestHash", ex.RequestHash)
		w.elem("caller", ex.Caller)
		w.elem("officer", ex.Officer)
		for _, s := range ex.Subjects {
			w.elemAlways("subject", s)
		}
		w.elemAlways("started", ex.Started.Format(time.RFC3339Nano))
		w.elemAlways("finished", ex.Finished.Format(time.RFC3339Nano))
		w.elem("outcome", ex.Outcome)
		w.elem("fault", ex.Fault)
		w.message("request", &ex.Request)
		w.message("response", &ex.Response)
		w.raw("</exchange>")
	}
	if ev := r.Event; ev != nil {
		w.raw("<event")
		w.attr("actor", ev.Actor)
		w.attr("role", ev.Role)
		w.raw(` action="`)
		w.text(ev.Action, true)
		w.raw(`"`)
		w.attr("outcome", ev.Outcome)
		w.raw(">")
		w.elem("purpose", ev.Purpose)
		for _, f := range ev.Fields {
			w.raw(`<field name="`)
			w.text(f.Name, true)
			w.raw(`">`)
			w.text(f.Value, false)
			w.raw("</field>")
		}
		w.raw("</event>")
	}
	w.raw("</record>\n")
	if w.err != nil {
		return nil, fmt.Errorf("msglog: marshal record: %w", w.err)
	}
	return w.b, nil
}

type xmlWriter struct {
	b   []byte
	err error
}

func (w *xmlWriter) raw(s string) { w.b = append(w.b, s...) }

// attr writes a non-empty attribute.
func (w *xmlWriter) attr(name, v string) {
	if v == "" {
		return
	}
	w.b = append(w.b, ' ')
	w.b = append(w.b, name...)
	w.b = append(w.b, '=', '"')
	w.text(v, true)
	w.b = append(w.b, '"')
}

func (w *xmlWriter) elem(name, v string) {
	if v != "" {
		w.elemAlways(name, v)
	}
}

func (w *xmlWriter) elemAlways(name, v string) {
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
	w.text(v, false)
	w.b = append(w.b, '<', '/')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

func (w *xmlWriter) message(name string, m *Message) {
	w.raw("<" + name)
	w.attr("method", m.Method)
	w.attr("url", m.URL)
	if m.Status != 0 {
		w.attr("status", strconv.Itoa(m.Status))
	}
	w.attr("contentType", m.ContentType)
	w.raw(` size="` + strconv.FormatInt(m.Size, 10) + `"`)
	w.attr("digest", m.Digest)
	w.attr("body", m.BodyRef)
	w.raw(">")
	for _, h := range m.Headers {
		w.raw(`<header name="`)
		w.text(h.Name, true)
		w.raw(`">`)
		w.text(h.Value, false)
		w.raw("</header>")
	}
	w.elem("xroadHeader", m.XRoadHeader)
	w.raw("</" + name + ">")
}

// text escapes s as encoding/xml does; characters XML cannot carry are an
// error (they would make the signed document unreadable).
func (w *xmlWriter) text(s string, attr bool) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		switch c {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if c < 0x20 {
				w.err = fmt.Errorf("control character %#x not allowed in XML", c)
			} else if c >= 0x80 {
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && size == 1 {
					w.err = errors.New("invalid UTF-8 not allowed in XML")
				}
				i += size
				continue
			}
			i++
			continue
		}
		if !attr && (c == '\t' || c == '\n') {
			i++
			continue
		}
		w.b = append(w.b, s[start:i]...)
		w.b = append(w.b, esc...)
		i++
		start = i
	}
	w.b = append(w.b, s[start:]...)
}

// UnmarshalRecord parses message.xml and, when given, the container's
// attachments back into a Record (bodies restored from BodyRef).
func UnmarshalRecord(messageXML []byte, attachments map[string][]byte) (*Record, error) {
	var r Record
	dec := xml.NewDecoder(bytes.NewReader(messageXML))
	dec.Strict = true
	dec.Entity = nil
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("msglog: parse message.xml: %w", err)
	}
	if r.Exchange != nil {
		for _, m := range []*Message{&r.Exchange.Request, &r.Exchange.Response} {
			if m.BodyRef != "" && attachments != nil {
				m.Body = attachments[strings.TrimPrefix(m.BodyRef, "/")]
			}
		}
	}
	return &r, nil
}

// Store payload framing: a kind byte, then length-prefixed parts.
const (
	kindRecord byte = 1 // parts: message.xml, attachments…
	kindSeal   byte = 2 // parts: seal metadata (JSON), then seal files
)

func encodeParts(kind byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += binary.MaxVarintLen64 + len(p)
	}
	b := make([]byte, 1, n)
	b[0] = kind
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

func decodeParts(b []byte) (byte, [][]byte, error) {
	if len(b) == 0 {
		return 0, nil, errors.New("msglog: empty stored record")
	}
	kind := b[0]
	b = b[1:]
	var parts [][]byte
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return 0, nil, errors.New("msglog: malformed stored record")
		}
		parts = append(parts, b[k:k+int(n)])
		b = b[k+int(n):]
	}
	return kind, parts, nil
}

// FieldDoc describes one archived field, for the archiving-procedure
// document (tunduk archive policy).
type FieldDoc struct {
	Name        string
	Description string
}

// ArchivedFields lists what each exchange record keeps; in metadata-only
// mode the bodies are replaced by their size and SHA-512 digest.
func ArchivedFields(metadataOnly bool) []FieldDoc {
	f := []FieldDoc{
		{"seq, time, type", "record number in the log, when it was written (UTC), what it is about"},
		{"member", "X-Road identifier of our side of the exchange (archives are grouped by it)"},
		{"direction, protocol", "consumer (portal → Tunduk) or provider (Tunduk → our service); SOAP or REST"},
		{"messageId", "X-Road message id"},
		{"client, service", "X-Road client and service identifiers"},
		{"userId", "X-Road userId: the person who initiated the request"},
		{"issue", "X-Road issue: the tender/lot the request concerns"},
		{"requestHash", "the response's requestHash (SHA-512 of the request)"},
		{"caller, officer", "the portal's API client and the portal officer"},
		{"subject", "INN/PIN identifiers the exchange concerns"},
		{"started, finished, outcome, fault", "timing and result (ok, fault with its code, transport error)"},
		{"request/response headers", "HTTP headers that cross the security server and the raw SOAP header"},
		{"request/response size and digest", "byte length and SHA-512 of each body"},
	}
	if metadataOnly {
		f = append(f, FieldDoc{"bodies", "NOT archived (metadata-only mode): only size and SHA-512 digest are kept"})
	} else {
		f = append(f, FieldDoc{"request/response bodies", "the exact bytes as sent and received (container entries attachment1, attachment2)"})
	}
	return append(f,
		FieldDoc{"events", "archive reads (user, role, purpose, query), catalog applies, key operations, retention removals"},
		FieldDoc{"signature", "one XAdES signature per batch over a Merkle hash chain (X-Road format), optional RFC 3161 time-stamp"},
	)
}
