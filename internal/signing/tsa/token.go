package tsa

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"sync"

	"github.com/digitorus/pkcs7"
)

// ParsedToken is a TimeStampToken decoded but not yet trusted: the CMS
// SignedData with its one signer, the TSTInfo it signs and the
// certificates it embeds. ParseToken is the only place tunduk decodes
// RFC 3161 tokens; Verify (the client's reply path) and the message-log
// verifier (internal/signing/msglog/seal) build their trust rules on it.
type ParsedToken struct {
	// DER is the token as given.
	DER []byte
	// Info is the decoded TSTInfo.
	Info TSTInfo
	// Embedded are the certificates the token carries: chain material,
	// never trust anchors.
	Embedded []*x509.Certificate

	p7 *pkcs7.PKCS7
}

// TSTInfo is what a token says it stamps (RFC 3161 §2.4.2).
type TSTInfo = parsedInfo

// pkcs7Mu serializes the CMS decoder, whose BER parser writes a package
// global (a data race under concurrent parsing).
var pkcs7Mu sync.Mutex

// ParseToken decodes a DER TimeStampToken: CMS SignedData with exactly
// one signer over a version 1 TSTInfo with a known imprint algorithm.
// It is safe on hostile input: the CMS decoder panics on some malformed
// tokens (an index out of range on a 17-byte token), which ParseToken
// turns into a *VerifyError with CodeMalformed, so a crafted TSA reply or
// timestamp.tst cannot stop the service. Nothing is trusted yet: see
// SignedBy and VerifySignature.
func ParseToken(der []byte) (*ParsedToken, error) {
	p7, err := parseCMS(der)
	if err != nil {
		return nil, verr(CodeMalformed, err, "TimeStampToken is not CMS SignedData")
	}
	if len(p7.Signers) != 1 {
		return nil, verr(CodeMalformed, nil, "token has %d signers, want 1", len(p7.Signers))
	}
	info, err := parseTSTInfo(p7.Content)
	if err != nil {
		return nil, verr(CodeMalformed, err, "TSTInfo")
	}
	return &ParsedToken{DER: der, Info: *info, Embedded: p7.Certificates, p7: p7}, nil
}

func parseCMS(der []byte) (p7 *pkcs7.PKCS7, err error) {
	pkcs7Mu.Lock()
	defer pkcs7Mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("malformed CMS structure (decoder panic: %v)", r)
		}
	}()
	return pkcs7.Parse(der)
}

// SignedBy reports whether c is the certificate the signer names (by
// issuer and serial number).
func (t *ParsedToken) SignedBy(c *x509.Certificate) bool {
	ias := t.p7.Signers[0].IssuerAndSerialNumber
	return c.SerialNumber != nil && ias.SerialNumber != nil && c.SerialNumber.Cmp(ias.SerialNumber) == 0 &&
		bytes.Equal(c.RawIssuer, ias.IssuerName.FullBytes)
}

// Signer returns the first of candidates that SignedBy accepts, or nil.
func (t *ParsedToken) Signer(candidates []*x509.Certificate) *x509.Certificate {
	for _, c := range candidates {
		if t.SignedBy(c) {
			return c
		}
	}
	return nil
}

// VerifySignature checks the token's CMS signature with c as the
// signer's certificate. A decoder panic on hostile input is a
// CodeSignatureInvalid error, never a crash.
func (t *ParsedToken) VerifySignature(c *x509.Certificate) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = verr(CodeSignatureInvalid, fmt.Errorf("%v", r), "malformed signature")
		}
	}()
	if !t.SignedBy(c) {
		return verr(CodeCertificateNotFound, nil, "the token is not signed by %s", c.Subject)
	}
	p7 := *t.p7
	p7.Certificates = []*x509.Certificate{c}
	if err := p7.Verify(); err != nil {
		return verr(CodeSignatureInvalid, err, "signature by %s", c.Subject)
	}
	return nil
}
