package hashchain

import (
	"bytes"
	"encoding/base64"
)

// parseOwnChain reads a HashChain document in exactly the layout
// Tree.ChainURIs writes, byte for byte (declaration, namespaces,
// indentation, one DefaultDigestMethod, steps of HashValue, StepRef and
// DataRef with plain URIs and unwrapped base64); ok is false for any
// other document, which parseChainXML then reads. For the documents it
// accepts the result equals parseChainXML's (TestOwnChainMatchesXML).
func parseOwnChain(data []byte) (c *chain, ok bool) {
	r := ownReader{b: data}
	if !r.lit(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<ns2:HashChain xmlns="` + NSDsig + `" xmlns:ns2="` + NS + `">` + "\n" +
		`    <ns2:DefaultDigestMethod Algorithm="`) {
		return nil, false
	}
	method, ok := r.attr()
	if !ok || !r.lit(`/>`+"\n") {
		return nil, false
	}
	c = &chain{defaultMethod: method, steps: map[string][]value{}}
	for !r.lit(`</ns2:HashChain>`) {
		if !r.lit(`    <ns2:HashStep id="`) {
			return nil, false
		}
		id, ok := r.attr()
		if !ok || id == "" || !r.lit(`>`+"\n") {
			return nil, false
		}
		if _, dup := c.steps[id]; dup {
			return nil, false
		}
		var vals []value
		for !r.lit("    </ns2:HashStep>\n") {
			var v value
			switch {
			case r.lit("        <ns2:HashValue>\n            <DigestValue>"):
				v.kind = kindHash
				if v.digest, ok = r.digest(); !ok || !r.lit("</DigestValue>\n        </ns2:HashValue>\n") {
					return nil, false
				}
			case r.lit(`        <ns2:StepRef URI="`):
				v.kind = kindStep
				if v.uri, ok = r.attr(); !ok || v.uri == "" || !r.lit(`/>`+"\n") {
					return nil, false
				}
			case r.lit(`        <ns2:DataRef URI="`):
				v.kind = kindData
				if v.uri, ok = r.attr(); !ok || v.uri == "" || !r.lit(">\n            <DigestValue>") {
					return nil, false
				}
				if v.digest, ok = r.digest(); !ok || !r.lit("</DigestValue>\n        </ns2:DataRef>\n") {
					return nil, false
				}
			default:
				return nil, false
			}
			vals = append(vals, v)
		}
		c.steps[id] = vals
	}
	if len(r.b) != 0 {
		return nil, false
	}
	return c, true
}

type ownReader struct{ b []byte }

// lit consumes s if the input starts with it.
func (r *ownReader) lit(s string) bool {
	if len(r.b) < len(s) || string(r.b[:len(s)]) != s {
		return false
	}
	r.b = r.b[len(s):]
	return true
}

// attr reads an attribute value up to its closing quote; values with
// markup, references, control or non-ASCII characters are declined (the
// XML parser unescapes, normalizes or refuses them).
func (r *ownReader) attr() (string, bool) {
	i := bytes.IndexByte(r.b, '"')
	if i < 0 {
		return "", false
	}
	for _, c := range r.b[:i] {
		if c < 0x20 || c >= 0x7f || c == '&' || c == '<' || c == '>' {
			return "", false // control, non-ASCII, markup: the XML parser's business
		}
	}
	v := string(r.b[:i])
	r.b = r.b[i+1:]
	return v, true
}

// digest reads base64 text up to the next '<'.
func (r *ownReader) digest() ([]byte, bool) {
	i := bytes.IndexByte(r.b, '<')
	if i <= 0 {
		return nil, false
	}
	d := make([]byte, base64.StdEncoding.DecodedLen(i))
	n, err := base64.StdEncoding.Decode(d, r.b[:i])
	if err != nil {
		return nil, false
	}
	r.b = r.b[i:]
	return d[:n], true
}
