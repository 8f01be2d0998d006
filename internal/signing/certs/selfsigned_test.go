package certs

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
)

func TestCreateSelfSigned(t *testing.T) {
	key := certstest.Key(t)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	der, err := CreateSelfSigned(SelfSignedRequest{Subject: Subject{Organization: "Zakupki", MemberCode: "70000041"}, Signer: key, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil || c.Issuer.String() != c.Subject.String() {
		t.Fatalf("not self-signed: %v", err)
	}
	if err := Match(c, key.Public()); err != nil {
		t.Fatal(err)
	}
	if len(c.Subject.OrganizationalUnit) != 1 || c.Subject.OrganizationalUnit[0] != SelfSignedOU || c.Subject.CommonName != "70000041" {
		t.Fatalf("subject %v: want the member code and the not-for-production mark", c.Subject)
	}
	if c.KeyUsage&x509.KeyUsageContentCommitment == 0 {
		t.Fatal("no non-repudiation key usage")
	}
	if got := c.NotAfter.Sub(now); got != DefaultSelfSignedValidity {
		t.Fatalf("validity %v", got)
	}
	_, err = CreateSelfSigned(SelfSignedRequest{Subject: Subject{Organization: "Zakupki", MemberCode: "123"}, Signer: key})
	var se *SubjectError
	if !errors.As(err, &se) || se.Field != "MemberCode" {
		t.Fatalf("bad member code: %v", err)
	}
}

// NewThrowaway: a key and the self-signed certificate of that very key,
// marked self-signed, valid from now for the validity asked.
func TestNewThrowaway(t *testing.T) {
	key, c, err := NewThrowaway(Subject{Organization: "tunduk demo", MemberCode: "70000099"}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := Match(c, key.Public()); err != nil {
		t.Fatal(err)
	}
	if c.Subject.CommonName != "70000099" || len(c.Subject.OrganizationalUnit) != 1 || c.Subject.OrganizationalUnit[0] != SelfSignedOU {
		t.Errorf("subject %s", c.Subject)
	}
	if left := time.Until(c.NotAfter); left < 23*time.Hour || left > 24*time.Hour || time.Now().Before(c.NotBefore) {
		t.Errorf("valid %s to %s", c.NotBefore, c.NotAfter)
	}
	if _, _, err := NewThrowaway(Subject{Organization: "x", MemberCode: "1"}, time.Hour); err == nil {
		t.Error("an invalid member code was accepted")
	}
}
