package gateway_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// An in-flight check finishes and is delivered after shutdown starts; new
// connections are refused; /readyz turns 503.
func TestGracefulShutdownFinishesInFlightChecks(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Delay: 400 * time.Millisecond})
	ready := &observe.Readiness{Probe: func(context.Context) error { return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- gateway.Serve(ctx, gateway.ServerOptions{Handler: s.api.Config.Handler, Listen: "127.0.0.1:0", Ready: ready,
			Ops: http.HandlerFunc(ready.ServeHTTP), OpsListen: "127.0.0.1:0",
			OnListening: func(api, ops net.Addr) { addr <- api; addr <- ops }})
	}()
	api, ops := <-addr, <-addr
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+api.String()+"/v1/suppliers/01503201010234/tax-debt", nil)
		req.Header.Set("Authorization", "Bearer "+portalKey)
		req.Header.Set("X-User-Id", officer)
		resp, err := validated(t, "http://"+api.String()).Do(req)
		if err != nil {
			got <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	for s.ss.Received(fixtures.TaxDebtService) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-got; code != 200 {
		t.Fatalf("in-flight check answered %d during shutdown, want 200", code)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if _, err := http.Get("http://" + api.String() + "/openapi.json"); err == nil {
		t.Error("still accepting connections after shutdown")
	}
	_ = ops
}

// A caller identified by its TLS client certificate subject.
func TestClientCertificateCaller(t *testing.T) {
	s := newStack(t, stackOptions{})
	ca, caKey := newCA(t)
	serverCert := issue(t, ca, caKey, "localhost", true)
	clientCert := issue(t, ca, caKey, "portal.zakupki.gov.kg", false)
	strangerCA, strangerKey := newCA(t)
	stranger := issue(t, strangerCA, strangerKey, "portal.zakupki.gov.kg", false)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	g, err := gateway.New(gateway.Options{Checker: s.runner, Callers: []gateway.Caller{
		{Name: "portal-mtls", CertSubject: "CN=portal.zakupki.gov.kg,O=State Procurement Department,C=KG", Checks: []string{"founders"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan net.Addr, 2)
	go gateway.Serve(ctx, gateway.ServerOptions{Handler: g, Listen: "127.0.0.1:0",
		TLSConfig:   &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12},
		OnListening: func(api, _ net.Addr) { addr <- api }})
	url := "https://" + (<-addr).String() + "/v1/suppliers/01503201010234/founders"
	call := func(cert *tls.Certificate) int {
		cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		c := validatedTLS(t, strings.TrimSuffix(url, "/v1/suppliers/01503201010234/founders"), &http.Transport{TLSClientConfig: cfg})
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-User-Id", officer)
		resp, err := c.Do(req)
		if err != nil {
			if strings.Contains(err.Error(), "certificate") {
				return 0
			}
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call(&clientCert); got != 200 {
		t.Errorf("known certificate: %d", got)
	}
	if got := call(nil); got != 401 {
		t.Errorf("no certificate: %d", got)
	}
	if got := call(&stranger); got != 0 && got != 401 {
		t.Errorf("certificate from another CA with the same subject: %d", got)
	}
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, server bool) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:   pkix.Name{CommonName: cn, Organization: []string{"State Procurement Department"}, Country: []string{"KG"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage, tmpl.DNSNames = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []string{cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
