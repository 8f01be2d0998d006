package msglog

import (
	"bytes"
	"testing"
)

// FuzzMultipartExact: whatever body arrives with a multipart Content-Type,
// its X-Road form in container format 3 (message.xml, attachments and,
// when it parsed, the framing) rebuilds it byte for byte.
func FuzzMultipartExact(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Type: text/xml\r\n\r\n<Envelope/>\r\n--B\r\nContent-Type: a/b\r\n\r\nATT\r\n--B--\r\n"), "B")
	f.Add([]byte("pre\n--B  \nContent-Type: text/xml\n\n<Envelope/>\n--B\nContent-Type: a/b\n\n\n--B--epi"), "B")
	f.Add([]byte("--B\r\nContent-Type: text/xml\r\n\r\n<Envelope/>\r\n--B\r\n"), "B")
	f.Add([]byte("--x\r\n\r\n"), "B")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		if len(body) == 0 || len(body) > 1<<16 {
			return
		}
		m := &Message{ContentType: `multipart/related; type="text/xml"; boundary="` + boundary + `"`, Body: body}
		x, err := xroadMessage(m, false, true, true)
		if err != nil {
			t.Fatal(err)
		}
		if x.framing == nil {
			if !bytes.Equal(x.message, body) || len(x.attachments) != 0 {
				t.Fatalf("no framing, but message.xml is not the body as sent")
			}
			return
		}
		got, err := x.framing.Body(x.message, x.attachments)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("rebuilt %q (%v), sent %q", got, err, body)
		}
	})
}

// multipartParts is the journal parts of an exchange whose request is SOAP
// with attachments (n bytes of attachment) and whose response is plain.
func multipartParts(t testing.TB, n int) [][]byte {
	t.Helper()
	body := append([]byte("--B\r\nContent-Type: text/xml\r\n\r\n<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body><q/></e:Body></e:Envelope>\r\n--B\r\nContent-Type: application/pdf\r\n\r\n"), bytes.Repeat([]byte{0xA5}, n)...)
	body = append(body, "\r\n--B--\r\n"...)
	r := Record{Type: TypeExchange, Member: "central-server/GOV/70000001/portal", Exchange: &Exchange{Protocol: "soap",
		Request:  Message{ContentType: `multipart/related; type="text/xml"; boundary=B`, Body: body},
		Response: Message{ContentType: "text/xml", Status: 200, Body: []byte("<Envelope><Body><ok/></Body></Envelope>")}}}
	atts, err := r.prepare(false)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := MarshalRecord(&r)
	if err != nil {
		t.Fatal(err)
	}
	return append([][]byte{[]byte("0|m"), doc}, atts...)
}

// TestFormat2SealsUnchanged: a batch sealed in format 2 (before this
// version) is archived as it was signed — no framing, format="2" — and in
// format 3 only the multipart side's tunduk-exchange.xml changes.
func TestFormat2SealsUnchanged(t *testing.T) {
	parts := multipartParts(t, 10)
	old, err := containersOf(7, parts, FormatXRoad)
	if err != nil {
		t.Fatal(err)
	}
	now, err := containersOf(7, parts, FormatFramed)
	if err != nil {
		t.Fatal(err)
	}
	if len(old) != 2 || len(now) != 2 {
		t.Fatalf("%d and %d containers, want 2", len(old), len(now))
	}
	for _, c := range old {
		if bytes.Contains(c.exchange, []byte("tunduk-multipart")) || !bytes.Contains(c.exchange, []byte(`format="2"`)) {
			t.Errorf("format 2 %s: %q", c.suffix, c.exchange)
		}
	}
	if !bytes.Contains(now[0].exchange, []byte(`format="3"`)) || !bytes.Contains(now[0].exchange, []byte("</record>\n\n<?tunduk-multipart v1 ")) || !bytes.HasSuffix(now[0].exchange, []byte("?>")) {
		t.Errorf("format 3 request: %q", now[0].exchange)
	}
	if !bytes.Equal(now[1].exchange, old[1].exchange) || !bytes.Equal(now[0].message, old[0].message) || len(now[0].attachments) != 1 || !bytes.Equal(now[0].attachments[0], old[0].attachments[0]) {
		t.Error("format 3 changed more than the multipart side's tunduk-exchange.xml")
	}
}

// BenchmarkContainersOfMultipart: the cost of keeping the framing (format
// 3) against format 2 for a SOAP-with-attachments exchange.
func BenchmarkContainersOfMultipart(b *testing.B) {
	parts := multipartParts(b, 4096)
	for _, format := range []int{FormatXRoad, FormatFramed} {
		b.Run("format="+string(rune('0'+format)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := containersOf(1, parts, format); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
