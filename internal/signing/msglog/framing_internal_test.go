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
