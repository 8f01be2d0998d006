// Package pkcs11kms keeps private keys on a PKCS#11 token: Rutoken in
// production, SoftHSM2 in tests. It registers the "pkcs11" URI scheme with
// kms. Keys are named by RFC 7512 URIs:
//
//	pkcs11:token=tunduk;object=mlog-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/etc/tunduk/pin
//
// The token is chosen by token (label), serial or slot-id; the key by object
// (CKA_LABEL) and/or id (CKA_ID, percent-encoded bytes). The PIN comes from
// kms.Options.PIN, pin-source (a file) or pin-value, in that order, and is
// never logged. module-path names the token's PKCS#11 library.
//
// Signatures: RSA keys sign with CKM_RSA_PKCS over a DigestInfo (PKCS#1
// v1.5, as X-Road's message log does) or CKM_RSA_PKCS_PSS when the caller
// passes *rsa.PSSOptions; EC keys sign with CKM_ECDSA and the raw r||s is
// returned ASN.1 DER-encoded, as crypto/ecdsa does. Private keys are
// generated sensitive and non-extractable.
//
// The package calls the token through a narrow p11 interface (the methods of
// *pkcs11.Ctx it uses), so unit tests run against an in-memory stub; a
// second suite runs the same operations against a real SoftHSM2 token.
// It needs cgo; without cgo the scheme is registered with an error saying so.
//
// PKCS#11 login state belongs to the token and the whole process: every
// KeyManager on a token in one process shares one login, and the module
// is loaded once and finalised when the last KeyManager closes.
//
// Non-goals: token initialisation and PIN management (use softhsm2-util or
// the vendor's tools), secret keys, decryption.
//
// Public API: other programs may import this key backend (PKCS #11 tokens and HSMs) of the signing/kms contract. Everything under internal/ is tunduk's own and may change
// without notice.
package pkcs11kms
