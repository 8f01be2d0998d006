// Package tsa is an RFC 3161 time-stamp client and verifier. The client
// builds a TimeStampReq for a digest, POSTs it as application/timestamp-query
// to a time-stamping authority and verifies the reply; Verify checks a
// TimeStampToken on its own, as an auditor does for the timestamps in X-Road
// message-log containers.
//
// A token is only trusted against certificates the caller supplies: the TSA
// certificates (as X-Road's global configuration lists them) and/or roots
// to chain the TSA certificate to. Certificates embedded in the token are
// used to build the chain, never as trust anchors. Certificate validity is
// checked at the token's genTime, not now, so archived stamps stay
// verifiable after the TSA certificate expires.
//
// Failures are *VerifyError values whose Code names what is wrong; XRoadCode
// gives the X-Road error code for it.
//
// Non-goals: revocation checking of the TSA certificate (X-Road checks OCSP
// of the signer, not the TSA), ESSCertIDv2 binding checks, and serving
// production time stamps (tsatest is for tests only).
package tsa

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
)

// tstInfo is RFC 3161 §2.4.2 TSTInfo.
type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	SerialNumber *big.Int
	Time         time.Time `asn1:"generalized"`
	Accuracy     struct {
		Seconds int64 `asn1:"optional"`
		Millis  int64 `asn1:"optional,tag:0"`
		Micros  int64 `asn1:"optional,tag:1"`
	} `asn1:"optional"`
	Ordering   bool             `asn1:"optional,default:false"`
	Nonce      *big.Int         `asn1:"optional"`
	TSA        asn1.RawValue    `asn1:"optional,explicit,tag:0"`
	Extensions []pkix.Extension `asn1:"optional,tag:1"`
}

// Hash algorithm OIDs a TSTInfo may name.
var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, crypto.SHA224},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

type parsedInfo struct {
	Time          time.Time
	Accuracy      time.Duration
	SerialNumber  *big.Int
	Policy        asn1.ObjectIdentifier
	Nonce         *big.Int
	HashAlgorithm crypto.Hash
	HashedMessage []byte
}

func parseTSTInfo(der []byte) (*parsedInfo, error) {
	var ti tstInfo
	rest, err := asn1.Unmarshal(der, &ti)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, errors.New("trailing data after TSTInfo")
	}
	if ti.Version != 1 {
		return nil, fmt.Errorf("TSTInfo version %d", ti.Version)
	}
	p := &parsedInfo{
		Time: ti.Time, SerialNumber: ti.SerialNumber, Policy: ti.Policy, Nonce: ti.Nonce,
		HashedMessage: ti.MessageImprint.HashedMessage,
		Accuracy: time.Duration(ti.Accuracy.Seconds)*time.Second + time.Duration(ti.Accuracy.Millis)*time.Millisecond +
			time.Duration(ti.Accuracy.Micros)*time.Microsecond,
	}
	for _, h := range hashOIDs {
		if h.oid.Equal(ti.MessageImprint.HashAlgorithm.Algorithm) {
			p.HashAlgorithm = h.hash
		}
	}
	if p.HashAlgorithm == 0 {
		return nil, fmt.Errorf("unknown imprint hash algorithm %v", ti.MessageImprint.HashAlgorithm.Algorithm)
	}
	if len(p.HashedMessage) != p.HashAlgorithm.Size() {
		return nil, fmt.Errorf("imprint of %d bytes for %v", len(p.HashedMessage), p.HashAlgorithm)
	}
	return p, nil
}

// Code says what is wrong with a time stamp.
type Code string

// Verification failure codes.
const (
	// CodeMalformed: the response or token cannot be decoded.
	CodeMalformed Code = "malformed_timestamp"
	// CodeRejected: the TSA answered with a status other than granted.
	CodeRejected Code = "timestamp_rejected"
	// CodeCertificateNotFound: no trusted TSA certificate matches the signer.
	CodeCertificateNotFound Code = "tsp_certificate_not_found"
	// CodeSignatureInvalid: the token's signature does not verify.
	CodeSignatureInvalid Code = "timestamp_signer_verification_failed"
	// CodeHashMismatch: the token stamps other data than expected.
	CodeHashMismatch Code = "hash_mismatch"
	// CodeNonceMismatch: the reply's nonce is not the request's.
	CodeNonceMismatch Code = "nonce_mismatch"
	// CodeCertificateInvalid: the TSA certificate was not valid at genTime,
	// does not chain to the roots, or is not for time stamping.
	CodeCertificateInvalid Code = "tsp_certificate_invalid"
)

