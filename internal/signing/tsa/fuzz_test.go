package tsa_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"io"
	"net/http"
	"testing"

	"github.com/digitorus/timestamp"

	"github.com/tunduk-kg/tunduk/internal/signing/tsa"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa/tsatest"
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

// roundTripper answers every request with reply(request body).
type roundTripper func(req []byte) []byte

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Request: r,
		Header: http.Header{"Content-Type": {"application/timestamp-reply"}},
		Body:   io.NopCloser(bytes.NewReader(f(body)))}, nil
}

// grantedResponse wraps a token in a granted TimeStampResp.
func grantedResponse(token []byte) []byte {
	b, err := asn1.Marshal(struct {
		Status struct{ Status int }
		Token  asn1.RawValue
	}{Token: asn1.RawValue{FullBytes: token}})
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzClientReply drives the client's whole reply path (HTTP body →
// TimeStampResp → token → CMS → TSTInfo → signature, nonce and imprint
// checks), as the message log's sealing goroutine does with a live TSA:
// a hostile or broken TSA reply must give an error, never a panic, and
// whatever verifies must assert exactly what the TSA signed for this very
// request (its random nonce included). With raw set, the reply is the
// fuzz input itself; otherwise the input overwrites the genuine reply at
// offset, so mutations land inside a well-formed structure.
func FuzzClientReply(f *testing.F) {
	srv := tsatest.NewServer()
	srv.Close()
	// The 17-byte token that crashed the CMS decoder (found by seal's
	// FuzzVerifyToken), inside a granted reply.
	crasher := []byte("0\x80\x06\t*\x86H\x86\xf7\r\x01\a\x02\xa0\x80\x04\x81")
	f.Add(grantedResponse(crasher), uint16(0), true)
	f.Add([]byte{}, uint16(0), false)
	f.Add([]byte{0xff}, uint16(40), false)
	f.Add([]byte{0x00, 0x00}, uint16(200), false)
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x02}, uint16(0), true)
	f.Fuzz(func(t *testing.T, patch []byte, offset uint16, raw bool) {
		var genuine []byte
		c, err := tsa.New(tsa.Options{URL: "http://tsa.invalid/", Hash: crypto.SHA256,
			Certificates: []*x509.Certificate{srv.Certificate},
			HTTPClient: &http.Client{Transport: roundTripper(func(req []byte) []byte {
				g, err := srv.Respond(req)
				if err != nil {
					t.Fatalf("tsatest: %v", err)
				}
				genuine = g
				if raw {
					return patch
				}
				out := bytes.Clone(g)
				if len(out) > 0 {
					copy(out[int(offset)%len(out):], patch)
				}
				return out
			})}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.TimestampData(context.Background(), []byte("batch"))
		if err != nil {
			return
		}
		// Unsigned parts of the CMS structure (the digestAlgorithms set,
		// the embedded certificates) may differ; what the token asserts
		// must be exactly what the TSA signed.
		gtok, err := tsa.ResponseToken(genuine)
		if err != nil {
			t.Fatal(err)
		}
		g, err := tsa.ParseToken(gtok)
		if err != nil {
			t.Fatal(err)
		}
		if !tok.Time.Equal(g.Info.Time) || tok.SerialNumber.Cmp(g.Info.SerialNumber) != 0 ||
			!bytes.Equal(tok.HashedMessage, g.Info.HashedMessage) || tok.Nonce.Cmp(g.Info.Nonce) != 0 ||
			!tok.Signer.Equal(srv.Certificate) {
			t.Fatalf("a modified reply verified with other content: %+v", tok)
		}
	})
}
