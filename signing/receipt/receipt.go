// Package receipt is the portable proof of one message-log record: a signed
// statement of the record (the promise, given as soon as the record is
// durable) and, once the record's batch is sealed, its inclusion proof to a
// signed checkpoint of the log's Merkle tree (signing/tlog). Verify checks a
// receipt offline, with the log's certificate and, optionally, a later
// checkpoint the verifier holds (from a witness or an earlier answer).
//
// A receipt is JSON:
//
//	{"version": 2,
//	 "statement": {…},              // Statement, signed
//	 "signature": "<base64>",       // over StatementPrefix || compact JSON of statement,
//	                                // or over its batch (BatchPrefix, size, root)
//	 "batch": {"index": i, "size": n, "proof": ["<base64>", …]},  // when batch-signed
//	 "keyId": "<base64>",           // SHA-256 of the log key's DER SubjectPublicKeyInfo
//	 "certificate": "<base64 DER>", // the log's certificate (full form only; not trusted unless pinned)
//	 "inclusion": {"checkpoint": "<signed note>", "index": n, "proof": ["<base64>", …]},
//	 "consistency": [{"size1": m, "size2": n, "proof": […]}]}
//
// The statement signature is ECDSA (ASN.1) or RSASSA-PKCS1-v1_5 over the
// SHA-256 of StatementPrefix and the statement's JSON with its keys in the
// order of Statement's fields, no spaces (as encoding/json marshals it).
// Promises made at the same moment (the records of one group commit) are
// signed together, one signature per batch, as CT and transparency logs
// batch their signatures: the batch is an RFC 6962 Merkle tree whose
// leaves are HashLeaf(StatementPrefix || statement JSON) in batch order,
// one signature covers the batch's size and root hash, and "batch" holds
// the statement's index, the batch size and its inclusion proof; the
// signature is over SHA-256(BatchPrefix || size (8 bytes, big-endian) ||
// root). A batch
// of one is signed directly, without "batch". Either way the key holder
// signed exactly this statement.
//
// Two forms: a check's answer carries the compact form, which names the
// log key by keyId (as an RFC 6962 SCT names its log by LogID, the SHA-256
// of the log's public key) and leaves the certificate out; GET
// /v1/evidence/{recordId} returns the full form, with the certificate.
// Both are signed alike (keyId and certificate are outside the
// signature), so the compact form verifies with the certificate given
// separately, and a full receipt with the certificate it embeds.
//
// Versions: 2 adds keyId (required); 1 (before keyId; certificate
// embedded) is still verified. Independently, a statement's "leaf" names
// its record's tlog leaf version: "leaf":2 (a leaf over message.xml,
// which commits to the bodies by their SHA-512 digests; no
// attachmentDigests), or none for version 1 (message.xml's and each
// attachment's digest).
//
// A verifier accepts a receipt whose keys were reordered or re-indented
// (a portal may store it as a parsed object) but nothing else: key names,
// base64 and number spellings must be exactly the canonical ones.
//
// Non-goals: the package does not read archives; a verifier that holds the
// record's message.xml and attachments checks them with Options.Record.
//
// Public API: the portal and auditors may import this package to verify a check's receipt without the host that made it. Everything under internal/ is tunduk's own and may change
// without notice.
package receipt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// Version is the receipt format version written; Verify accepts it and
// Version1.
const Version = 2

// Version1 is the first format: no keyId, the certificate embedded.
const Version1 = 1

// StatementPrefix domain-separates statement signatures from any other use
// of the log key.
const StatementPrefix = "tunduk/receipt/statement/v1\x00"

// BatchPrefix domain-separates the signature over a batch of statements.
const BatchPrefix = "tunduk/receipt/batch/v1\x00"

// MaxSize bounds a receipt read from outside.
const MaxSize = 1 << 20

