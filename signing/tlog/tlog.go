// Package tlog keeps a transparency log over the signed message log: per
// group, an RFC 6962 Merkle tree whose leaves are the log's records as
// appended, and a signed checkpoint in the C2SP tlog-checkpoint signed-note
// format (c2sp.org/tlog-checkpoint, c2sp.org/signed-note) published at every
// seal. Proofs (inclusion, consistency) and their verification come from
// github.com/transparency-dev/merkle; this package only stores the tree's
// perfect-subtree hashes and asks that library which ones a proof needs.
//
// # Leaves
//
// A record's leaf data (LeafData) is
//
//	"tunduk/mlog/leaf/v1" 0x00 || seq (8 bytes, big-endian)
//	  || SHA-256(message.xml as signed, with its seq attribute)
//	  || n (1 byte) || SHA-256(attachment_1) || … || SHA-256(attachment_n)
//
// and its leaf hash is the RFC 6962 leaf hash SHA-256(0x00 || leaf data).
// The digests are of the exact bytes the message log seals into the
// record's container (message.xml, attachment1 = request body as sent,
// attachment2 = response body as received), so an auditor holding the
// archive recomputes the leaf without tunduk.
//
// # Checkpoints and their signatures
//
// A checkpoint's body is the tlog-checkpoint text: origin line, tree size
// in decimal, base64 root hash, then one extension line "time <RFC 3339
// UTC>" (the seal time). It is signed with the message-log key (any
// crypto.Signer from signing/kms) as a signed note whose key name is the
// origin:
//
//   - ECDSA keys: signature type 0x02 of c2sp.org/signed-note (as
//     github.com/transparency-dev/witness implements it): ASN.1 DER ECDSA
//     over SHA-256 of the note text; key ID = SHA-256(DER SPKI)[:4].
//   - RSA keys: signature type 0xff followed by the identifier
//     "tunduk/rsa-pkcs1v15-sha256": RSASSA-PKCS1-v1_5 with SHA-256 over the
//     note text; key ID = SHA-256(name || 0x0A || 0xff || identifier ||
//     DER SPKI)[:4].
//
// Non-goals: tlog does not serve tiles or entries (the archives hold the
// records), and it does not decide the trust in a key (the verifier is
// given the certificate).
//
// Public API: witnesses and auditors may import this package for the signed checkpoints and proofs of the transparency log. Everything under internal/ is tunduk's own and may change
// without notice.
package tlog
