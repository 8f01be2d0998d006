package msglog

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/soap"
)

// Container formats. FormatVersion is what this version writes; it is
// stated in every archive's zip comment and in each exchange container's
// tunduk-exchange.xml (attribute format).
//
//   - Format 1: one container per record; message.xml is tunduk's <record>
//     document, the request and response bodies are attachment1 and
//     attachment2.
//   - Format 2: one container per X-Road message, as a security server
//     writes them: message.xml is the SOAP message as sent or received
//     (the SOAP part of a multipart message, its other parts attachment1…),
//     or X-Road's REST message form with the body as attachment1; the
//     <record> document (who, why, outcome, timing, subjects) is the extra
//     entry tunduk-exchange.xml, a further part of the message in the
//     batch hash chain. Records that are not exchanges (archive reads,
//     catalog applies, …) keep the format-1 layout: they have no X-Road
//     message.
//   - Format 3: format 2, and a multipart message's MIME framing (preamble,
//     delimiters, part headers, epilogue: asic.Framing) follows the record
//     document in that side's tunduk-exchange.xml, so the HTTP body is
//     rebuilt byte for byte (format 2 rebuilt it with Go's multipart
//     writer, which matches the record's digest only by chance). A
//     multipart body the SOAP parser rejects, or whose framing is over
//     asic's limits, is message.xml as sent, with no attachments. Only
//     containers that keep a framing say format="3"; the others are
//     format 2's, byte for byte. Seals state the format their batch was
//     sealed in, so a batch sealed by an earlier version is archived as it
//     was signed.
const (
	FormatRecord   = 1
	FormatXRoad    = 2
	FormatFramed   = 3
	FormatVersion  = FormatFramed
	archiveComment = "tunduk-msglog-format=3"
)

// containerSpec is one container a journal record is archived as.
type containerSpec struct {
	suffix      string // entry-name suffix: the record type, "request" or "response"
	message     []byte
	attachments [][]byte
	exchange    []byte // tunduk-exchange.xml, nil in format 1
	// digest is message's SHA-512 when already known (the record's
	// digest attribute of the body that message is), else nil.
	digest []byte
}

// uris names the hash-chain parts of the container: message, attachments,
// then the exchange metadata.
func (c *containerSpec) uris() []string {
	u := make([]string, 1+len(c.attachments), 2+len(c.attachments))
	u[0] = URIMessageXML
	if c.exchange != nil {
		u = append(u, asic.URIExchange)
	}
	return u
}

// size is the container's message and attachment bytes.
func (c *containerSpec) size() int {
	n := len(c.message) + len(c.exchange)
	for _, a := range c.attachments {
		n += len(a)
	}
	return n
}

// parts returns the bytes of the hash-chain parts after message.xml.
func (c *containerSpec) parts() [][]byte {
	if c.exchange == nil {
		return c.attachments
	}
	p := make([][]byte, 0, len(c.attachments)+1)
	return append(append(p, c.attachments...), c.exchange)
}

// URIMessageXML is the hash-chain URI of message.xml.
const URIMessageXML = "/" + asic.EntryMessage

// containersOf returns the containers a journal record (parts: head,
// record XML without seq, attachments) is archived as in format. It is a
// pure function of its input: sealing and rotation both call it and must
// agree byte for byte.
func containersOf(seq uint64, parts [][]byte, format int) ([]containerSpec, error) {
	if len(parts) < 2 {
		return nil, errors.New("too few parts")
	}
	doc := withSeq(parts[1], seq)
	typ := recordType(parts[1])
	if format < FormatXRoad || typ != string(TypeExchange) {
		return []containerSpec{{suffix: typ, message: doc, attachments: parts[2:]}}, nil
	}
	meta := withFormat(doc, FormatXRoad) // format 3 marks only framed containers
	if req, resp, ok := plainSOAP(parts[1], parts[2:]); ok {
		out := []containerSpec{{suffix: "request", message: req.body, exchange: meta, digest: req.digest}}
		if resp.body != nil {
			out = append(out, containerSpec{suffix: "response", message: resp.body, exchange: meta, digest: resp.digest})
		}
		return out, nil
	}
	return parsedContainers(parts, meta, format)
}

// parsedContainers is containersOf for an exchange record in format 2 or
// 3, from the parsed record; meta is its tunduk-exchange.xml (a multipart
// side's framing is appended to it in format 3).
func parsedContainers(parts [][]byte, meta []byte, format int) ([]containerSpec, error) {
	atts := map[string][]byte{}
	for i, a := range parts[2:] {
		atts["attachment"+strconv.Itoa(i+1)] = a
	}
	r, err := UnmarshalRecord(parts[1], atts)
	if err != nil {
		return nil, err
	}
	ex := r.Exchange
	if ex == nil {
		return nil, errors.New("exchange record without exchange")
	}
	rest := ex.Protocol == "rest"
	framed := format >= FormatFramed
	req, err := xroadMessage(&ex.Request, rest, true, framed)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	out := []containerSpec{{suffix: "request", message: req.message, attachments: req.attachments, exchange: req.exchange(meta)}}
	resp := &ex.Response
	if resp.Size > 0 || resp.Status != 0 || len(resp.Headers) > 0 || resp.XRoadHeader != "" {
		m, err := xroadMessage(resp, rest, false, framed)
		if err != nil {
			return nil, fmt.Errorf("response: %w", err)
		}
		out = append(out, containerSpec{suffix: "response", message: m.message, attachments: m.attachments, exchange: m.exchange(meta)})
	}
	return out, nil
}

