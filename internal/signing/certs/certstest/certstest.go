// Package certstest makes keys and certificates for tests: a certificate
// authority, the certificates it issues, self-signed ones, and PEM.
package certstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync/atomic"
	"testing"
	"time"
)

// Key returns a fresh ECDSA P-256 key.
func Key(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// CA is a test certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewCA returns a CA with subject CN=cn, C=KG, valid from an hour ago for
// five years.
func NewCA(t testing.TB, cn string) *CA {
	t.Helper()
	k := Key(t)
	tmpl := &x509.Certificate{Subject: pkix.Name{Country: []string{"KG"}, CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(5, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	return &CA{Cert: create(t, tmpl, nil, k.Public(), k), Key: k}
}

// Issue signs tmpl for pub. A nil SerialNumber gets a fresh one, a zero
// NotBefore or NotAfter an hour before or after now.
func (ca *CA) Issue(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	return create(t, tmpl, ca.Cert, pub, ca.Key)
}

// SelfSigned returns a fresh key and its self-signed certificate of tmpl,
// with Issue's defaults.
func SelfSigned(t testing.TB, tmpl *x509.Certificate) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	k := Key(t)
	return k, create(t, tmpl, nil, k.Public(), k)
}

// Signing returns a fresh key and a self-signed certificate of the kind a
// member's sign key has (C=KG, O=Test, CN=70000001; digital signature and
// non-repudiation), valid from an hour ago for a day: what tests sign the
// message log and its evidence with.
func Signing(t testing.TB) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	return SelfSigned(t, &x509.Certificate{
		Subject:  pkix.Name{Country: []string{"KG"}, Organization: []string{"Test"}, CommonName: "70000001"},
		NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	})
}

// PEM is certs as a PEM chain, in the order given.
func PEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

var serial atomic.Int64

func create(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	c := *tmpl
	if c.SerialNumber == nil {
		c.SerialNumber = big.NewInt(time.Now().UnixNano() + serial.Add(1))
	}
	if c.NotBefore.IsZero() {
		c.NotBefore = time.Now().Add(-time.Hour)
	}
	if c.NotAfter.IsZero() {
		c.NotAfter = time.Now().Add(time.Hour)
	}
	if parent == nil {
		parent = &c
	}
	der, err := x509.CreateCertificate(rand.Reader, &c, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
