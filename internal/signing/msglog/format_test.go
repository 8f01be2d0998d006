package msglog_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

const soapReq = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers"><SOAP-ENV:Header><xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>central-server</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>70000001</id:memberCode><id:subsystemCode>portal</id:subsystemCode></xrd:client><xrd:service id:objectType="SERVICE"><id:xRoadInstance>central-server</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>70000002</id:memberCode><id:subsystemCode>gns-service</id:subsystemCode><id:serviceCode>tpData</id:serviceCode><id:serviceVersion>v1</id:serviceVersion></xrd:service><xrd:id>m1</xrd:id><xrd:protocolVersion>4.0</xrd:protocolVersion></SOAP-ENV:Header><SOAP-ENV:Body><tpData xmlns="http://gns"/></SOAP-ENV:Body></SOAP-ENV:Envelope>`

// TestFormat2Layout pins what X-Road-native containers hold: message.xml is
// each message exactly as sent or received (SOAP; the SOAP part of a
// multipart message with its other parts as attachments; REST in X-Road's
// REST message form with the body as attachment1), the exchange metadata
// is tunduk-exchange.xml, and the archive states its format. Reading the
// archive back gives the exchange with its bodies.
func TestFormat2Layout(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, nil)
	ctx := context.Background()
	member := "central-server/GOV/70000001/portal"
	soapResp := strings.Replace(soapReq, "<tpData xmlns=\"http://gns\"/>", "<tpDataResponse xmlns=\"http://gns\"><ok/></tpDataResponse>", 1)
	mpBody := "--B1\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n" + soapReq + "\r\n--B1\r\nContent-Type: application/pdf\r\nContent-ID: <a1>\r\n\r\n%PDF-1.4 attachment\r\n--B1--\r\n"
	recs := []*msglog.Record{
		{Type: msglog.TypeExchange, Member: member, Exchange: &msglog.Exchange{Protocol: "soap", MessageID: "m1", Caller: "portal", Officer: "officer-7", Outcome: "ok",
			Request:  msglog.Message{ContentType: "text/xml; charset=utf-8", Body: []byte(soapReq)},
			Response: msglog.Message{ContentType: "text/xml; charset=utf-8", Status: 200, Body: []byte(soapResp)}}},
		{Type: msglog.TypeExchange, Member: member, Exchange: &msglog.Exchange{Protocol: "rest", MessageID: "m2", Outcome: "ok",
			Request: msglog.Message{Method: "POST", URL: "http://ss/r1/central-server/GOV/70000024/minjust/founders?inn=1", ContentType: "application/json",
				Headers: []msglog.Header{{Name: "X-Road-Client", Value: "central-server/GOV/70000001/portal"}}, Body: []byte(`{"inn":"1"}`)},
			Response: msglog.Message{Status: 200, ContentType: "application/json", Body: []byte(`{"founders":[]}`)}}},
		{Type: msglog.TypeExchange, Member: member, Exchange: &msglog.Exchange{Protocol: "soap", MessageID: "m3", Outcome: "error",
			Request: msglog.Message{ContentType: `multipart/related; type="text/xml"; boundary=B1`, Body: []byte(mpBody)}}},
		{Type: msglog.TypeArchiveRead, Member: member, Event: &msglog.Event{Actor: "auditor", Action: "search"}},
	}
	for _, r := range recs {
		if _, err := l.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	as, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
	if len(as) != 1 {
		t.Fatalf("archives: %v", as)
	}
	raw, _ := os.ReadFile(as[0].Path)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Comment != "tunduk-msglog-format=3" {
		t.Errorf("archive comment %q", zr.Comment)
	}
	ctr := map[string]*asic.Container{}
	var names []string
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".asice") {
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		c, err := asic.Read(b, asic.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		ctr[f.Name] = c
		names = append(names, f.Name)
	}
	// Entries are <seq>-<side>.asice; seqs need not be consecutive (a
	// seal written between appends takes one).
	want := []string{"request", "response", "request", "response", "request", "archive-read"}
	if len(names) != len(want) {
		t.Fatalf("entries %v, want sides %v", names, want)
	}
	for i, n := range names {
		if _, side, _ := strings.Cut(strings.TrimSuffix(n, ".asice"), "-"); side != want[i] {
			t.Fatalf("entries %v, want sides %v", names, want)
		}
		if _, ok := msglog.SeqOfEntry(n); !ok {
			t.Fatalf("entry %s does not start with its seq", n)
		}
	}
	want = names
	eq := func(what string, got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	eq("SOAP request message.xml", ctr[want[0]].Message, soapReq)
	eq("SOAP response message.xml", ctr[want[1]].Message, soapResp)
	if m := ctr[want[0]].Exchange; !bytes.Contains(m, []byte(`format="2"`)) || !bytes.Contains(m, []byte(`<officer>officer-7</officer>`)) || !bytes.Contains(m, []byte(`seq="1"`)) {
		t.Errorf("tunduk-exchange.xml lacks format, officer or seq: %s", m)
	}
	eq("REST request message.xml", ctr[want[2]].Message, "POST\r\n/r1/central-server/GOV/70000024/minjust/founders?inn=1\r\nX-Road-Client:central-server/GOV/70000001/portal\r\nContent-Type:application/json\r\n")
	eq("REST request body", ctr[want[2]].Attachments["attachment1"], `{"inn":"1"}`)
	eq("REST response message.xml", ctr[want[3]].Message, "200\r\nOK\r\nContent-Type:application/json\r\n")
	eq("multipart SOAP part", ctr[want[4]].Message, soapReq)
	eq("multipart attachment1", ctr[want[4]].Attachments["attachment1"], "%PDF-1.4 attachment")
	if ev := ctr[want[5]]; ev.Exchange != nil || !bytes.Contains(ev.Message, []byte(`type="archive-read"`)) {
		t.Errorf("an event keeps the record layout: %q", ev.Message)
	}

	rep, err := verify.New(verify.Options{}).Paths([]string{as[0].Path}, verify.ChainOptions{First: true})
	if err != nil || !rep.Valid() || rep.Containers != 6 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("verify: %v\n%s", err, b.String())
	}

	got := map[string]*msglog.Record{}
	err = msglog.ReadArchive(as[0].Path, nil, func(_ string, _ []byte, r *msglog.Record) error {
		if r != nil && r.Exchange != nil {
			got[r.Exchange.MessageID] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := got["m1"]; r == nil || string(r.Exchange.Request.Body) != soapReq || string(r.Exchange.Response.Body) != soapResp || r.Exchange.Officer != "officer-7" {
		t.Errorf("SOAP exchange read back: %+v", r)
	}
	if r := got["m2"]; r == nil || string(r.Exchange.Request.Body) != `{"inn":"1"}` || string(r.Exchange.Response.Body) != `{"founders":[]}` {
		t.Errorf("REST exchange read back: %+v", r)
	}
	if r := got["m3"]; r == nil || !bytes.Contains(r.Exchange.Request.Body, []byte("%PDF-1.4 attachment")) {
		t.Errorf("multipart exchange read back: %+v", r)
	}
}

// TestFormat1ArchiveStillVerifies keeps an archive written by the format-1
// Log (tunduk's <record> as message.xml, bodies as attachments; generated
// by the code before format 2, commit d497d90) verifiable and readable.
func TestFormat1ArchiveStillVerifies(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "testdata", "msglog", "format1")
	rep, err := verify.New(verify.Options{}).Paths([]string{dir}, verify.ChainOptions{First: true})
	if err != nil || !rep.Valid() || rep.Containers != 4 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("format-1 archive: %v\n%s", err, b.String())
	}
	as, _ := msglog.ListArchives(dir)
	n := 0
	err = msglog.ReadArchive(as[0].Path, nil, func(_ string, _ []byte, r *msglog.Record) error {
		if r == nil {
			t.Error("format-1 container not read as a record")
			return nil
		}
		if r.Exchange != nil && !strings.HasPrefix(string(r.Exchange.Request.Body), "<req n=") {
			t.Errorf("format-1 exchange %d: request body %q", r.Seq, r.Exchange.Request.Body)
		}
		n++
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("read %d records: %v", n, err)
	}
	// Tampering with the old archive is still caught.
	b, _ := os.ReadFile(as[0].Path)
	i := bytes.Index(b, []byte("linkinginfo"))
	tampered := filepath.Join(t.TempDir(), as[0].Name)
	b[i-200] ^= 1
	os.WriteFile(tampered, b, 0o600)
	if rep, _ := verify.New(verify.Options{}).Paths([]string{tampered}, verify.ChainOptions{First: true}); rep == nil || rep.Valid() {
		t.Error("a changed byte in a format-1 archive went unnoticed")
	}
}
