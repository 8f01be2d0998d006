package tsa_test

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/tsa"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// tspCert reads tsp/tsp.pem: bare base64 DER without PEM armour.
func tspCert(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "tsp.pem"))
	if err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestXRoadCorpus checks tsp/EXPECTATIONS.md: the valid samples verify
// against tsp.pem, the broken signature and the modified stamped data fail
// with X-Road's codes, and a wrong certificate is "not found".
func TestXRoadCorpus(t *testing.T) {
	dir := corpus.Dir(t, "tsp")
	cert := tspCert(t, dir)
	if cert.Subject.CommonName != "timestamp1" || cert.SerialNumber.Cmp(big.NewInt(8062656328010500566)) != 0 {
		t.Fatalf("tsp.pem is %s serial %v", cert.Subject, cert.SerialNumber)
	}
	trusted := []*x509.Certificate{cert}
	data := read(t, filepath.Join(dir, "timestamps", "stamped-data"))

	t.Run("tsp.response", func(t *testing.T) {
		digest, _ := hex.DecodeString("71d585c94001734cffc71d02209cda8982399339f668d2772917ed09007921cf")
		tok, err := tsa.VerifyResponse(read(t, filepath.Join(dir, "tsp.response")), tsa.VerifyOptions{Digest: digest, Hash: crypto.SHA256, Certificates: trusted})
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2014, 5, 6, 8, 28, 49, 0, time.UTC); !tok.Time.Equal(want) {
			t.Errorf("genTime %v, want %v", tok.Time, want)
		}
		if tok.Nonce.Cmp(big.NewInt(0x075BCD15)) != 0 || tok.SerialNumber.Text(16) != "6c134551e07fe8fa" || tok.Policy.String() != "1.2.3" {
			t.Errorf("nonce %v serial %x policy %v", tok.Nonce, tok.SerialNumber, tok.Policy)
		}
		digest[0] ^= 1
		_, err = tsa.VerifyResponse(read(t, filepath.Join(dir, "tsp.response")), tsa.VerifyOptions{Digest: digest, Certificates: trusted})
		if !errors.Is(err, &tsa.VerifyError{Code: tsa.CodeHashMismatch}) {
			t.Errorf("other digest: %v", err)
		}
	})
	t.Run("valid", func(t *testing.T) {
		tok, err := tsa.Verify(read(t, filepath.Join(dir, "timestamps", "valid")), tsa.VerifyOptions{Data: data, Certificates: trusted})
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2012, 11, 29, 13, 10, 4, 0, time.UTC); !tok.Time.Equal(want) || tok.HashAlgorithm != crypto.SHA256 {
			t.Errorf("genTime %v hash %v", tok.Time, tok.HashAlgorithm)
		}
	})
	t.Run("hashMismatch", func(t *testing.T) {
		mod := append([]byte(nil), data...)
		mod[42] ^= 0x20
		_, err := tsa.Verify(read(t, filepath.Join(dir, "timestamps", "valid")), tsa.VerifyOptions{Data: mod, Certificates: trusted})
		var ve *tsa.VerifyError
		if !errors.As(err, &ve) || ve.Code != tsa.CodeHashMismatch || ve.Code.XRoadCode() != "malformed_signature" {
			t.Errorf("modified stamped-data: %v", err)
		}
	})
	t.Run("invalidSignature", func(t *testing.T) {
		_, err := tsa.Verify(read(t, filepath.Join(dir, "timestamps", "invalid-signature")), tsa.VerifyOptions{Data: data, Certificates: trusted})
		var ve *tsa.VerifyError
		if !errors.As(err, &ve) || ve.Code != tsa.CodeSignatureInvalid || ve.Code.XRoadCode() != "mlog.timestamp_signer_verification_failed" {
			t.Errorf("invalid-signature: %v", err)
		}
	})
	t.Run("wrongCertificate", func(t *testing.T) {
		other := tsatestCert(t)
		_, err := tsa.Verify(read(t, filepath.Join(dir, "timestamps", "valid")), tsa.VerifyOptions{Data: data, Certificates: []*x509.Certificate{other}})
		var ve *tsa.VerifyError
		if !errors.As(err, &ve) || ve.Code != tsa.CodeCertificateNotFound || ve.Code.XRoadCode() != "mlog.tsp_certificate_not_found" {
			t.Errorf("wrong certificate: %v", err)
		}
	})
}