// plainSOAP is containersOf's fast path for the common exchange: SOAP,
// neither side multipart, each side's body non-empty in the attachment its
// body attribute names (or, for the response, no response at all). Then
// each side's message.xml is its body as it is, which needs none of the
// record's other fields, so the record is not parsed: the <request> and
// <response> start tags that MarshalRecord wrote are read directly. It
// returns ok=false (parse the record) for anything else, including any
// attribute it reads holding an escaped character. The result equals the
// parsed path's (TestPlainSOAPMatchesParsed).
func plainSOAP(doc []byte, atts [][]byte) (req, resp plainMsg, ok bool) {
	ex := startTag(doc, "exchange")
	if ex == nil || bytes.Contains(ex, []byte(` protocol="rest"`)) || bytes.IndexByte(ex, '&') >= 0 {
		return req, resp, false
	}
	rq := startTag(doc, "request")
	if rq == nil {
		return req, resp, false
	}
	if req, ok = plainBody(rq, atts); !ok {
		return req, resp, false
	}
	i := bytes.Index(doc, []byte("<response "))
	if i < 0 {
		return req, resp, false
	}
	rs := startTag(doc[i:], "response")
	if rs == nil {
		return req, resp, false
	}
	size, _ := attrValue(rs, "size")
	if _, status := attrValue(rs, "status"); !status && string(size) == "0" && bytes.HasPrefix(doc[i+len(rs):], []byte("</response>")) {
		return req, resp, true // no status, headers, header or body: no response
	}
	if resp, ok = plainBody(rs, atts); !ok {
		return req, resp, false
	}
	return req, resp, true
}

// plainMsg is one side of a plain SOAP exchange: its body and, when the
// record states it, the body's SHA-512 (Message.Digest, computed once at
// Append), so that sealing and rotation need not hash the body again.
type plainMsg struct {
	body, digest []byte
}

// startTag returns the first start tag of element name in doc (up to its
// '>'), or nil. In MarshalRecord's output '<' and '>' occur in no text or
// attribute value, so the tag ends at the first '>'.
func startTag(doc []byte, name string) []byte {
	for off := 0; ; {
		i := bytes.Index(doc[off:], []byte("<"+name))
		if i < 0 {
			return nil
		}
		i += off
		j := i + 1 + len(name)
		if j < len(doc) && (doc[j] == ' ' || doc[j] == '>') {
			k := bytes.IndexByte(doc[j:], '>')
			if k < 0 {
				return nil
			}
			return doc[i : j+k+1]
		}
		off = j
	}
}

// plainBody returns the body a <request>/<response> start tag refers to
// when it is a non-empty attachment of a non-multipart message.
func plainBody(tag []byte, atts [][]byte) (plainMsg, bool) {
	ref, ok := attrValue(tag, "body")
	if !ok || !bytes.HasPrefix(ref, []byte("/attachment")) {
		return plainMsg{}, false
	}
	n, err := strconv.Atoi(string(ref[len("/attachment"):]))
	if err != nil || n < 1 || n > len(atts) || len(atts[n-1]) == 0 || string(ref[len("/attachment"):]) != strconv.Itoa(n) {
		return plainMsg{}, false
	}
	if ct, ok := attrValue(tag, "contentType"); ok {
		if bytes.IndexByte(ct, '&') >= 0 || strings.HasPrefix(strings.ToLower(strings.TrimSpace(string(ct))), "multipart/") {
			return plainMsg{}, false
		}
	}
	m := plainMsg{body: atts[n-1]}
	if d, ok := attrValue(tag, "digest"); ok && bytes.HasPrefix(d, []byte(digestPrefix)) {
		sum := make([]byte, sha512.Size+2)
		if k, err := base64.StdEncoding.Decode(sum, d[len(digestPrefix):]); err == nil && k == sha512.Size {
			m.digest = sum[:k]
		}
	}
	return m, true
}

// digestPrefix starts Message.Digest (BodyDigest).
const digestPrefix = "SHA-512:"

// attrValue returns the raw value of attribute name in a start tag.
func attrValue(tag []byte, name string) ([]byte, bool) {
	i := bytes.Index(tag, []byte(" "+name+`="`))
	if i < 0 {
		return nil, false
	}
	v := tag[i+len(name)+3:]
	j := bytes.IndexByte(v, '"')
	if j < 0 {
		return nil, false
	}
	return v[:j], true
}

