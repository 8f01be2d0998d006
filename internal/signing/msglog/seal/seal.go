// Package seal writes and checks the signature of X-Road message-log
// records: META-INF/signatures.xml, an XAdES (ETSI TS 101 903) detached
// XML signature in an asic:XAdESSignatures wrapper (ETSI TS 102 918), as
// X-Road's security server writes it, plus the RFC 3161 time-stamps that
// cover such signatures.
//
// A signature covers either one message directly (Reference URI
// "/message.xml") or a batch, through the HashChainResult of a Merkle tree
// over the batch (Reference URI "/sig-hashchainresult.xml"; see package
// hashchain). A time-stamp covers either one signature (its SignatureValue
// bytes; the token is embedded as xades:SignatureTimeStamp) or a batch of
// signatures through ts-hashchainresult.xml (token in META-INF/timestamp.tst).
//
// Signing takes any crypto.Signer (RSA or ECDSA) with its certificate, so
// file and PKCS#11 keys work alike; seal knows nothing about key storage.
// Non-goals: OCSP responses (X-Road embeds the signer certificate's OCSP
// response; we record none), XAdES forms beyond what X-Road writes.
//
// XML input limits: every document read into a tree here is first checked
// by internal/xmlguard in one linear pass — at most 16 MiB, nesting 128,
// 256 attributes per element, no repeated attribute (etree would keep the
// last one silently, X-Road's parser refuses it), no DTD.
package seal

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"time"
)

// Entry names (as URIs inside signatures and hash chains).
const (
	URIMessage           = "/message.xml"
	URISigHashChain      = "/sig-hashchain.xml"
	URISigHashChainRes   = "/sig-hashchainresult.xml"
	URITSHashChain       = "/ts-hashchain.xml"
	URITSHashChainResult = "/ts-hashchainresult.xml"
	URISignatures        = "/META-INF/signatures.xml"
)

// Namespaces of signatures.xml.
const (
	NSAsic  = "http://uri.etsi.org/02918/v1.2.1#"
	NSDsig  = "http://www.w3.org/2000/09/xmldsig#"
	NSXades = "http://uri.etsi.org/01903/v1.3.2#"
)

// Error codes, as X-Road names them (CamelCase form).
const (
	CodeMalformedSignature    = "MalformedSignature"
	CodeInvalidSignatureValue = "InvalidSignatureValue"
	CodeInvalidReference      = "InvalidReference"
	CodeTimestampValidation   = "TimestampValidation"
	CodeTSPCertNotFound       = "InternalError" // X-Road: "Could not find TSP certificate for timestamp"
	CodeIncorrectCertificate  = "IncorrectCertificate"
	CodeCertValidation        = "CertValidation"
)

// Error is a signature or time-stamp failure with X-Road's error code.
type Error struct {
	Code   string
	Detail string
	Err    error // underlying cause, if any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("seal: %s: %s: %v", e.Code, e.Detail, e.Err)
	}
	return fmt.Sprintf("seal: %s: %s", e.Code, e.Detail)
}

// ErrorCode returns the X-Road error code.
func (e *Error) ErrorCode() string { return e.Code }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Detail == "" && t.Err == nil
}

func errf(code string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...), Err: cause}
}

// Options tune signing. The zero value is valid.
type Options struct {
	// Hash for references, hash chains and the signature; default SHA-512
	// (X-Road's default).
	Hash crypto.Hash
	// Now returns the signing time; default time.Now.
	Now func() time.Time
	// OCSP, if set, returns the DER OCSP response for the signing
	// certificate, embedded as XAdES RevocationValues (as X-Road's
	// security server embeds it) so that verifiers can check the
	// certificate's status at signing time without the responder.
	OCSP func(cert *x509.Certificate) ([]byte, error)
}
