package msglog_test

import (
	"bytes"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// bodyCase is one side's body as sent, and how X-Road's form of it must
// look in the container (parts nil: message.xml is the body as sent).
type bodyCase struct {
	name, contentType string
	rest              bool
	body              []byte
	parts             []string // SOAP part, then attachment contents
}

func multipartCases() []bodyCase {
	soapPart := soapReq
	bin := make([]byte, 3000)
	r := mrand.New(mrand.NewPCG(1, 2))
	for i := range bin {
		bin[i] = byte(r.UintN(256))
	}
	// Lookalikes of a delimiter inside the content that are not one.
	copy(bin[100:], "\r\n--B1x\r\n")
	copy(bin[200:], "\n--B\r\n")
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	swa := func(atts ...string) string {
		b := "--B1\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n" + soapPart
		for i, a := range atts {
			b += fmt.Sprintf("\r\n--B1\r\nContent-Type: application/octet-stream\r\nContent-ID: <a%d>\r\n\r\n", i) + a
		}
		return b + "\r\n--B1--\r\n"
	}
	const swaCT = `multipart/related; type="text/xml"; boundary=B1`
	return []bodyCase{
		{name: "swa 1 attachment", contentType: swaCT, body: []byte(swa("one")), parts: []string{soapPart, "one"}},
		{name: "swa 3 attachments", contentType: swaCT, body: []byte(swa("one", "", "three\r\n")), parts: []string{soapPart, "one", "", "three\r\n"}},
		{name: "mtom", contentType: `multipart/related; type="application/xop+xml"; start="<root@x>"; start-info="text/xml"; boundary="uuid:5a1f-77"`,
			body: []byte(crlf("--uuid:5a1f-77\nContent-Type: application/xop+xml; charset=UTF-8; type=\"text/xml\"\nContent-Transfer-Encoding: binary\nContent-ID: <root@x>\n\n") +
				soapPart + crlf("\n--uuid:5a1f-77\nContent-Type: application/pdf\nContent-Transfer-Encoding: binary\nContent-ID: <doc@x>\n\n") + "%PDF-1.7\n%\xe2\xe3\xcf\xd3" + crlf("\n--uuid:5a1f-77--")),
			parts: []string{soapPart, "%PDF-1.7\n%\xe2\xe3\xcf\xd3"}},
		{name: "preamble and epilogue", contentType: swaCT,
			body:  []byte("This is a MIME preamble.\r\n\r\n" + swa("att") + "epilogue, not part of any part\r\n\r\n"),
			parts: []string{soapPart, "att"}},
		{name: "LF line endings", contentType: swaCT,
			body:  []byte("--B1\nContent-Type: text/xml\n\n" + soapPart + "\n--B1\nContent-Type: text/plain\n\nlf only\n--B1--\n"),
			parts: []string{soapPart, "lf only"}},
		{name: "unusual part headers", contentType: `Multipart/Related; Boundary="B1"; type=text/xml`,
			body: []byte("--B1   \t\r\ncontent-type:text/xml;\r\n  charset=utf-8\r\nX-Extra:  two  spaces \r\n\r\n" + soapPart +
				"\r\n--B1\r\nCONTENT-TYPE: application/octet-stream\r\ncontent-transfer-encoding: base64\r\nContent-Id:<x@y>\r\nX-Empty:\r\n\r\nQUJD\r\nREVG\r\n--B1--"),
			parts: []string{soapPart, "QUJD\r\nREVG"}},
		{name: "binary attachment", contentType: swaCT, body: []byte(swa(string(bin))), parts: []string{soapPart, string(bin)}},
		{name: "only a SOAP part", contentType: swaCT, body: []byte(swa()), parts: []string{soapPart}},
		{name: "no closing delimiter", contentType: swaCT, body: []byte("--B1\r\nContent-Type: text/xml\r\n\r\n" + soapPart + "\r\n--B1\r\n"), parts: []string{soapPart}},
		{name: "malformed: boundary absent", contentType: swaCT, body: []byte("--OTHER\r\nContent-Type: text/xml\r\n\r\n" + soapPart + "\r\n--OTHER--\r\n")},
		{name: "malformed: truncated in a part", contentType: swaCT, body: []byte(swa("att")[:len(swa("att"))-12])},
		{name: "malformed: first part not XML", contentType: swaCT, body: []byte("--B1\r\nContent-Type: image/png\r\n\r\nPNG\r\n--B1--\r\n")},
		{name: "plain SOAP", contentType: "text/xml; charset=utf-8", body: []byte(soapPart)},
		{name: "SOAP empty body", contentType: "text/xml", body: []byte{}},
		{name: "SOAP nil body", contentType: "text/xml"},
		{name: "REST body", rest: true, contentType: "application/json", body: []byte(`{"inn":"01234567890123"}` + "\n")},
		{name: "REST binary body", rest: true, contentType: "application/octet-stream", body: bin},
		{name: "REST empty body", rest: true, body: []byte{}},
		{name: "REST nil body", rest: true},
	}
}

// TestMultipartRoundTrip: every request body below — SOAP with
// attachments, MTOM, preamble and epilogue, LF-only line breaks, unusual
// part headers, a binary attachment, malformed multipart kept as sent,
// plain SOAP, REST, empty and nil bodies — is archived in X-Road's form
// (message.xml the SOAP part, attachmentN the parts' contents) and comes
// back from the archive byte for byte, and `archive verify --checkpoint`
// recomputes every record's leaf from the archive (no Checkpoint.Leaf).
func TestMultipartRoundTrip(t *testing.T) {
	const member = "KG/GOV/70000001"
	dir := t.TempDir()
	signer, cert := certstest.Signing(t)
	ev, err := evidence.Open(evidence.Options{Dir: filepath.Join(dir, "evidence"), Origin: "tunduk.test/mlog", Signer: signer, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	l := openLog(t, dir, func(o *msglog.Options) {
		o.Signer, o.Certificate, o.Evidence, o.GroupBy = signer, cert, ev, msglog.GroupMember
	})
	defer l.Close()
	cases := multipartCases()
	for i, c := range cases {
		ex := &msglog.Exchange{Protocol: "soap", MessageID: fmt.Sprintf("m%d", i),
			Request:  msglog.Message{ContentType: c.contentType, Body: c.body},
			Response: msglog.Message{ContentType: "text/xml", Status: 200, Body: []byte(soapReq)}}
		if c.rest {
			ex.Protocol = "rest"
			ex.Request.Method, ex.Request.URL = "POST", "http://ss/r1/KG/GOV/70000002/svc/x"
		}
		if _, err := l.Append(context.Background(), &msglog.Record{Type: msglog.TypeExchange, Member: member, Exchange: ex}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev.Flush()
	group := msglog.GroupDir(filepath.Join(dir, "archive"), member)
	as, err := msglog.ListArchives(group)
	if err != nil || len(as) != 1 {
		t.Fatalf("archives: %v %v", as, err)
	}

	got := map[string]*msglog.Record{}
	framed := 0
	err = msglog.ReadArchive(as[0].Path, nil, func(name string, data []byte, r *msglog.Record) error {
		if r == nil || r.Exchange == nil {
			return fmt.Errorf("%s: not an exchange record", name)
		}
		got[r.Exchange.MessageID] = r
		var i int
		if _, err := fmt.Sscanf(r.Exchange.MessageID, "m%d", &i); err != nil || i >= len(cases) {
			return fmt.Errorf("%s: message id %q", name, r.Exchange.MessageID)
		}
		c := cases[i]
		ctr, err := asic.Read(data, asic.Limits{})
		if err != nil {
			return err
		}
		if _, f, err := asic.SplitExchange(ctr.Exchange); err != nil {
			return err
		} else if f != nil {
			framed++
		}
		if c.rest {
			return nil
		}
		want := c.parts
		if want == nil && len(c.body) > 0 {
			want = []string{string(c.body)} // kept as sent
		}
		if want == nil {
			return nil // no body: X-Road's body-less envelope
		}
		if string(ctr.Message) != want[0] || len(ctr.Attachments) != len(want)-1 {
			t.Errorf("%s: message.xml %.40q and %d attachments, want the SOAP part and %d", c.name, ctr.Message, len(ctr.Attachments), len(want)-1)
		}
		for k, a := range want[1:] {
			if g := ctr.Attachments[fmt.Sprintf("attachment%d", k+1)]; string(g) != a {
				t.Errorf("%s: attachment%d = %.40q, want the part's content %.40q", c.name, k+1, g, a)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if framed != 9 {
		t.Errorf("%d containers keep a multipart framing, want 9 (the multipart cases that parse)", framed)
	}
	for i, c := range cases {
		r := got[fmt.Sprintf("m%d", i)]
		if r == nil {
			t.Errorf("%s: not read back", c.name)
			continue
		}
		if b := r.Exchange.Request.Body; !bytes.Equal(b, c.body) {
			t.Errorf("%s: read back %d bytes %.60q, sent %d bytes %.60q", c.name, len(b), b, len(c.body), c.body)
		}
		if b := r.Exchange.Response.Body; string(b) != soapReq {
			t.Errorf("%s: response read back as %.60q", c.name, b)
		}
	}

	rep, err := verify.New(verify.Options{}).Paths([]string{group}, verify.ChainOptions{First: true, CheckpointKey: cert.PublicKey,
		Checkpoints: []verify.HeldCheckpoint{{File: "held", Signed: ev.Checkpoint(member)}}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || len(rep.Checkpoints) != 1 || !rep.Checkpoints[0].Valid || rep.Checkpoints[0].ArchiveSize != uint64(len(cases)) {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("archive verify --checkpoint: %+v\n%s", rep.Checkpoints, b.String())
	}
}
