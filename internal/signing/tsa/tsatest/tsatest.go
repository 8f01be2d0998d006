// Package tsatest provides an RFC 3161 time-stamping authority on loopback
// for tests, in the style of net/http/httptest: NewServer starts it on
// 127.0.0.1:0 with a fresh CA and TSA certificate, URL is where to POST,
// Certificate and Roots are what a verifier trusts. Behaviour can be
// changed while it runs (SetTamper, SetReject, SetClock) to test failure
// handling. Its keys are throwaway; never use it outside tests.
package tsatest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/digitorus/timestamp"
)

// DefaultPolicy is the TSA policy OID the server stamps under.
var DefaultPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1, 1}

// Server is a running test TSA.
type Server struct {
	*httptest.Server
	// Certificate is the TSA's signing certificate (EKU timeStamping).
	Certificate *x509.Certificate
	// CA issued Certificate; Roots holds it.
	CA    *x509.Certificate
	Roots *x509.CertPool

	key crypto.Signer

	mu       sync.Mutex
	tamper   func([]byte) []byte
	reject   bool
	now      func() time.Time
	requests int
}

// NewServer starts a TSA on 127.0.0.1. It panics on failure, as httptest
// does. Call Close when done.
func NewServer() *Server {
	s, err := newServer()
	if err != nil {
		panic("tsatest: " + err.Error())
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

func newServer() (*Server, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Country: []string{"KG"}, Organization: []string{"tsatest"}, CommonName: "tsatest CA"},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{Country: []string{"KG"}, Organization: []string{"tsatest"}, CommonName: "tsatest TSA"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &Server{Certificate: cert, CA: ca, Roots: roots, key: key, now: time.Now}, nil
}

// SetTamper makes the server pass every DER reply through f before sending
// it (nil restores honest replies).
func (s *Server) SetTamper(f func(resp []byte) []byte) {
	s.mu.Lock()
	s.tamper = f
	s.mu.Unlock()
}

// SetReject makes the server answer with status rejection/badRequest.
func (s *Server) SetReject(reject bool) {
	s.mu.Lock()
	s.reject = reject
	s.mu.Unlock()
}

// SetClock sets the genTime source (nil restores time.Now).
func (s *Server) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// Requests returns how many time-stamp requests the server has answered.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Respond answers a DER TimeStampReq without HTTP: the reply the server
// would send, tamper and reject settings included.
func (s *Server) Respond(req []byte) ([]byte, error) {
	s.mu.Lock()
	s.requests++
	tamper, reject, now := s.tamper, s.reject, s.now
	s.mu.Unlock()
	var resp []byte
	var err error
	if reject {
		resp, err = timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadRequest)
	} else {
		resp, err = s.stamp(req, now())
	}
	if err != nil {
		return nil, err
	}
	if tamper != nil {
		resp = tamper(append([]byte(nil), resp...))
	}
	return resp, nil
}

func (s *Server) stamp(reqDER []byte, now time.Time) ([]byte, error) {
	req, err := timestamp.ParseRequest(reqDER)
	if err != nil {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadDataFormat)
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              now,
		Accuracy:          time.Second,
		Policy:            DefaultPolicy,
		Nonce:             req.Nonce,
		AddTSACertificate: req.Certificates,
	}
	if req.TSAPolicyOID != nil {
		ts.Policy = req.TSAPolicyOID
	}
	return ts.CreateResponseWithOpts(s.Certificate, s.key, crypto.SHA256)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a TimeStampReq", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/timestamp-query" {
		http.Error(w, fmt.Sprintf("Content-Type %q, want application/timestamp-query", ct), http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := s.Respond(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}
