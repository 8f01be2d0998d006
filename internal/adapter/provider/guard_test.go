package provider_test

import (
	"crypto/sha256"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

func TestGuardAdmitsOnlyTheSecurityServer(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("provider")) })
	core, logs := observer.New(zap.WarnLevel)

	// Address allow-list.
	allow, err := provider.ParseAllowFrom([]string{"10.1.2.3", "192.168.0.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	g := provider.Guard(ok, provider.GuardOptions{AllowFrom: allow, Logger: zap.New(core)})
	for addr, want := range map[string]int{"10.1.2.3:5000": 200, "192.168.0.77:1": 200, "[::ffff:10.1.2.3]:9": 200, "10.1.2.4:5000": 403, "[::1]:80": 403} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("%s: %d, want %d", addr, w.Code, want)
		}
	}
	if n := logs.FilterMessageSnippet("refused").Len(); n != 2 {
		t.Errorf("%d refusal log lines, want 2", n)
	}
	if _, err := provider.ParseAllowFrom([]string{"not-an-ip"}); err == nil {
		t.Error("a bad allowFrom entry was accepted")
	}

	// Pinned client certificate over real TLS.
	files, err := xroadtest.WriteTLSFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pins, err := provider.PinCertFile(files.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(provider.Guard(ok, provider.GuardOptions{PinnedCerts: pins, Logger: zap.New(core)}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	defer srv.Close()
	call := func(cert *tls.Certificate) int {
		tc := &tls.Config{InsecureSkipVerify: true} // the test server's own certificate
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		resp, err := c.Post(srv.URL, "text/xml", strings.NewReader("<x/>"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ssCert := xroadtest.ClientCertificate()
	if got := call(&ssCert); got != 200 {
		t.Errorf("pinned certificate: %d", got)
	}
	if got := call(nil); got != 403 {
		t.Errorf("no certificate: %d", got)
	}
	other := srv.TLS.Certificates[0] // any certificate but the pinned one
	if got := call(&other); got != 403 {
		t.Errorf("other certificate: %d", got)
	}
	if sha256.Size != len(pins[0]) || len(pins) != 1 {
		t.Errorf("pins %d", len(pins))
	}
	if _, err := provider.PinCertFile(filepath.Join(t.TempDir(), "missing.pem")); err == nil {
		t.Error("a missing pinned certificate file was accepted")
	}
}