// recordType reads the type attribute of a <record> document.
func recordType(doc []byte) string {
	if i := bytes.Index(doc, []byte(` type="`)); i >= 0 {
		rest := doc[i+7:]
		if j := bytes.IndexByte(rest, '"'); j > 0 && j < 40 {
			return string(rest[:j])
		}
	}
	return "record"
}

func withFormat(doc []byte, format int) []byte {
	return withRecordAttr(doc, "format", strconv.Itoa(format))
}

type xroadMsg struct {
	message     []byte
	attachments [][]byte
	framing     *asic.Framing // format 3, multipart: rebuilds the body exactly
}

// exchange is the side's tunduk-exchange.xml: meta, with the framing
// after it when there is one.
func (x *xroadMsg) exchange(meta []byte) []byte {
	if x.framing == nil {
		return meta
	}
	framed := bytes.Replace(meta, []byte(formatAttr2), []byte(formatAttr3), 1)
	return asic.AppendFraming(framed, x.framing)
}

// The format attribute of a format-2 container's tunduk-exchange.xml and
// of a format-3 one's that keeps a multipart framing.
var (
	formatAttr2 = string(seqPrefix) + ` format="2"`
	formatAttr3 = string(seqPrefix) + ` format="3"`
)

// xroadMessage returns message.xml and the attachments of one side of an
// exchange in X-Road's form; framed (format 3) keeps a multipart body's
// framing, or the body whole as message.xml when that cannot be kept.
func xroadMessage(m *Message, rest, request, framed bool) (*xroadMsg, error) {
	if rest {
		return &xroadMsg{message: restForm(m, request), attachments: nonEmpty(m.Body)}, nil
	}
	if len(m.Body) == 0 {
		// Metadata-only (or no body): X-Road's message-body-logging=false
		// form, the SOAP header kept and the body emptied. (nil and empty
		// bodies must give the same bytes: sealing sees the appended
		// record, rotation the journal copy.)
		return &xroadMsg{message: bodilessEnvelope(m.XRoadHeader)}, nil
	}
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(m.ContentType)), "multipart/") {
		return &xroadMsg{message: m.Body}, nil
	}
	msg, err := soap.ParseBytes(m.Body, m.ContentType, soap.Limits{})
	if err != nil {
		// Not parseable as X-Road multipart: keep the bytes as sent.
		return &xroadMsg{message: m.Body}, nil //nolint:nilerr // the exact bytes are still evidence
	}
	defer msg.Close()
	out := &xroadMsg{message: msg.SOAP()}
	if framed {
		pre, seps, tail, ok := msg.Framing()
		out.framing = &asic.Framing{Pre: pre, Seps: seps, Tail: tail}
		if !ok || !out.framing.Fits() || len(bytes.TrimSpace(out.message)) == 0 {
			// Not representable in X-Road's form within the framing's
			// limits: keep the bytes as sent.
			return &xroadMsg{message: m.Body}, nil
		}
	}
	for _, a := range msg.Attachments() {
		rc, err := a.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		out.attachments = append(out.attachments, b)
	}
	return out, nil
}

func nonEmpty(b []byte) [][]byte {
	if len(b) == 0 {
		return nil
	}
	return [][]byte{b}
}

// restForm is X-Road's REST message form (RestRequest/RestResponse
// toByteArray): a request is the verb, the request URI (path and query)
// and the headers, one per CRLF-ended line; a response is the status
// code, the reason phrase and the headers.
func restForm(m *Message, request bool) []byte {
	var b bytes.Buffer
	if request {
		method := m.Method
		if method == "" {
			method = http.MethodGet
		}
		b.WriteString(method + "\r\n")
		uri := m.URL
		if u, err := url.Parse(m.URL); err == nil {
			uri = u.RequestURI()
		}
		b.WriteString(uri + "\r\n")
	} else {
		b.WriteString(strconv.Itoa(m.Status) + "\r\n" + http.StatusText(m.Status) + "\r\n")
	}
	seenCT := false
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, "Content-Type") {
			seenCT = true
		}
		b.WriteString(h.Name + ":" + h.Value + "\r\n")
	}
	if !seenCT && m.ContentType != "" {
		b.WriteString("Content-Type:" + m.ContentType + "\r\n")
	}
	return b.Bytes()
}

// bodilessEnvelope is a SOAP envelope holding the X-Road header fields and
// an empty body. The fields' prefixes are declared as X-Road writes them.
func bodilessEnvelope(header string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"` +
		` xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd"` +
		` xmlns:id="http://x-road.eu/xsd/identifiers" xmlns:iden="http://x-road.eu/xsd/identifiers">` +
		`<SOAP-ENV:Header>` + header + `</SOAP-ENV:Header><SOAP-ENV:Body/></SOAP-ENV:Envelope>`)
}
