// Package kms is the contract between tunduk's signing code and the places
// its private keys live: PEM/PKCS#8 files (softkms) and PKCS#11 tokens such
// as Rutoken or SoftHSM2 (pkcs11kms). It is laid out like smallstep's kms:
// this package holds the KeyManager interface, the request structs, key URIs
// and a registry of backends by URI scheme; each backend is its own package
// that registers itself in init.
//
// Keys are named by URI:
//
//	file:/etc/tunduk/keys/mlog.pem
//	pkcs11:token=tunduk;object=mlog-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/etc/tunduk/pin
//
// The pkcs11 form follows RFC 7512. A signer reaches the rest of tunduk
// only as a crypto.Signer; library packages (xmldsig, msglog) never import
// kms. Only cmd/ builds a KeyManager and wires its signers in.
//
// Non-goals: key wrapping/export, symmetric keys, decryption.
//
// Public API: other programs may import this package for the one signer contract every key backend meets. Everything under internal/ is tunduk's own and may change
// without notice.
package kms

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"

	"go.uber.org/zap"
)

// KeyManager creates keys and hands out signers for them. Implementations
// are safe for concurrent use.
type KeyManager interface {
	// GetPublicKey returns the public half of an existing key.
	GetPublicKey(req *GetPublicKeyRequest) (crypto.PublicKey, error)
	// CreateKey generates a new key pair and stores it under req.Name. It
	// fails with ErrAlreadyExists rather than overwrite a key.
	CreateKey(req *CreateKeyRequest) (*CreateKeyResponse, error)
	// CreateSigner returns a signer for an existing key.
	CreateSigner(req *CreateSignerRequest) (crypto.Signer, error)
	// Close releases the backend (PKCS#11 sessions, the loaded module).
	Close() error
}

// Algorithm is a key type and size.
type Algorithm string

// Supported algorithms. RSA keys sign with PKCS#1 v1.5 (what X-Road's
// message log uses) or PSS when the caller asks for it through
// crypto.SignerOpts; ECDSA keys produce ASN.1 DER signatures as
// crypto/ecdsa does.
const (
	RSA2048   Algorithm = "rsa2048"
	RSA3072   Algorithm = "rsa3072"
	RSA4096   Algorithm = "rsa4096"
	ECDSAP256 Algorithm = "ecdsa-p256"
	ECDSAP384 Algorithm = "ecdsa-p384"
)

// DefaultAlgorithm is what CreateKey uses when the request names none.
// X-Road's signing keys are RSA 2048 by default.
const DefaultAlgorithm = RSA2048

// Algorithms lists the supported algorithms, for flag help and validation.
func Algorithms() []Algorithm { return []Algorithm{RSA2048, RSA3072, RSA4096, ECDSAP256, ECDSAP384} }

// ParseAlgorithm checks a user-supplied algorithm name.
func ParseAlgorithm(s string) (Algorithm, error) {
	if s == "" {
		return DefaultAlgorithm, nil
	}
	for _, a := range Algorithms() {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("kms: unknown algorithm %q (use one of %v): %w", s, Algorithms(), ErrUnsupported)
}

// RSABits returns the modulus size of an RSA algorithm, or 0.
func (a Algorithm) RSABits() int {
	switch a {
	case RSA2048:
		return 2048
	case RSA3072:
		return 3072
	case RSA4096:
		return 4096
	}
	return 0
}

// IsECDSA reports whether the algorithm is an ECDSA curve.
func (a Algorithm) IsECDSA() bool { return a == ECDSAP256 || a == ECDSAP384 }

// GetPublicKeyRequest names the key whose public half is wanted.
type GetPublicKeyRequest struct {
	Name string // key URI
}

// CreateKeyRequest asks for a new key pair.
type CreateKeyRequest struct {
	Name      string    // key URI; for pkcs11 the object label (and optional id)
	Algorithm Algorithm // DefaultAlgorithm when empty
}

// CreateKeyResponse describes the created key.
type CreateKeyResponse struct {
	Name      string // the key URI to use in CreateSignerRequest
	PublicKey crypto.PublicKey
}

// CreateSignerRequest names the key to sign with.
type CreateSignerRequest struct {
	SigningKey string // key URI
}

// Options configure a KeyManager.
type Options struct {
	// URI selects the backend by scheme and configures it: for pkcs11 the
	// module-path, token and pin-source; for file nothing beyond the scheme.
	// A key URI works here too: New(ctx, Options{URI: keyURI}).
	URI string
	// PIN, when set, is used instead of the URI's pin-value/pin-source. It
	// is never logged.
	PIN string
	// Logger receives one line per key operation (never PINs or key
	// material). Nil means zap.NewNop().
	Logger *zap.Logger
}

// Log returns the logger to use, never nil.
func (o Options) Log() *zap.Logger {
	if o.Logger == nil {
		return zap.NewNop()
	}
	return o.Logger
}

// NewFunc builds a KeyManager for a backend.
type NewFunc func(ctx context.Context, opts Options) (KeyManager, error)

var (
	regMu    sync.RWMutex
	registry = map[string]NewFunc{}
)

// Register makes a backend available under a URI scheme ("file",
// "pkcs11"). Backends call it from init; registering a scheme twice panics.
func Register(scheme string, fn NewFunc) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic("kms: Register called twice for scheme " + scheme)
	}
	registry[scheme] = fn
}

// Schemes lists the registered URI schemes, sorted.
func Schemes() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for s := range registry {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// New builds the KeyManager registered for the scheme of opts.URI. The
// backend package must be linked in (import _ ".../kms/softkms").
func New(ctx context.Context, opts Options) (KeyManager, error) {
	u, err := ParseURI(opts.URI)
	if err != nil {
		return nil, err
	}
	regMu.RLock()
	fn, ok := registry[u.Scheme]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("kms: no backend for scheme %q (registered: %v): %w", u.Scheme, Schemes(), ErrUnsupported)
	}
	return fn(ctx, opts)
}

// Sentinel errors; backends wrap them so callers can use errors.Is.
var (
	// ErrNotFound: the named key does not exist.
	ErrNotFound = errors.New("kms: key not found")
	// ErrAlreadyExists: CreateKey would overwrite a key.
	ErrAlreadyExists = errors.New("kms: key already exists")
	// ErrUnsupported: the backend, algorithm or URI form is not supported.
	ErrUnsupported = errors.New("kms: not supported")
	// ErrInvalidURI: a key URI could not be parsed.
	ErrInvalidURI = errors.New("kms: invalid key URI")
)

// Fingerprint is the hex SHA-256 of a public key's SubjectPublicKeyInfo:
// the identifier used in logs and listings (never the key itself).
func Fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown"
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// CertificateManager is implemented by backends that can keep a key's
// certificate beside it (a PKCS#11 token stores it as a CKO_CERTIFICATE
// object with the key's label and id, as X-Road's security server does).
// Callers check for it with a type assertion.
type CertificateManager interface {
	LoadCertificate(req *LoadCertificateRequest) (*x509.Certificate, error)
	StoreCertificate(req *StoreCertificateRequest) error
}

// LoadCertificateRequest names the key whose certificate is wanted.
type LoadCertificateRequest struct {
	Name string // key URI
}

// StoreCertificateRequest stores a certificate for a key. The backend does
// not check that it matches the key; callers do (see internal/signing/certs).
type StoreCertificateRequest struct {
	Name        string // key URI
	Certificate *x509.Certificate
}