// Statement is what the log promises about one record. The leaf fields let
// anyone holding the record recompute its leaf hash.
type Statement struct {
	// Origin is the checkpoint origin of the record's tree.
	Origin   string    `json:"origin"`
	RecordID string    `json:"recordId"`
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	// Check, Subjects … are the exchange the record holds (empty for
	// administrative records).
	Check        string   `json:"check,omitempty"`
	Subjects     []string `json:"subjects,omitempty"`
	AnswerDigest string   `json:"answerDigest,omitempty"`
	MessageID    string   `json:"messageId,omitempty"`
	RequestHash  string   `json:"requestHash,omitempty"`
	UserID       string   `json:"userId,omitempty"`
	Issue        string   `json:"issue,omitempty"`
	RequestID    string   `json:"requestId,omitempty"`
	// LeafVersion is the record's tlog leaf version: 2, or 0 (omitted)
	// for version 1.
	LeafVersion int `json:"leaf,omitempty"`
	// MessageDigest and AttachmentDigests are the SHA-256 digests of the
	// record's message.xml and (version 1 only) attachments (tlog leaf
	// data); LeafHash is the RFC 6962 leaf hash.
	MessageDigest     []byte   `json:"messageDigest"`
	AttachmentDigests [][]byte `json:"attachmentDigests,omitempty"`
	LeafHash          []byte   `json:"leafHash"`
}

// Leaf is the statement's tlog leaf.
func (s *Statement) Leaf() (tlog.Leaf, error) {
	l := tlog.Leaf{Seq: s.Seq}
	switch s.LeafVersion {
	case 0:
	case tlog.LeafV2:
		if s.AttachmentDigests != nil {
			return l, fmt.Errorf("a version %d leaf has no attachment digests (message.xml commits to the bodies)", s.LeafVersion)
		}
		l.Version = tlog.LeafV2
	default:
		return l, fmt.Errorf("leaf version %d, want %d (or none for version 1)", s.LeafVersion, tlog.LeafV2)
	}
	if len(s.MessageDigest) != 32 {
		return l, fmt.Errorf("messageDigest has %d bytes, want 32", len(s.MessageDigest))
	}
	copy(l.MessageDigest[:], s.MessageDigest)
	if len(s.AttachmentDigests) > 255 {
		return l, fmt.Errorf("%d attachment digests, at most 255", len(s.AttachmentDigests))
	}
	for _, d := range s.AttachmentDigests {
		if len(d) != 32 {
			return l, fmt.Errorf("attachment digest has %d bytes, want 32", len(d))
		}
		l.AttachmentDigests = append(l.AttachmentDigests, [32]byte(d))
	}
	return l, nil
}

// Inclusion proves the record's leaf is in a checkpoint.
type Inclusion struct {
	Checkpoint string   `json:"checkpoint"`
	Index      uint64   `json:"index"`
	Proof      [][]byte `json:"proof"`
}

// Batch places a statement in a batch of promises signed together.
type Batch struct {
	Index uint64   `json:"index"`
	Size  uint64   `json:"size"`
	Proof [][]byte `json:"proof"`
}

// Consistency proves the tree of Size2 leaves extends that of Size1.
type Consistency struct {
	Size1 uint64   `json:"size1"`
	Size2 uint64   `json:"size2"`
	Proof [][]byte `json:"proof"`
}

// Receipt is one record's evidence.
type Receipt struct {
	Version     int             `json:"version"`
	Statement   json.RawMessage `json:"statement"`
	Signature   []byte          `json:"signature"`
	Batch       *Batch          `json:"batch,omitempty"`
	KeyID       []byte          `json:"keyId,omitempty"`
	Certificate []byte          `json:"certificate,omitempty"`
	Inclusion   *Inclusion      `json:"inclusion,omitempty"`
	Consistency []Consistency   `json:"consistency,omitempty"`
}

// KeyID is what a receipt names the log key by: the SHA-256 of its DER
// SubjectPublicKeyInfo (RFC 6962's LogID), for a certificate's
// RawSubjectPublicKeyInfo.
func KeyID(spki []byte) []byte {
	d := sha256.Sum256(spki)
	return d[:]
}

// keyID is KeyID of a public key. The last ECDSA or RSA key's is kept: a
// log signs with one key, batch after batch.
func keyID(pub crypto.PublicKey) ([]byte, error) {
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey: // comparable, by pointer
		if c := lastKeyID.Load(); c != nil && c.pub == pub {
			return slices.Clone(c.id), nil // receipts do not share it
		}
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("receipt: key id: %w", err)
	}
	id := KeyID(der)
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
		lastKeyID.Store(&cachedKeyID{pub: pub, id: id})
	}
	return id, nil
}

type cachedKeyID struct {
	pub crypto.PublicKey
	id  []byte
}

var lastKeyID atomic.Pointer[cachedKeyID]

