package tsa_test

import (
	"crypto"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/digitorus/timestamp"

	"github.com/tunduk-kg/tunduk/internal/signing/tsa"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa/tsatest"
)

func TestParseTokenSurvivesDecoderPanic(t *testing.T) {
	// This token makes the CMS decoder index out of range.
	crasher := []byte("0\x80\x06\t*\x86H\x86\xf7\r\x01\a\x02\xa0\x80\x04\x81")
	_, err := tsa.ParseToken(crasher)
	if !errors.Is(err, &tsa.VerifyError{Code: tsa.CodeMalformed}) {
		t.Fatalf("ParseToken(crasher) = %v, want a malformed-token error", err)
	}
}

func TestParseTokenReadsTSTInfo(t *testing.T) {
	srv := tsatest.NewServer()
	srv.Close()
	digest := sha256.Sum256([]byte("x"))
	req, _ := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:], Certificates: true}).Marshal()
	resp, err := srv.Respond(req)
	if err != nil {
		t.Fatal(err)
	}
	der, err := tsa.ResponseToken(resp)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := tsa.ParseToken(der)
	if err != nil {
		t.Fatal(err)
	}
	if pt.Info.HashAlgorithm != crypto.SHA256 || string(pt.Info.HashedMessage) != string(digest[:]) || pt.Info.Time.IsZero() {
		t.Errorf("TSTInfo = %+v", pt.Info)
	}
	if pt.Signer(pt.Embedded) == nil || !pt.SignedBy(srv.Certificate) {
		t.Error("the TSA certificate is not recognised as the signer")
	}
	if err := pt.VerifySignature(srv.Certificate); err != nil {
		t.Errorf("VerifySignature = %v", err)
	}
	if err := pt.VerifySignature(srv.CA); !errors.Is(err, &tsa.VerifyError{Code: tsa.CodeCertificateNotFound}) {
		t.Errorf("VerifySignature(CA) = %v, want not the signer", err)
	}
}
