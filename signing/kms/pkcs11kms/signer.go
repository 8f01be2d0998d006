//go:build cgo

package pkcs11kms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	"github.com/miekg/pkcs11"
	"go.uber.org/zap"
)

// signer signs with a private key that stays on the token.
type signer struct {
	km   *KeyManager
	priv pkcs11.ObjectHandle
	pub  crypto.PublicKey
	name string // redacted key URI, for logs
}

func (s *signer) Public() crypto.PublicKey { return s.pub }

// DigestInfo prefixes (RFC 8017 §9.2 note 1) for CKM_RSA_PKCS.
var digestInfo = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// PSS parameters per hash: the digest mechanism and the MGF1 variant.
var pssParams = map[crypto.Hash][2]uint{
	crypto.SHA256: {pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256},
	crypto.SHA384: {pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384},
	crypto.SHA512: {pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512},
}

// Sign signs a digest on the token. The random source is unused: the
// token brings its own.
func (s *signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, fmt.Errorf("pkcs11kms: digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	var mech *pkcs11.Mechanism
	data := digest
	switch s.pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			p, ok := pssParams[h]
			if !ok {
				return nil, fmt.Errorf("pkcs11kms: RSA-PSS with %v is not supported", h)
			}
			salt := pss.SaltLength
			if salt <= 0 { // PSSSaltLengthAuto or EqualsHash: the hash size, which every verifier accepts
				salt = h.Size()
			}
			mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(p[0], p[1], uint(salt)))
			break
		}
		mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)
		if h != 0 {
			prefix, ok := digestInfo[h]
			if !ok {
				return nil, fmt.Errorf("pkcs11kms: RSA PKCS#1 v1.5 with %v is not supported", h)
			}
			data = append(append([]byte(nil), prefix...), digest...)
		}
	case *ecdsa.PublicKey:
		mech = pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)
	default:
		return nil, fmt.Errorf("pkcs11kms: key type %T cannot sign", s.pub)
	}
	k := s.km
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil, fmt.Errorf("pkcs11kms: signer used after Close")
	}
	err := k.p.SignInit(k.sh, []*pkcs11.Mechanism{mech}, s.priv)
	var sig []byte
	if err == nil {
		sig, err = k.p.Sign(k.sh, data)
	}
	k.mu.Unlock()
	if err != nil {
		k.log.Warn("sign failed", zap.String("key", s.name), zap.Error(err))
		return nil, fmt.Errorf("pkcs11kms: signing with %s: %w", s.name, err)
	}
	if _, ok := s.pub.(*ecdsa.PublicKey); ok {
		return ecdsaDER(sig)
	}
	return sig, nil
}

// ecdsaDER turns PKCS#11's r||s into the ASN.1 form crypto/ecdsa uses.
func ecdsaDER(rs []byte) ([]byte, error) {
	if len(rs) == 0 || len(rs)%2 != 0 {
		return nil, fmt.Errorf("pkcs11kms: malformed ECDSA signature of %d bytes from token", len(rs))
	}
	n := len(rs) / 2
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:n]), new(big.Int).SetBytes(rs[n:])})
}