// Sealed says whether the receipt carries an inclusion proof.
func (r *Receipt) Sealed() bool { return r.Inclusion != nil }

// signedBytes is what a statement's signature covers: the prefix and the
// statement as encoding/json marshals the Statement struct (fields in
// declaration order), so a receipt stays verifiable after a JSON round
// trip through a store that reorders keys or re-indents.
func signedBytes(st *Statement) ([]byte, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	return append([]byte(StatementPrefix), b...), nil
}

// NewPromise signs st with the log key and returns the receipt without
// inclusion (the promise); certDER nil gives the compact form.
func NewPromise(st *Statement, signer crypto.Signer, certDER []byte) (*Receipt, error) {
	id, err := keyID(signer.Public())
	if err != nil {
		return nil, err
	}
	raw, err := appendStatement(make([]byte, 0, statementSize(st)), st)
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	// signedBytes(st), without marshalling the statement a second time.
	h := sha256.New()
	h.Write([]byte(StatementPrefix))
	h.Write(raw)
	var d [32]byte
	h.Sum(d[:0])
	sig, err := signer.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("receipt: sign statement: %w", err)
	}
	return &Receipt{Version: Version, Statement: raw, Signature: sig, KeyID: id, Certificate: certDER}, nil
}

// NewPromises signs the statements as one batch (one signature; see the
// package doc) and returns their receipts without inclusion, in order. A
// single statement is signed directly. The receipts share their key id,
// signature and proof hashes (read-only).
func NewPromises(sts []*Statement, signer crypto.Signer, certDER []byte) ([]*Receipt, error) {
	if len(sts) == 1 {
		r, err := NewPromise(sts[0], signer, certDER)
		return []*Receipt{r}, err
	}
	if len(sts) == 0 {
		return nil, nil
	}
	id, err := keyID(signer.Public())
	if err != nil {
		return nil, err
	}
	// The statements' JSON in one buffer, their leaf hashes in another.
	size := 0
	for _, st := range sts {
		size += statementSize(st)
	}
	buf := make([]byte, 0, size)
	ends := make([]int, len(sts))
	for i, st := range sts {
		if buf, err = appendStatement(buf, st); err != nil {
			return nil, fmt.Errorf("receipt: %w", err)
		}
		ends[i] = len(buf)
	}
	hashes := make([]byte, 32*len(sts))
	leaves := make([][]byte, len(sts))
	raws := make([]json.RawMessage, len(sts))
	h := sha256.New()
	start := 0
	for i, end := range ends {
		raws[i] = buf[start:end:end]
		start = end
		h.Reset()
		h.Write(leafPrefix)
		h.Write(raws[i])
		leaves[i] = h.Sum(hashes[32*i : 32*i])[:32:32]
	}
	root, proofs := batchTree(leaves)
	n := uint64(len(sts))
	d := batchDigest(n, root)
	sig, err := signer.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("receipt: sign batch of %d statements: %w", n, err)
	}
	rs := make([]Receipt, len(sts))
	bs := make([]Batch, len(sts))
	out := make([]*Receipt, len(sts))
	for i := range rs {
		bs[i] = Batch{Index: uint64(i), Size: n, Proof: proofs[i]}
		rs[i] = Receipt{Version: Version, Statement: raws[i], Signature: sig, KeyID: id, Certificate: certDER, Batch: &bs[i]}
		out[i] = &rs[i]
	}
	return out, nil
}

// leafPrefix starts a statement's leaf data in its batch: the RFC 6962
// leaf prefix and StatementPrefix.
var leafPrefix = []byte("\x00" + StatementPrefix)

// batchDigest is what a batch signature signs: SHA-256(BatchPrefix ||
// size as 8 bytes big-endian || root). The size is signed because an
// RFC 6962 inclusion proof alone does not fix it (a proof of leaf 28 is
// the same in trees of 48 and 58 leaves).
func batchDigest(size uint64, root []byte) [32]byte {
	b := binary.BigEndian.AppendUint64([]byte(BatchPrefix), size)
	return sha256.Sum256(append(b, root...))
}

func verifySig(pub crypto.PublicKey, msg, sig []byte) bool {
	d := sha256.Sum256(msg)
	return verifyDigest(pub, d[:], sig)
}

func verifyDigest(pub crypto.PublicKey, d, sig []byte) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, d, sig)
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d, sig) == nil
	}
	return false
}
