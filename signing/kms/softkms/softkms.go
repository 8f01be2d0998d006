// Package softkms keeps private keys in PEM files on disk: PKCS#8
// ("PRIVATE KEY"), and for import also PKCS#1 ("RSA PRIVATE KEY") and SEC1
// ("EC PRIVATE KEY"). It registers the "file" URI scheme with kms, so
// "file:/etc/tunduk/keys/mlog.pem" names a key.
//
// A key file is held to tunduk's one rule for secrets (internal/secretfile,
// the same for API keys, TLS keys and PINs): mode 0600 or 0640, never
// world-accessible, never group-writable, owned by the service user or by
// root with the tunduk group. Others are refused with an *InsecureFileError
// naming the fix. New keys are written with mode 0600 and never overwrite
// an existing file.
//
// Files are the development and test backend; production signing keys stay
// on a PKCS#11 token (see pkcs11kms). Encrypted PEM is not supported.
//
// Public API: other programs may import this key backend (keys in files) of the signing/kms contract. Everything under internal/ is tunduk's own and may change
// without notice.
package softkms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
	"github.com/tunduk-kg/tunduk/internal/secretfile"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// Scheme is the URI scheme softkms registers.
const Scheme = "file"

func init() {
	kms.Register(Scheme, func(ctx context.Context, opts kms.Options) (kms.KeyManager, error) {
		return New(ctx, opts)
	})
}

// KeyManager is the file-backed kms.KeyManager.
type KeyManager struct {
	log *zap.Logger
}

var _ kms.KeyManager = (*KeyManager)(nil)

// New returns a file-backed key manager. opts.URI may be empty or any file:
// URI; keys are named per request.
func New(_ context.Context, opts kms.Options) (*KeyManager, error) {
	return &KeyManager{log: opts.Log().With(zap.String("kms", Scheme))}, nil
}

// InsecureFileError reports a key file the secret-file rule refuses.
type InsecureFileError struct {
	Path string
	Mode fs.FileMode
	Err  *secretfile.Error // what is wrong and the fix
}

func (e *InsecureFileError) Error() string {
	return "softkms: refusing private key: " + e.Err.Error()
}

// Unwrap gives the rule's error (errors.Is(err, secretfile.ErrRefused)).
func (e *InsecureFileError) Unwrap() error { return e.Err }

// path extracts the file path from a file: key URI.
func path(name string) (string, error) {
	u, err := kms.ParseURI(name)
	if err != nil {
		return "", err
	}
	if u.Scheme != Scheme {
		return "", fmt.Errorf("softkms: key URI %q is not a file: URI: %w", kms.Redact(name), kms.ErrInvalidURI)
	}
	if u.Opaque == "" {
		return "", fmt.Errorf("softkms: key URI %q has no path: %w", name, kms.ErrInvalidURI)
	}
	return u.Opaque, nil
}

// CreateKey generates a key pair and writes it as PKCS#8 PEM with mode 0600.
// The parent directory is created with mode 0700 when missing.
func (k *KeyManager) CreateKey(req *kms.CreateKeyRequest) (*kms.CreateKeyResponse, error) {
	p, err := path(req.Name)
	if err != nil {
		return nil, err
	}
	alg := req.Algorithm
	if alg == "" {
		alg = kms.DefaultAlgorithm
	}
	priv, err := generate(alg)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("softkms: encoding key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, fmt.Errorf("softkms: %w", err)
	}
	err = atomicfile.CreateNew(p, 0o600, func(w io.Writer) error {
		return pem.Encode(w, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	})
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("softkms: %s: %w", p, kms.ErrAlreadyExists)
	}
	if err != nil {
		return nil, fmt.Errorf("softkms: %w", err)
	}
	pub := priv.Public()
	k.log.Info("key generated", zap.String("key", req.Name), zap.String("algorithm", string(alg)),
		zap.String("spki_sha256", kms.Fingerprint(pub)))
	return &kms.CreateKeyResponse{Name: req.Name, PublicKey: pub}, nil
}

func generate(alg kms.Algorithm) (crypto.Signer, error) {
	switch {
	case alg.RSABits() > 0:
		return rsa.GenerateKey(rand.Reader, alg.RSABits())
	case alg == kms.ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case alg == kms.ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	}
	return nil, fmt.Errorf("softkms: algorithm %q: %w", alg, kms.ErrUnsupported)
}

// GetPublicKey loads the key file and returns its public key.
func (k *KeyManager) GetPublicKey(req *kms.GetPublicKeyRequest) (crypto.PublicKey, error) {
	s, err := k.load(req.Name)
	if err != nil {
		return nil, err
	}
	return s.Public(), nil
}

// CreateSigner loads the key file and returns it as a crypto.Signer.
func (k *KeyManager) CreateSigner(req *kms.CreateSignerRequest) (crypto.Signer, error) {
	s, err := k.load(req.SigningKey)
	if err != nil {
		return nil, err
	}
	k.log.Info("signer opened", zap.String("key", req.SigningKey), zap.String("spki_sha256", kms.Fingerprint(s.Public())))
	return s, nil
}

// Close does nothing; files need no release.
func (k *KeyManager) Close() error { return nil }

func (k *KeyManager) load(name string) (crypto.Signer, error) {
	p, err := path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("softkms: %s: %w", p, kms.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("softkms: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("softkms: %w", err)
	}
	if err := secretfile.CheckInfo(p, st, secretfile.Current()); err != nil {
		var se *secretfile.Error
		if !errors.As(err, &se) {
			return nil, fmt.Errorf("softkms: %w", err)
		}
		k.log.Warn("insecure key file refused", zap.String("key", name), zap.String("mode", fmt.Sprintf("%04o", st.Mode().Perm())), zap.String("reason", se.Reason))
		return nil, &InsecureFileError{Path: p, Mode: st.Mode(), Err: se}
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("softkms: reading %s: %w", p, err)
	}
	return ParsePrivateKey(data)
}

// ParsePrivateKey decodes the first private-key PEM block in data
// (PKCS#8, PKCS#1 or SEC1). Errors never include the key bytes.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("softkms: no PEM private key found")
		}
		var key any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("softkms: encrypted PEM keys: %w; decrypt it (openssl pkcs8 -in KEY -out KEY.pem) or use a PKCS#11 token", kms.ErrUnsupported)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("softkms: parsing %s: %w", b.Type, err)
		}
		switch s := key.(type) {
		case *rsa.PrivateKey:
			return s, nil
		case *ecdsa.PrivateKey:
			return s, nil
		default:
			return nil, fmt.Errorf("softkms: key type %T: %w", key, kms.ErrUnsupported)
		}
	}
}
