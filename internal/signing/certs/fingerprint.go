package certs

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
)

// fingerprint is the hex SHA-256 of a public key's SubjectPublicKeyInfo.
func fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown-key-type"
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}
