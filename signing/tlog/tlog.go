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
// A record's leaf hash is the RFC 6962 leaf hash SHA-256(0x00 || leaf
// data). There are two versions of leaf data; a record declares version
// 2 by a leaf="2" attribute on its record element (LeafVersionOf), a
// receipt by "leaf":2 in its statement, and a record or statement that
// declares nothing is version 1. Both keep verifying.
//
// Version 2 (written by default):
//
//	"tunduk/mlog/leaf/v2" 0x00 || seq (8 bytes, big-endian)
//	  || SHA-256(message.xml as signed, with its seq attribute)
//
// The bodies are committed through message.xml: each side of an exchange
// records its body's size and SHA-512 digest (digest="SHA-512:…", computed
// once when the record is appended) and names its attachment
// (body="/attachmentN"). Finding other bodies for the same leaf means a
// SHA-256 collision on message.xml or a SHA-512 collision on a body, so a
// version 2 leaf binds the bodies as firmly as version 1's own body
// digests did, for one hash of message.xml instead of a hash of every
// byte. A verifier holding the record checks each attachment against
// message.xml (RecordLeaf, CheckBodies).
//
// Version 1:
//
//	"tunduk/mlog/leaf/v1" 0x00 || seq (8 bytes, big-endian)
//	  || SHA-256(message.xml as signed, with its seq attribute)
//	  || n (1 byte) || SHA-256(attachment_1) || … || SHA-256(attachment_n)
//
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
