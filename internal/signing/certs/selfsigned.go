package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"
)

// SelfSignedOU marks every self-signed certificate in its subject, so no
// one mistakes one for the Tunduk CA's.
const SelfSignedOU = "SELF-SIGNED TRIAL CERTIFICATE - NOT FOR PRODUCTION"

// DefaultSelfSignedValidity is how long a trial certificate lasts.
const DefaultSelfSignedValidity = 90 * 24 * time.Hour

// SelfSignedRequest asks for a self-signed certificate for a key, to try
// tunduk before the Tunduk CA has issued the real one. Security servers
// and auditors do not trust it; tunduk keys import-cert replaces it.
type SelfSignedRequest struct {
	Subject  Subject
	Signer   crypto.Signer
	Validity time.Duration // DefaultSelfSignedValidity when zero
	Now      time.Time     // time.Now() when zero
}

// CreateSelfSigned returns the DER certificate: the member's subject plus
// OU=SelfSignedOU, the non-repudiation key usage X-Road requires of sign
// certificates (as CreateCSR asks for), signed by the key itself.
func CreateSelfSigned(req SelfSignedRequest) ([]byte, error) {
	if req.Signer == nil {
		return nil, errors.New("certs: CreateSelfSigned needs a signer")
	}
	name, err := req.Subject.Name()
	if err != nil {
		return nil, err
	}
	name.OrganizationalUnit = []string{SelfSignedOU}
	alg, err := signatureAlgorithm(req.Signer.Public())
	if err != nil {
		return nil, err
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	validity := req.Validity
	if validity <= 0 {
		validity = DefaultSelfSignedValidity
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certs: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageContentCommitment | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    alg,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, req.Signer.Public(), req.Signer)
	if err != nil {
		return nil, fmt.Errorf("certs: self-signing: %w", err)
	}
	return der, nil
}

// WriteNewPEM writes a DER certificate as PEM to a new file (mode 0644: a
// certificate is public), refusing to replace an existing one.
func WriteNewPEM(path string, der []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("certs: %w (an existing certificate is never overwritten)", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
		f.Close()
		return fmt.Errorf("certs: %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("certs: %s: %w", path, err)
	}
	return f.Close()
}

// NewThrowaway makes a fresh P-256 key and its self-signed certificate
// (see CreateSelfSigned) valid for validity, for what must sign without a
// real key or a CA: tunduk demo, and tests and benchmarks that run the
// signed message log.
func NewThrowaway(subject Subject, validity time.Duration) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %w", err)
	}
	der, err := CreateSelfSigned(SelfSignedRequest{Subject: subject, Signer: key, Validity: validity})
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %w", err)
	}
	return key, cert, nil
}
