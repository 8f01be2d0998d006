package msglog

import (
	"bytes"
	"crypto/sha512"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// TestPlainSOAPMatchesParsed: containersOf's fast path (plainSOAP, which
// reads two start tags instead of parsing the record) gives exactly the
// containers of the parsed path wherever it applies, and declines every
// record it cannot read that way (REST, multipart, metadata-only, empty or
// escaped fields), which then goes through the parser.
func TestPlainSOAPMatchesParsed(t *testing.T) {
	soapBody := []byte(`<Envelope><Body><x>1 &amp; 2</x></Body></Envelope>`)
	multi := []byte("--b\r\nContent-Type: text/xml\r\n\r\n<Envelope/>\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nATT\r\n--b--\r\n")
	type tc struct {
		name     string
		ex       Exchange
		metaOnly bool
		fast     bool
	}
	cases := []tc{
		{"soap both sides", Exchange{Protocol: "soap", Request: Message{ContentType: "text/xml", Body: soapBody}, Response: Message{ContentType: "text/xml; charset=utf-8", Status: 200, Body: soapBody}}, false, true},
		{"no protocol", Exchange{Request: Message{Body: soapBody}, Response: Message{Body: soapBody}}, false, true},
		{"no response", Exchange{Protocol: "soap", Outcome: "error", Request: Message{ContentType: "text/xml", Body: soapBody}}, false, true},
		{"response status only", Exchange{Protocol: "soap", Request: Message{Body: soapBody}, Response: Message{Status: 502}}, false, false},
		{"response headers only", Exchange{Protocol: "soap", Request: Message{Body: soapBody}, Response: Message{Headers: []Header{{Name: "SOAPAction", Value: "x"}}}}, false, false},
		{"empty request body", Exchange{Protocol: "soap", Request: Message{XRoadHeader: "<h>a&lt;b</h>"}, Response: Message{Body: soapBody}}, false, false},
		{"metadata only", Exchange{Protocol: "soap", Request: Message{Body: soapBody, XRoadHeader: "<h/>"}, Response: Message{Body: soapBody}}, true, false},
		{"multipart", Exchange{Protocol: "soap", Request: Message{ContentType: `multipart/related; boundary="b"`, Body: multi}, Response: Message{Body: soapBody}}, false, false},
		{"multipart upper case", Exchange{Protocol: "soap", Request: Message{ContentType: ` Multipart/Related; boundary=b`, Body: multi}, Response: Message{Body: soapBody}}, false, false},
		{"escaped content type", Exchange{Protocol: "soap", Request: Message{ContentType: `text/xml; a="b"`, Body: soapBody}, Response: Message{Body: soapBody}}, false, false},
		{"rest", Exchange{Protocol: "rest", Request: Message{Method: "POST", URL: "https://x/r1/a?b=1&c=2", Body: []byte(`{}`)}, Response: Message{Status: 200, Body: []byte(`{"a":1}`)}}, false, false},
		{"element lookalikes", Exchange{Protocol: "soap", MessageID: `<request body="/attachment2">`, RequestHash: "h", Fault: `<response size="0">`, Request: Message{Body: soapBody}, Response: Message{Body: []byte("R")}}, false, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex := c.ex
			r := Record{Type: TypeExchange, Member: "central-server/GOV/70000001/portal", Time: time.Unix(1767225600, 0).UTC(), Exchange: &ex}
			atts, err := r.prepare(c.metaOnly)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := MarshalRecord(&r)
			if err != nil {
				t.Fatal(err)
			}
			parts := append([][]byte{[]byte("0|m"), doc}, atts...)
			req, resp, fast := plainSOAP(parts[1], parts[2:])
			if fast != c.fast {
				t.Errorf("fast path taken = %v, want %v", fast, c.fast)
			}
			for _, m := range []plainMsg{req, resp} {
				if d := sha512.Sum512(m.body); m.body != nil && !bytes.Equal(m.digest, d[:]) {
					t.Errorf("fast path digest %x is not the body's SHA-512 %x", m.digest, d)
				}
			}
			got, err := containersOf(uint64(i+1), parts, FormatVersion)
			if err != nil {
				t.Fatal(err)
			}
			want, err := parsedContainers(parts, withFormat(withSeq(doc, uint64(i+1)), FormatXRoad), FormatVersion)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normal(got), normal(want)) {
				t.Errorf("fast path containers differ from parsed ones:\n got %q\nwant %q", normal(got), normal(want))
			}
		})
	}
}

// normal makes nil and empty attachment lists compare equal.
func normal(specs []containerSpec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.suffix, string(s.message), string(s.exchange), strconv.Itoa(len(s.attachments)))
		for _, a := range s.attachments {
			out = append(out, string(bytes.Clone(a)))
		}
	}
	return out
}
