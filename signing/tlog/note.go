package tlog

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// rsaSigType is the signed-note type identifier for RSA keys (0xff plus a
// name, as c2sp.org/signed-note reserves for unassigned types).
const rsaSigType = "\xfftunduk/rsa-pkcs1v15-sha256"

// keyHash computes the signed-note key ID of pub under name (see the
// package doc).
func keyHash(name string, pub crypto.PublicKey) (uint32, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return 0, fmt.Errorf("tlog: public key: %w", err)
	}
	var sum [32]byte
	switch pub.(type) {
	case *ecdsa.PublicKey:
		sum = sha256.Sum256(spki)
	case *rsa.PublicKey:
		b := append([]byte(name+"\n"+rsaSigType), spki...)
		sum = sha256.Sum256(b)
	default:
		return 0, fmt.Errorf("tlog: key type %T not supported for checkpoints (ECDSA or RSA)", pub)
	}
	return binary.BigEndian.Uint32(sum[:4]), nil
}

// noteSigner signs notes with a crypto.Signer.
type noteSigner struct {
	name   string
	hash   uint32
	signer crypto.Signer
}

// NewNoteSigner wraps a crypto.Signer (ECDSA or RSA, e.g. from signing/kms)
// as a signed-note signer under the key name name (the log's origin).
func NewNoteSigner(name string, s crypto.Signer) (note.Signer, error) {
	h, err := keyHash(name, s.Public())
	if err != nil {
		return nil, err
	}
	return &noteSigner{name: name, hash: h, signer: s}, nil
}

func (s *noteSigner) Name() string    { return s.name }
func (s *noteSigner) KeyHash() uint32 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	return s.signer.Sign(rand.Reader, d[:], crypto.SHA256)
}

// noteVerifier verifies notes with a public key.
type noteVerifier struct {
	name string
	hash uint32
	pub  crypto.PublicKey
}

// NewNoteVerifier returns a signed-note verifier for the public key (ECDSA
// or RSA) under the key name name.
func NewNoteVerifier(name string, pub crypto.PublicKey) (note.Verifier, error) {
	h, err := keyHash(name, pub)
	if err != nil {
		return nil, err
	}
	return &noteVerifier{name: name, hash: h, pub: pub}, nil
}

func (v *noteVerifier) Name() string    { return v.name }
func (v *noteVerifier) KeyHash() uint32 { return v.hash }
func (v *noteVerifier) Verify(msg, sig []byte) bool {
	d := sha256.Sum256(msg)
	switch k := v.pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, d[:], sig)
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig) == nil
	}
	return false
}
