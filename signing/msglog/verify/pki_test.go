package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// testPKI is a CA with a signing certificate and a TSA, made fresh.
type testPKI struct {
	ca      *x509.Certificate
	signer  crypto.Signer
	cert    *x509.Certificate
	tsaKey  crypto.Signer
	tsaCert *x509.Certificate
	now     time.Time
}

func newPKI(t testing.TB, rsaSigner bool) *testPKI {
	t.Helper()
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mk := func(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, key crypto.Signer) *x509.Certificate {
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	ca := mk(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test KG CA", Country: []string{"KG"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, caKey.Public(), nil, caKey)
	var sk crypto.Signer
	if rsaSigner {
		sk, _ = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		sk, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	cert := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "12345678901234", Organization: []string{"Test member"}, Country: []string{"KG"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageContentCommitment}, sk.Public(), ca, caKey)
	tk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tsa := mk(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "Test TSA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}, tk.Public(), ca, caKey)
	return &testPKI{ca: ca, signer: sk, cert: cert, tsaKey: tk, tsaCert: tsa, now: now}
}

// stamp is an in-process RFC 3161 TSA (digitorus/timestamp).
func (p *testPKI) stamp(_ context.Context, data []byte) ([]byte, error) {
	d := sha512.Sum512(data)
	ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA512, HashedMessage: d[:], Time: time.Now(),
		Policy: asn1.ObjectIdentifier{1, 2, 3, 4, 1}, SerialNumber: big.NewInt(time.Now().UnixNano()), AddTSACertificate: true}
	resp, err := ts.CreateResponseWithOpts(p.tsaCert, p.tsaKey, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	parsed, err := timestamp.ParseResponse(resp)
	if err != nil {
		return nil, err
	}
	return parsed.RawToken, nil
}

func (p *testPKI) trust() *verify.Trust {
	roots := x509.NewCertPool()
	roots.AddCert(p.ca)
	return &verify.Trust{Roots: roots, Inter: x509.NewCertPool(), TSAs: []*x509.Certificate{p.tsaCert}, CAs: 1}
}
