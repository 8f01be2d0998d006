package config

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/ocsp"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
)

// ocspCA is a CA, a signing certificate it issued and an OCSP responder
// (RFC 6960 over HTTP POST) answering for it with status.
type ocspCA struct {
	*certstest.CA
	leaf    *x509.Certificate
	leafKey crypto.Signer
	caPEM   string
	url     string
	status  atomic.Int32
	asked   atomic.Int32
}

func newOCSPCA(t *testing.T) *ocspCA {
	t.Helper()
	p := &ocspCA{CA: certstest.NewCA(t, "mlog CA")}
	leafKey := certstest.Key(t)
	p.leaf = p.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "70000001", Organization: []string{"GOV"}},
		KeyUsage: x509.KeyUsageDigitalSignature}, leafKey.Public())
	p.leafKey = leafKey
	p.caPEM = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p.caPEM, certstest.PEM(p.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	p.status.Store(int32(ocsp.Good))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.asked.Add(1)
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tmpl := ocsp.Response{Status: int(p.status.Load()), SerialNumber: req.SerialNumber,
			ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour)}
		if tmpl.Status == ocsp.Revoked {
			tmpl.RevokedAt = time.Now().Add(-time.Hour)
		}
		resp, err := ocsp.CreateResponse(p.Cert, p.Cert, tmpl, p.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// TestMessageLogOCSPFromConfig: messageLog.ocspUrl and ocspIssuer wire
// an OCSP client into the log's options: the signatures of an archived
// batch embed the responder's good response for the signing certificate
// (what X-Road's asicverifier checks), fetched once and reused; a revoked
// certificate makes sealing fail (closed) instead of signing without it.
func TestMessageLogOCSPFromConfig(t *testing.T) {
	p := newOCSPCA(t)
	dir := t.TempDir()
	cfg, err := Parse("m.yaml", []byte("messageLog:\n  dir: "+filepath.Join(dir, "log")+"\n  archiveDir: "+filepath.Join(dir, "archive")+
		"\n  ocspUrl: "+p.url+"\n  ocspIssuer: "+p.caPEM+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := cfg.MessageLog.LogOptions(p.leafKey, p.leaf, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if o.OCSP == nil {
		t.Fatal("ocspUrl set but no OCSP client in the log options")
	}
	o.BatchInterval = 10 * time.Millisecond
	l, err := msglog.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := l.Append(ctx, &msglog.Record{Type: msglog.TypeExchange, Member: "central-server/GOV/70000001/portal",
			Exchange: &msglog.Exchange{Protocol: "soap", MessageID: "m", Request: msglog.Message{Body: []byte("<Envelope/>")}}}); err != nil {
			t.Fatal(err)
		}
		if err := l.Seal(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	archives, err := msglog.ListArchives(o.ArchiveDir)
	if err != nil || len(archives) != 1 {
		t.Fatalf("archives %v, %v", archives, err)
	}
	data, err := os.ReadFile(archives[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := asic.OpenArchive(bytes.NewReader(data), int64(len(data)), asic.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Containers {
		c := readContainer(t, a, f)
		sig, err := seal.Parse(c.Signature)
		if err != nil {
			t.Fatal(err)
		}
		if len(sig.OCSP) != 1 {
			t.Fatalf("%s: %d OCSP responses embedded, want 1", f.Name, len(sig.OCSP))
		}
		if _, err := seal.CheckOCSP(sig.OCSP[0], p.leaf, p.Cert, sig.SigningTime); err != nil {
			t.Errorf("%s: embedded OCSP response: %v", f.Name, err)
		}
	}
	if n := p.asked.Load(); n != 1 {
		t.Errorf("responder asked %d times for 3 batches, want once (the response is reused until near its nextUpdate)", n)
	}

	// Revoked: no signature without a good response.
	p.status.Store(int32(ocsp.Revoked))
	o2, err := cfg.MessageLog.LogOptions(p.leafKey, p.leaf, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o2.OCSP(p.leaf); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked certificate: OCSP = %v, want a revocation error", err)
	}
}

// TestMessageLogOCSPIssuerMustIssue: an ocspIssuer that did not issue the
// signing certificate is refused when the log's options are made.
func TestMessageLogOCSPIssuerMustIssue(t *testing.T) {
	p, other := newOCSPCA(t), newOCSPCA(t)
	m := DefaultMessageLog()
	m.OCSPURL, m.OCSPIssuer = p.url, other.caPEM
	if _, err := m.LogOptions(p.leafKey, p.leaf, zap.NewNop()); err == nil || !strings.Contains(err.Error(), "did not issue") {
		t.Fatalf("LogOptions = %v, want an ocspIssuer error", err)
	}
}

func readContainer(t *testing.T, a *asic.Archive, f *zip.File) *asic.Container {
	t.Helper()
	b, err := a.ReadContainer(f)
	if err != nil {
		t.Fatal(err)
	}
	c, err := asic.Read(b, asic.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
