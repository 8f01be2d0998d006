package tsa_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/internal/signing/tsa"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa/tsatest"
)

func tsatestCert(t *testing.T) *x509.Certificate {
	s := tsatest.NewServer()
	s.Close()
	return s.Certificate
}

func newClient(t *testing.T, srv *tsatest.Server, o tsa.Options) *tsa.Client {
	t.Helper()
	o.URL = srv.URL
	if o.Certificates == nil && o.Roots == nil {
		o.Certificates = []*x509.Certificate{srv.Certificate}
	}
	c, err := tsa.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func code(err error) tsa.Code {
	var ve *tsa.VerifyError
	if errors.As(err, &ve) {
		return ve.Code
	}
	return ""
}

func TestTimestampRoundTrip(t *testing.T) {
	srv := tsatest.NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		name string
		opts tsa.Options
	}{
		{"pinned certificate sha256", tsa.Options{}},
		{"roots sha512", tsa.Options{Hash: crypto.SHA512, Roots: srv.Roots}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zap.DebugLevel)
			tc.opts.Logger = zap.New(core)
			c := newClient(t, srv, tc.opts)
			data := []byte("sig-hashchain batch 42")
			before := time.Now().Add(-time.Second)
			tok, err := c.TimestampData(t.Context(), data)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Time.Before(before.Truncate(time.Second)) || tok.Time.After(time.Now().Add(time.Second)) {
				t.Errorf("genTime %v is not now", tok.Time)
			}
			if !tok.Signer.Equal(srv.Certificate) || !tok.Policy.Equal(tsatest.DefaultPolicy) || tok.HashAlgorithm != c.Hash() {
				t.Errorf("signer %s policy %v hash %v", tok.Signer.Subject, tok.Policy, tok.HashAlgorithm)
			}
			// The stored token verifies on its own later, against the pinned cert.
			again, err := tsa.Verify(tok.DER, tsa.VerifyOptions{Data: data, Certificates: []*x509.Certificate{srv.Certificate}})
			if err != nil || again.SerialNumber.Cmp(tok.SerialNumber) != 0 {
				t.Fatalf("re-verify stored token: %v", err)
			}
			if _, err := tsa.Verify(tok.DER, tsa.VerifyOptions{Data: append(data, '!'), Certificates: []*x509.Certificate{srv.Certificate}}); code(err) != tsa.CodeHashMismatch {
				t.Errorf("other data: %v", err)
			}
			// Timestamp (the msglog.Timestamper form) returns the DER token.
			der, err := c.Timestamp(t.Context(), data)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tsa.Verify(der, tsa.VerifyOptions{Data: data, Certificates: []*x509.Certificate{srv.Certificate}}); err != nil {
				t.Errorf("Timestamp's DER token: %v", err)
			}
			if logs.FilterMessage("time stamp").Len() != 2 {
				t.Error("stamp not logged")
			}
		})
	}
	if srv.Requests() != 4 {
		t.Errorf("server answered %d requests, want 4", srv.Requests())
	}
}

func TestTimestampFailures(t *testing.T) {
	srv := tsatest.NewServer()
	defer srv.Close()
	digest := sha256.Sum256([]byte("batch"))

	// A byte of the stamped imprint flipped in transit: the CMS message
	// digest no longer matches, so the signature check fails.
	srv.SetTamper(func(resp []byte) []byte {
		i := bytes.Index(resp, digest[:])
		if i < 0 {
			t.Fatal("imprint not found in reply")
		}
		resp[i+3] ^= 0x01
		return resp
	})
	c := newClient(t, srv, tsa.Options{})
	if _, err := c.TimestampDigest(t.Context(), digest[:]); code(err) != tsa.CodeSignatureInvalid {
		t.Errorf("tampered imprint: %v", err)
	}
	// A replayed reply for another request: right signature, wrong nonce.
	srv.SetTamper(nil)
	var first []byte
	srv.SetTamper(func(resp []byte) []byte {
		if first == nil {
			first = resp
		}
		return first
	})
	if _, err := c.TimestampDigest(t.Context(), digest[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TimestampDigest(t.Context(), digest[:]); code(err) != tsa.CodeNonceMismatch {
		t.Errorf("replayed reply: %v", err)
	}
	srv.SetTamper(nil)

	// Truncated reply.
	srv.SetTamper(func(resp []byte) []byte { return resp[:len(resp)/2] })
	if _, err := c.TimestampDigest(t.Context(), digest[:]); code(err) != tsa.CodeMalformed {
		t.Errorf("truncated reply: %v", err)
	}
	srv.SetTamper(nil)

	// Rejection status.
	srv.SetReject(true)
	_, err := c.TimestampDigest(t.Context(), digest[:])
	var se *tsa.StatusError
	if code(err) != tsa.CodeRejected || !errors.As(err, &se) || se.Status != 2 || se.FailInfo != "badRequest" {
		t.Errorf("rejection: %v", err)
	}
	srv.SetReject(false)

	// Signed by a TSA we do not trust.
	other := tsatest.NewServer()
	defer other.Close()
	c2 := newClient(t, other, tsa.Options{Certificates: []*x509.Certificate{srv.Certificate}})
	if _, err := c2.TimestampDigest(t.Context(), digest[:]); code(err) != tsa.CodeCertificateNotFound {
		t.Errorf("untrusted TSA: %v", err)
	}
	c3 := newClient(t, other, tsa.Options{Roots: srv.Roots})
	if _, err := c3.TimestampDigest(t.Context(), digest[:]); code(err) != tsa.CodeCertificateInvalid {
		t.Errorf("TSA outside roots: %v", err)
	}

	// genTime after the TSA certificate expired.
	srv.SetClock(func() time.Time { return srv.Certificate.NotAfter.Add(time.Hour) })
	if _, err := c.TimestampDigest(t.Context(), digest[:]); code(err) != tsa.CodeCertificateInvalid {
		t.Errorf("genTime after expiry: %v", err)
	}
	srv.SetClock(nil)

	// Wrong digest size for the client's hash.
	d512 := sha512.Sum512(nil)
	if _, err := c.TimestampDigest(t.Context(), d512[:]); err == nil {
		t.Error("SHA-512 digest accepted by a SHA-256 client")
	}
}

func TestHTTPErrors(t *testing.T) {
	digest := sha256.Sum256(nil)
	srv := tsatest.NewServer()
	defer srv.Close()
	for name, h := range map[string]http.HandlerFunc{
		"500":          func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) },
		"content type": func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) },
		"too large": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/timestamp-reply")
			w.Write(make([]byte, 2<<20))
		},
	} {
		hs := httptest.NewServer(h)
		c, err := tsa.New(tsa.Options{URL: hs.URL, Certificates: []*x509.Certificate{srv.Certificate}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.TimestampDigest(t.Context(), digest[:]); err == nil {
			t.Errorf("%s: no error", name)
		}
		hs.Close()
	}
	if _, err := tsa.New(tsa.Options{URL: "ftp://x", Certificates: []*x509.Certificate{srv.Certificate}}); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := tsa.New(tsa.Options{URL: srv.URL}); err == nil {
		t.Error("client without trust accepted")
	}
	// The server refuses anything but a POSTed timestamp-query.
	resp, err := http.Post(srv.URL, "text/plain", bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain POST: %s", resp.Status)
	}
}
