package soap_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// corpusFiles returns the X-Road corpus messages (none without the
// corpus: the fuzzers then start from the inline seeds).
func corpusFiles(f *testing.F) map[string][]byte {
	out := corpus.Files(f, "soap/*")
	for name := range out {
		if strings.HasSuffix(name, ".tsv") || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".ocsp") {
			delete(out, name)
		}
	}
	return out
}

// FuzzParse feeds text/xml messages to the parser. Whatever parses must
// write back byte for byte; whatever validates as a request must yield a
// response that validates, echoes it and carries its requestHash.
func FuzzParse(f *testing.F) {
	for _, b := range corpusFiles(f) {
		if !bytes.HasPrefix(b, []byte("--")) {
			f.Add(b)
		}
	}
	f.Add(msg("UTF-8", "u", "<a>x</a>"))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := soap.ParseBytes(in, "text/xml", soap.Limits{MaxDepth: 32})
		if err != nil {
			if _, ok := err.(*soap.ValidationError); !ok {
				t.Fatalf("error %v is not a *ValidationError", err)
			}
			return
		}
		if !bytes.Equal(m.Bytes(), in) {
			t.Fatal("Bytes differs from the input")
		}
		var w bytes.Buffer
		if _, err := m.WriteTo(&w); err != nil || !bytes.Equal(w.Bytes(), in) {
			t.Fatalf("WriteTo differs: %v", err)
		}
		_ = soap.Describe(m)
		for _, f := range m.HeaderFields() {
			if !bytes.Contains(in, f.Raw) {
				t.Fatalf("header field bytes %q not in the input", f.Raw)
			}
		}
		if err := m.Validate(soap.RoleRequest); err != nil {
			return
		}
		resp, err := soap.NewResponse(m, "", []byte("<r/>"))
		if err != nil {
			t.Fatalf("NewResponse of a valid request: %v", err)
		}
		sameAsReparsed(t, resp)
		if err := resp.Validate(soap.RoleResponse); err != nil {
			t.Fatalf("response to a valid request is invalid: %v\n%s", err, resp.SOAP())
		}
		if err := soap.Echoes(m, resp); err != nil {
			t.Fatalf("response does not echo: %v", err)
		}
		if err := soap.CheckConsistency(m, resp); err != nil {
			t.Fatalf("response inconsistent: %v", err)
		}
		withHash, err := soap.AddRequestHash(resp, m)
		if err != nil {
			t.Fatalf("AddRequestHash: %v", err)
		}
		if err := withHash.CheckRequestHash(m); err != nil {
			t.Fatal(err)
		}
		if err := soap.Echoes(m, withHash); err != nil {
			t.Fatalf("requestHash broke the echo: %v", err)
		}
	})
}

const fuzzBoundary = "jetty771207119h3h10dty"

// FuzzMultipart feeds multipart/related bodies (boundary fixed) to the MIME
// reader with a tiny memory budget, so attachments spill to files. Whatever
// parses must write back byte for byte.
func FuzzMultipart(f *testing.F) {
	for _, b := range corpusFiles(f) {
		if bytes.HasPrefix(b, []byte("--"+fuzzBoundary)) {
			f.Add(b)
		}
	}
	f.Add(multipartMsg("\r\n", msg("UTF-8", "u", ""), "one", "two"))
	f.Add([]byte("--" + fuzzBoundary + "\nContent-Type: text/xml\n\n<a/>\n--" + fuzzBoundary))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := soap.ParseBytes(in, "multipart/related; boundary="+fuzzBoundary, soap.Limits{MaxMemory: 16, MaxDepth: 32})
		if err != nil {
			return
		}
		defer m.Close()
		if !bytes.Equal(m.Bytes(), in) {
			t.Fatalf("multipart round trip differs:\n%q\n%q", m.Bytes(), in)
		}
		if !bytes.Contains(in, m.SOAP()) {
			t.Fatal("SOAP part not in the input")
		}
		var total int64
		for _, a := range m.Attachments() {
			total += a.Size
		}
		if total > int64(len(in)) {
			t.Fatalf("attachments total %d > input %d", total, len(in))
		}
	})
}

// FuzzParseID checks the identifier parsers: no panics, and whatever parses
// prints back to a string that parses to the same value.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"central-server/GOV/70000002/gns-service/getX/v1", "SUBSYSTEM:EE/COMPANY/FOOBAR/SUB",
		"MEMBER:EE/COMPANY/FOOBAR", "SERVICE:EE/BUSINESS/JODA/getState", "SERVER:EE/BUSINESS/123456789/bambi", "a/b/c/d/e", "::/", "%/;/\\"} {
		f.Add(s)
	}
	for _, b := range corpus.Files(f, "identifiers/*.xml") {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := soap.ParseClientID(s); err == nil {
			if back, err := soap.ParseClientID(c.Typed()); err != nil || back != c {
				t.Fatalf("client %q: %v → %v, %v", s, c.Typed(), back, err)
			}
			if back, err := soap.ParseClientID(c.String()); err != nil || back != c {
				t.Fatalf("client %q: %v → %v, %v", s, c.String(), back, err)
			}
		}
		if sid, err := soap.ParseServiceID(s); err == nil {
			if back, err := soap.ParseServiceID(sid.Typed()); err != nil || back != sid {
				t.Fatalf("service %q: %v → %v, %v", s, sid.Typed(), back, err)
			}
		}
		if ss, err := soap.ParseSecurityServerID(s); err == nil {
			if back, err := soap.ParseSecurityServerID(ss.Typed()); err != nil || back != ss {
				t.Fatalf("server %q: %v → %v, %v", s, ss.Typed(), back, err)
			}
		}
		if id, err := soap.ParseIdentifierXML([]byte(s)); err == nil {
			if id.Typed() == "" {
				t.Fatal("empty typed form")
			}
		}
	})
}
