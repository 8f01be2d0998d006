package tsa_test

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/digitorus/timestamp"

	"github.com/tunduk-kg/tunduk/signing/tsa"
	"github.com/tunduk-kg/tunduk/signing/tsa/tsatest"
)

// FuzzVerifyResponse: hostile replies never panic and never verify unless
// they are the genuine reply.
func FuzzVerifyResponse(f *testing.F) {
	srv := tsatest.NewServer()
	srv.Close() // only its certificate and Respond are used
	digest := sha256.Sum256([]byte("seed"))
	req, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:], Certificates: true}).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	genuine, err := srv.Respond(req)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x02})
	opts := tsa.VerifyOptions{Digest: digest[:], Certificates: []*x509.Certificate{srv.Certificate}}
	f.Fuzz(func(t *testing.T, resp []byte) {
		_, err := tsa.VerifyResponse(resp, opts)
		if err == nil && string(resp) != string(genuine) {
			// A different encoding of the same signed content would be
			// fine; anything else verifying is a bug.
			tok, _ := tsa.ResponseToken(resp)
			gtok, _ := tsa.ResponseToken(genuine)
			if string(tok) != string(gtok) {
				t.Fatalf("a modified reply verified")
			}
		}
	})
}
