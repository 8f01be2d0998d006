package install_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/install"
	"github.com/tunduk-kg/tunduk/signing/kms"
	_ "github.com/tunduk-kg/tunduk/signing/kms/softkms"
)

// issue writes a certificate for pub, signed by a throwaway CA, followed
// by the CA certificate, and returns the file.
func issue(t *testing.T, dir, name string, pub crypto.PublicKey, notAfter time.Time) string {
	t.Helper()
	ca := certstest.NewCA(t, "Test CA")
	c := ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "70000001", Country: []string{"KG"}},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageContentCommitment}, pub)
	p := filepath.Join(dir, name)
	// The CA first: install must pick the key's certificate out of a chain.
	if err := os.WriteFile(p, certstest.PEM(ca.Cert, c), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCertificate(t *testing.T) {
	dir := t.TempDir()
	keyURI := "file:" + filepath.Join(dir, "mlog.pem")
	km, err := kms.New(context.Background(), kms.Options{URI: keyURI})
	if err != nil {
		t.Fatal(err)
	}
	defer km.Close()
	resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: keyURI, Algorithm: kms.DefaultAlgorithm})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := issue(t, dir, "good.pem", resp.PublicKey, now.Add(30*24*time.Hour))
	out := filepath.Join(dir, "mlog.crt")

	res, err := install.Certificate(install.Request{CertFile: good, KeyManager: km, KeyURI: keyURI, Out: out, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.File != out || res.OnToken || res.Status.Subject == "" {
		t.Errorf("result %+v", res)
	}
	data, _ := os.ReadFile(out)
	cs, err := certs.ParseCertificates(data)
	if err != nil || len(cs) != 2 || certs.Match(cs[0], resp.PublicKey) != nil {
		t.Fatalf("installed file: %d certificates, leaf first for the key: %v", len(cs), err)
	}

	other := certstest.Key(t)
	expired := issue(t, dir, "expired.pem", resp.PublicKey, now.Add(-time.Hour))
	notPEM := filepath.Join(dir, "junk.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for name, file := range map[string]string{
		"another key's": issue(t, dir, "other.pem", other.Public(), now.Add(time.Hour)),
		"expired":       expired,
		"unparseable":   notPEM,
	} {
		_, err := install.Certificate(install.Request{CertFile: file, KeyManager: km, KeyURI: keyURI, Out: filepath.Join(dir, "x.crt"), Now: now})
		var ie *install.InvalidError
		if !errors.As(err, &ie) || ie.File != file {
			t.Errorf("%s certificate: %v, want an InvalidError naming the file", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.crt")); err == nil {
		t.Error("an invalid certificate was installed")
	}
	if _, err := install.Certificate(install.Request{CertFile: good, KeyManager: km, KeyURI: keyURI, Now: now}); !errors.Is(err, install.ErrNoDestination) {
		t.Errorf("no destination for a file key: %v", err)
	}
}
