package provider_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder/recordertest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

// member is the archive group of the provider's records: providerID's member.
const member = "central-server/GOV/70000099"

// TestMultipartExchangeArchivedExactly is issue 12.1's multipart case end to end. A
// SOAP-with-attachments request (MIME preamble, epilogue, binary attachment) goes through the
// emulated security server to the provider, whose legacy SOAP backend answers multipart; the
// exchange is signed into the message log, sealed and rotated. `archive verify --checkpoint`
// then recomputes the record's leaf from the archive (bodies rebuilt from X-Road's form and the
// kept framing match the record's digests) and the reader returns both bodies exactly as the
// provider received and sent them. A flipped byte in the framing is Checkpoint.Framing; an
// archive without it (format 2) falls back to the multipart writer and says so (Checkpoint.Leaf).
func TestMultipartExchangeArchivedExactly(t *testing.T) {
	pdf := bytes.Repeat([]byte("%PDF-1.7 \x00\r\n--MIMEbx \xff справка "), 300)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", `multipart/related; type="text/xml"; boundary=MIMEb`)
		_, _ = io.WriteString(w, "--MIMEb\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n"+
			`<e:Envelope xmlns:e="`+env11+`"><e:Body><getCertificateResponse xmlns="urn:b"><doc href="cid:cert1"/></getCertificateResponse></e:Body></e:Envelope>`+
			"\r\n--MIMEb\r\nContent-Type: application/pdf\r\nContent-ID: <cert1>\r\n\r\n"+string(pdf)+"\r\n--MIMEb--\r\n")
	}))
	defer be.Close()

	dir := t.TempDir()
	var ev *evidence.Log
	var cert *x509.Certificate
	l, err := recordertest.OpenLog(dir, func(o *msglog.Options) {
		o.GroupBy, cert = msglog.GroupMember, o.Certificate
		var err error
		if ev, err = evidence.Open(evidence.Options{Dir: filepath.Join(dir, "evidence"), Origin: "tunduk.test/mlog", Signer: o.Signer, Certificate: o.Certificate}); err != nil {
			t.Fatal(err)
		}
		o.Evidence = ev
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	defer l.Close()

	prov, _ := soap.ParseClientID(providerID)
	h, err := provider.New(provider.Options{Provider: prov, Recorder: &recorder.Recorder{Log: l, Member: providerID, Direction: "provider"},
		Services: []provider.Service{{Code: "getCertificate", Version: "v1", Backend: be.URL, SOAPBackend: true, Timeout: 5 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var received, answer []byte // the request body as the provider got it, its answer
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	id, _ := soap.ParseServiceID(providerID + "/getCertificate/v1")
	ss.Handle(id, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		mu.Lock()
		received, answer = b, rec.Body.Bytes()
		mu.Unlock()
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))

	c, _ := soap.ParseClientID(consumerID)
	req, err := soap.NewRequest(soap.Request{Client: c, Service: id, BodyNamespace: "urn:b", Body: []byte(`<scan href="cid:in1"/>`),
		Attachments: []soap.AttachmentData{{ContentID: "in1", ContentType: "image/png", Data: pdf}}})
	if err != nil {
		t.Fatal(err)
	}
	sent := append([]byte("MIME preamble, ignored\r\n"), req.Bytes()...)
	sent = append(sent, "epilogue\r\n"...)
	resp, err := ss.Client().Post(ss.URL, req.ContentType(), bytes.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/related") {
		t.Fatalf("answer %d %s: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), got)
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev.Flush()
	as, err := msglog.ListArchives(filepath.Join(dir, "archive"))
	if err != nil || len(as) != 1 || as[0].Group != strings.ReplaceAll(member, "/", "_") {
		t.Fatalf("archives %v %v, want one in group %s", as, err, member)
	}
	path, group := as[0].Path, filepath.Dir(as[0].Path)
	cp := ev.Checkpoint(member)
	check := func() *verify.Report {
		t.Helper()
		rep, err := verify.New(verify.Options{}).Paths([]string{group}, verify.ChainOptions{First: true, CheckpointKey: cert.PublicKey,
			Checkpoints: []verify.HeldCheckpoint{{File: "held", Signed: cp}}})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := check(); !rep.Valid() || len(rep.Checkpoints) != 1 || !rep.Checkpoints[0].Valid || rep.Checkpoints[0].ArchiveSize != 1 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("archive verify --checkpoint: %+v\n%s", rep.Checkpoints, b.String())
	}
	readBack := func() *msglog.Record {
		t.Helper()
		var rec *msglog.Record
		if err := msglog.ReadArchive(path, nil, func(_ string, _ []byte, r *msglog.Record) error { rec = r; return nil }); err != nil || rec == nil || rec.Exchange == nil {
			t.Fatalf("read back: %v %+v", err, rec)
		}
		return rec
	}
	rec := readBack()
	mu.Lock()
	want, answered := received, answer
	mu.Unlock()
	if !bytes.Equal(rec.Exchange.Request.Body, want) || !bytes.HasPrefix(want, []byte("MIME preamble")) {
		t.Errorf("request read back (%d bytes) is not the body the provider received (%d bytes)", len(rec.Exchange.Request.Body), len(want))
	}
	if !bytes.Equal(rec.Exchange.Response.Body, answered) || !bytes.Contains(answered, pdf) {
		t.Errorf("response read back (%d bytes) is not the answer the provider sent (%d bytes)", len(rec.Exchange.Response.Body), len(answered))
	}

	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// One base64 character of the request's framing changed.
	flip := func(ex []byte) []byte {
		i := bytes.Index(ex, []byte("<?tunduk-multipart v1 ")) + len("<?tunduk-multipart v1 ") + 2
		out := bytes.Clone(ex)
		out[i] = map[bool]byte{true: 'B', false: 'A'}[out[i] == 'A']
		return out
	}
	// The framing removed, as a format-2 archive holds the message.
	strip := func(ex []byte) []byte {
		return []byte(strings.Replace(string(ex[:bytes.Index(ex, []byte("\n<?tunduk-multipart"))]), `format="3"`, `format="2"`, 1))
	}
	for _, c := range []struct {
		name, code, say string
		edit            func([]byte) []byte
	}{
		{"flipped framing byte", verify.CodeFraming, "multipart framing", flip},
		{"no framing (format 2)", verify.CodeLeaf, "container format before 3", strip},
	} {
		if err := os.WriteFile(path, rewriteEntry(t, orig, "-request.asice", func(ctr []byte) []byte {
			return rewriteEntry(t, ctr, asic.EntryExchange, c.edit)
		}), 0o600); err != nil {
			t.Fatal(err)
		}
		rep := check()
		if rep.Valid() || len(rep.Checkpoints) != 1 || rep.Checkpoints[0].Code != c.code || !strings.Contains(rep.Checkpoints[0].Message, c.say) {
			t.Errorf("%s: checkpoint report %+v, want %s saying %q", c.name, rep.Checkpoints, c.code, c.say)
		}
		if got := readBack().Exchange.Request.Body; bytes.Equal(got, want) {
			t.Errorf("%s: the reader still returns the body as received", c.name)
		}
	}
}

// rewriteEntry returns zip bytes with the entry whose name ends in suffix
// replaced by edit(its bytes), every other entry and the comment kept.
func rewriteEntry(t *testing.T, data []byte, suffix string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, suffix) {
			b = edit(b)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: f.Method, Modified: f.Modified})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(b)
	}
	if err := zw.SetComment(zr.Comment); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
