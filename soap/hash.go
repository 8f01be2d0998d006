package soap

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
)

// requestHash algorithm URIs (algorithmId).
const (
	SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
	SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
)

// RequestHash returns base64(SHA-512(soapPart)): the requestHash of a
// request whose SOAP part (the whole HTTP body for text/xml, the first MIME
// part for multipart, BOM included) is soapPart.
func RequestHash(soapPart []byte) string {
	sum := sha512.Sum512(soapPart)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func hasherFor(alg string) (hash.Hash, bool) {
	switch alg {
	case "", SHA512:
		return sha512.New(), true
	case SHA384:
		return sha512.New384(), true
	case SHA256:
		return sha256.New(), true
	}
	return nil, false
}

// CheckRequestHash checks that m, a response, carries the requestHash of
// req (SHA-512 unless algorithmId names SHA-384 or SHA-256). Otherwise it
// returns *ValidationError with CodeInvalidRequestHash.
func (m *Message) CheckRequestHash(req *Message) error {
	h := m.Header()
	if h.RequestHash == "" {
		return &ValidationError{Code: CodeInvalidRequestHash, Detail: "response carries no requestHash"}
	}
	hh, ok := hasherFor(h.RequestHashAlgorithm)
	if !ok {
		return &ValidationError{Code: CodeInvalidRequestHash, Detail: fmt.Sprintf("unsupported requestHash algorithm %q", h.RequestHashAlgorithm)}
	}
	got, err := base64.StdEncoding.DecodeString(h.RequestHash)
	if err != nil {
		return &ValidationError{Code: CodeInvalidRequestHash, Detail: "requestHash is not base64"}
	}
	hh.Write(req.SOAP())
	if subtle.ConstantTimeCompare(got, hh.Sum(nil)) != 1 {
		return &ValidationError{Code: CodeInvalidRequestHash, Detail: "requestHash does not match the request"}
	}
	return nil
}

// AddRequestHash returns a copy of resp whose header carries the SHA-512
// requestHash of req, replacing any requestHash there, as a security server
// does on the way back to the client. The new element follows the last
// header field, indented like it. A multipart result shares resp's
// attachments: Close only one of the two.
func AddRequestHash(resp *Message, req *Message) (*Message, error) {
	if !resp.HasHeader() {
		return nil, &ValidationError{Code: CodeMissingHeader, Detail: "response has no SOAP Header"}
	}
	v := resp.view
	var b bytes.Buffer
	b.Grow(len(v) + 200)
	pos := 0
	if resp.viewBase < 0 && bytes.HasPrefix(v, []byte("<?xml")) {
		if i := bytes.Index(v, []byte("?>")); i >= 0 {
			pos = i + 2
		}
	}
	insertAt, indent := resp.spans.headerInner.start, "\n"
	for _, f := range resp.fields {
		if f.name.Space == NSXRoad && f.name.Local == "requestHash" {
			continue
		}
		insertAt = f.end
		ws := f.start
		for ws > 0 && (v[ws-1] == ' ' || v[ws-1] == '\t') {
			ws--
		}
		indent = "\n" + string(v[ws:f.start])
	}
	elem := resp.requestHashElement(RequestHash(req.SOAP()))
	inserted := false
	for _, f := range resp.fields {
		if f.name.Space != NSXRoad || f.name.Local != "requestHash" {
			continue
		}
		if f.start > insertAt && !inserted {
			b.Write(v[pos:insertAt])
			b.WriteString(indent + elem)
			pos, inserted = insertAt, true
		}
		cut := f.start
		for cut > pos && isSpace(v[cut-1]) {
			cut--
		}
		b.Write(v[pos:cut])
		pos = f.end
	}
	if !inserted {
		if insertAt < pos {
			insertAt = pos
		}
		b.Write(v[pos:insertAt])
		b.WriteString(indent + elem)
		pos = insertAt
	}
	b.Write(v[pos:])
	out := &Message{contentType: resp.contentType, soap: b.Bytes(), multipart: resp.multipart,
		pre: resp.pre, attSep: resp.attSep, attachments: resp.attachments, tail: resp.tail}
	if resp.viewBase < 0 && !resp.multipart {
		out.contentType = textXMLUTF8
	}
	if err := out.parseSOAP("", Limits{}.withDefaults()); err != nil {
		return nil, fmt.Errorf("soap: adding requestHash: %w", err)
	}
	return out, nil
}

func (m *Message) requestHashElement(h string) string {
	attr := ` algorithmId="` + SHA512 + `">`
	if m.hasXRoadPfx {
		p := m.xroadPrefix
		return "<" + p + ":requestHash" + attr + h + "</" + p + ":requestHash>"
	}
	return `<xrh:requestHash xmlns:xrh="` + NSXRoad + `"` + attr + h + "</xrh:requestHash>"
}

// normalizeB64 drops whitespace inside a base64 value (requestHash may be
// wrapped over lines).
func normalizeB64(s string) string { return strings.Join(strings.Fields(s), "") }