// XRoadCode maps a code to X-Road's error code for the same failure (the
// lower-snake-case names of X-Road 7.8+, as in the message-log verifier):
// a hash mismatch is malformed_signature there.
func (c Code) XRoadCode() string {
	switch c {
	case CodeSignatureInvalid:
		return "mlog.timestamp_signer_verification_failed"
	case CodeCertificateNotFound:
		return "mlog.tsp_certificate_not_found"
	case CodeHashMismatch, CodeMalformed:
		return "malformed_signature"
	case CodeCertificateInvalid:
		return "mlog.tsp_certificate_invalid"
	}
	return "mlog.timestamp_" + string(c)
}

// VerifyError is a failed time-stamp check.
type VerifyError struct {
	Code Code
	Msg  string
	Err  error // underlying cause, if any
}

func (e *VerifyError) Error() string {
	s := "tsa: " + string(e.Code) + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Is lets errors.Is(err, &VerifyError{Code: c}) match on the code alone.
func (e *VerifyError) Is(target error) bool {
	t, ok := target.(*VerifyError)
	return ok && t.Code == e.Code && t.Msg == "" && t.Err == nil
}

func verr(code Code, err error, format string, args ...any) error {
	return &VerifyError{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}

// Token is a verified time stamp.
type Token struct {
	// DER is the TimeStampToken (a CMS ContentInfo): what X-Road stores in
	// ASiC containers and archives.
	DER           []byte
	Time          time.Time // genTime
	Accuracy      time.Duration
	SerialNumber  *big.Int
	Policy        asn1.ObjectIdentifier
	Nonce         *big.Int
	HashAlgorithm crypto.Hash
	HashedMessage []byte
	// Signer is the trusted TSA certificate that verified the signature.
	Signer *x509.Certificate
}

// VerifyOptions say what a token must stamp and whom to trust.
type VerifyOptions struct {
	// Digest is the expected message imprint; or set Data and it is hashed
	// with the token's own hash algorithm. One of the two is required.
	Digest []byte
	Data   []byte
	// Hash, when set, is the hash algorithm the token must use.
	Hash crypto.Hash
	// Certificates are the trusted TSA certificates; the token's signer must
	// be one of them (matched by issuer and serial number).
	Certificates []*x509.Certificate
	// Roots, when set, must chain the signer's certificate (at genTime,
	// with the time-stamping extended key usage). With Roots and no
	// Certificates, the certificates embedded in the token are candidates.
	Roots *x509.CertPool
	// Nonce, when set, must equal the token's nonce.
	Nonce *big.Int
}

type pkiStatusInfo struct {
	Status       int
	StatusString []string       `asn1:"optional,utf8"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

type timeStampResp struct {
	Status pkiStatusInfo
	Token  asn1.RawValue `asn1:"optional"`
}

// StatusError is a TimeStampResp whose status is not granted.
type StatusError struct {
	Status   int // 2 rejection, 3 waiting, 4 revocationWarning, 5 revocationNotification
	Text     string
	FailInfo string // e.g. badAlg, badRequest, badDataFormat, timeNotAvailable
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("TSA status %d (%s)", e.Status, timestamp.Status(e.Status))
	if e.FailInfo != "" {
		s += " " + e.FailInfo
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// ResponseToken extracts the TimeStampToken from a DER TimeStampResp. A
// non-granted status gives a *VerifyError with CodeRejected wrapping a
// *StatusError.
func ResponseToken(resp []byte) ([]byte, error) {
	var r timeStampResp
	rest, err := asn1.Unmarshal(resp, &r)
	if err != nil {
		return nil, verr(CodeMalformed, err, "TimeStampResp")
	}
	if len(rest) > 0 {
		return nil, verr(CodeMalformed, nil, "%d bytes after TimeStampResp", len(rest))
	}
	if s := r.Status.Status; s != 0 && s != 1 {
		se := &StatusError{Status: s, Text: strings.Join(r.Status.StatusString, "; ")}
		for i, name := range failNames {
			if r.Status.FailInfo.At(i) == 1 && name != "" {
				se.FailInfo = name
			}
		}
		return nil, verr(CodeRejected, se, "TSA refused the request")
	}
	if len(r.Token.FullBytes) == 0 {
		return nil, verr(CodeMalformed, nil, "granted TimeStampResp without a token")
	}
	return r.Token.FullBytes, nil
}

// PKIFailureInfo bit names (RFC 3161 §2.4.2).
var failNames = map[int]string{0: "badAlg", 2: "badRequest", 5: "badDataFormat", 14: "timeNotAvailable",
	15: "unacceptedPolicy", 16: "unacceptedExtension", 17: "addInfoNotAvailable", 25: "systemFailure"}

// VerifyResponse is ResponseToken followed by Verify.
func VerifyResponse(resp []byte, opts VerifyOptions) (*Token, error) {
	tok, err := ResponseToken(resp)
	if err != nil {
		return nil, err
	}
	return Verify(tok, opts)
}

// Verify checks a DER TimeStampToken: the signature against a trusted TSA
// certificate, that certificate's validity at genTime (and chain to Roots
// when given), the stamped digest and the nonce.
func Verify(token []byte, opts VerifyOptions) (*Token, error) {
	if opts.Digest == nil && opts.Data == nil {
		return nil, errors.New("tsa: Verify needs VerifyOptions.Digest or Data")
	}
	if len(opts.Certificates) == 0 && opts.Roots == nil {
		return nil, errors.New("tsa: Verify needs trusted TSA Certificates or Roots; embedded certificates are not trusted")
	}
	pt, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	candidates := opts.Certificates
	if len(candidates) == 0 {
		candidates = pt.Embedded
	}
	signer := pt.Signer(candidates)
	if signer == nil {
		return nil, verr(CodeCertificateNotFound, nil, "the token's signer is none of the %d trusted TSA certificates", len(opts.Certificates))
	}
	if err := pt.VerifySignature(signer); err != nil {
		return nil, err
	}
	ts, embedded := &pt.Info, pt.Embedded
	if ts.Time.Before(signer.NotBefore) || ts.Time.After(signer.NotAfter) {
		return nil, verr(CodeCertificateInvalid, nil, "genTime %s is outside the TSA certificate's validity %s to %s",
			ts.Time.UTC().Format(time.RFC3339), signer.NotBefore.UTC().Format(time.RFC3339), signer.NotAfter.UTC().Format(time.RFC3339))
	}
	if opts.Roots != nil {
		inter := x509.NewCertPool()
		for _, c := range embedded {
			inter.AddCert(c)
		}
		if _, err := signer.Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: inter, CurrentTime: ts.Time,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
			return nil, verr(CodeCertificateInvalid, err, "TSA certificate %s", signer.Subject)
		}
	}
	if opts.Hash != 0 && ts.HashAlgorithm != opts.Hash {
		return nil, verr(CodeHashMismatch, nil, "token uses %v, want %v", ts.HashAlgorithm, opts.Hash)
	}
	want := opts.Digest
	if want == nil {
		if !ts.HashAlgorithm.Available() {
			return nil, verr(CodeMalformed, nil, "hash algorithm %v unavailable", ts.HashAlgorithm)
		}
		h := ts.HashAlgorithm.New()
		h.Write(opts.Data)
		want = h.Sum(nil)
	}
	if !bytes.Equal(ts.HashedMessage, want) {
		return nil, verr(CodeHashMismatch, nil, "token stamps %x, want %x", ts.HashedMessage, want)
	}
	if opts.Nonce != nil && (ts.Nonce == nil || ts.Nonce.Cmp(opts.Nonce) != 0) {
		return nil, verr(CodeNonceMismatch, nil, "nonce %v, sent %v", ts.Nonce, opts.Nonce)
	}
	return &Token{
		DER: token, Time: ts.Time, Accuracy: ts.Accuracy, SerialNumber: ts.SerialNumber, Policy: ts.Policy,
		Nonce: ts.Nonce, HashAlgorithm: ts.HashAlgorithm, HashedMessage: ts.HashedMessage, Signer: signer,
	}, nil
}
