package msglog

import (
	"bytes"
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
const (
	FormatRecord   = 1
	FormatXRoad    = 2
	FormatVersion  = FormatXRoad
	archiveComment = "tunduk-msglog-format=2"
)

// containerSpec is one container a journal record is archived as.
type containerSpec struct {
	suffix      string // entry-name suffix: the record type, "request" or "response"
	message     []byte
	attachments [][]byte
	exchange    []byte // tunduk-exchange.xml, nil in format 1
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
//
// rec, when set, is the record parts encode, as appended by this process:
// it spares parsing message.xml again (TestContainersOfParsedAgrees checks
// both ways give the same containers).
func containersOf(seq uint64, parts [][]byte, format int, rec *Record) ([]containerSpec, error) {
	if len(parts) < 2 {
		return nil, errors.New("too few parts")
	}
	typ := recordType(parts[1])
	if format < FormatXRoad || typ != string(TypeExchange) {
		return []containerSpec{{suffix: typ, message: withSeq(parts[1], seq), attachments: parts[2:]}}, nil
	}
	r := rec
	if r == nil || r.Exchange == nil {
		atts := map[string][]byte{}
		for i, a := range parts[2:] {
			atts["attachment"+strconv.Itoa(i+1)] = a
		}
		var err error
		if r, err = UnmarshalRecord(parts[1], atts); err != nil {
			return nil, err
		}
	}
	ex := r.Exchange
	if ex == nil {
		return nil, errors.New("exchange record without exchange")
	}
	meta := withFormatSeq(parts[1], FormatXRoad, seq)
	rest := ex.Protocol == "rest"
	req, err := xroadMessage(&ex.Request, rest, true)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	out := []containerSpec{{suffix: "request", message: req.message, attachments: req.attachments, exchange: meta}}
	resp := &ex.Response
	if resp.Size > 0 || resp.Status != 0 || len(resp.Headers) > 0 || resp.XRoadHeader != "" {
		m, err := xroadMessage(resp, rest, false)
		if err != nil {
			return nil, fmt.Errorf("response: %w", err)
		}
		out = append(out, containerSpec{suffix: "response", message: m.message, attachments: m.attachments, exchange: meta})
	}
	return out, nil
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

// withFormatSeq puts format and seq into a record document (one copy;
// the archive's metadata form).
func withFormatSeq(doc []byte, format int, seq uint64) []byte {
	i := bytes.Index(doc, seqPrefix)
	if i < 0 {
		return doc
	}
	i += len(seqPrefix)
	attrs := ` format="` + strconv.Itoa(format) + `" seq="` + strconv.FormatUint(seq, 10) + `"`
	out := make([]byte, 0, len(doc)+len(attrs))
	out = append(out, doc[:i]...)
	out = append(out, attrs...)
	return append(out, doc[i:]...)
}

type xroadMsg struct {
	message     []byte
	attachments [][]byte
}

// xroadMessage returns message.xml and the attachments of one side of an
// exchange in X-Road's form.
func xroadMessage(m *Message, rest, request bool) (*xroadMsg, error) {
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
