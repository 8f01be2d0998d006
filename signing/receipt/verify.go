package receipt

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// Reason names why a receipt does not verify.
type Reason string

// Reasons a receipt fails; Error carries one.
const (
	ReasonMalformed           Reason = "malformed"
	ReasonKey                 Reason = "key"
	ReasonStatementSignature  Reason = "statement-signature"
	ReasonBatch               Reason = "promise-batch"
	ReasonLeafHash            Reason = "leaf-hash"
	ReasonRecord              Reason = "record-mismatch"
	ReasonCheckpointFormat    Reason = "checkpoint-format"
	ReasonCheckpointSignature Reason = "checkpoint-signature"
	ReasonCheckpointOrigin    Reason = "checkpoint-origin"
	ReasonInclusion           Reason = "inclusion-proof"
	ReasonNotSealed           Reason = "not-sealed"
	ReasonConsistency         Reason = "consistency-proof"
	ReasonNoConsistency       Reason = "no-consistency-proof"
)

// Error is a verification failure with its reason.
type Error struct {
	Reason Reason
	Detail string
}

func (e *Error) Error() string { return "receipt: " + string(e.Reason) + ": " + e.Detail }

// Is matches any *Error with the same Reason, so callers can write
// errors.Is(err, &receipt.Error{Reason: receipt.ReasonInclusion}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

func fail(r Reason, format string, args ...any) error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// Record is the record's bytes as archived, when the verifier has them.
type Record struct {
	MessageXML  []byte
	Attachments [][]byte
}

// Options are what the verifier holds besides the receipt.
type Options struct {
	// Certificate is the log's certificate as the verifier trusts it; a
	// receipt that embeds a certificate must embed this one. When nil the
	// receipt's own certificate is used and Result.KeyPinned is false: the
	// receipt is then only self-consistent.
	Certificate *x509.Certificate
	// Checkpoint is a signed checkpoint the verifier holds (a witness's or
	// one kept from an earlier answer); the receipt must be consistent
	// with it.
	Checkpoint []byte
	// Record, when set, must hash to the receipt's leaf.
	Record *Record
}

// Result is what a valid receipt proves.
type Result struct {
	Statement  Statement
	KeyPinned  bool
	Sealed     bool
	Checkpoint *tlog.Checkpoint // the receipt's, when sealed
	Held       *tlog.Checkpoint // Options.Checkpoint, when given
	RecordSeen bool
}

// Verify checks a receipt: the statement's signature, that its leaf hash
// follows from its digests (and from Options.Record), the checkpoint's
// signature and the inclusion proof, and consistency with
// Options.Checkpoint. Failures are *Error with a Reason.
func Verify(data []byte, opts Options) (*Result, error) {
	if len(data) > MaxSize {
		return nil, fail(ReasonMalformed, "%d bytes, at most %d", len(data), MaxSize)
	}
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fail(ReasonMalformed, "%v", err)
	}
	switch {
	case r.Version == Version && len(r.KeyID) != 32:
		return nil, fail(ReasonMalformed, "keyId has %d bytes, want 32 (SHA-256)", len(r.KeyID))
	case r.Version == Version1 && r.KeyID != nil:
		return nil, fail(ReasonMalformed, "a version 1 receipt has no keyId")
	case r.Version != Version && r.Version != Version1:
		return nil, fail(ReasonMalformed, "version %d, want %d or %d", r.Version, Version, Version1)
	}
	var st Statement
	sd := json.NewDecoder(bytes.NewReader(r.Statement))
	sd.DisallowUnknownFields()
	if err := sd.Decode(&st); err != nil {
		return nil, fail(ReasonMalformed, "statement: %v", err)
	}
	// Only the canonical encoding is accepted, so that no byte of a
	// receipt can change without failing (encoding/json alone would accept
	// other letter case in keys and non-canonical base64).
	if err := canonical(data, &r); err != nil {
		return nil, err
	}
	if err := canonical(r.Statement, &st); err != nil {
		return nil, err
	}
	res := &Result{Statement: st, KeyPinned: opts.Certificate != nil}
	pub, err := logKey(&r, opts.Certificate)
	if err != nil {
		return nil, err
	}
	msg, err := signedBytes(&st)
	if err != nil {
		return nil, fail(ReasonMalformed, "statement: %v", err)
	}
	if b := r.Batch; b != nil {
		if b.Size < 2 || b.Index >= b.Size {
			return nil, fail(ReasonBatch, "statement %d of a batch of %d", b.Index, b.Size)
		}
		root, err := proof.RootFromInclusionProof(rfc6962.DefaultHasher, b.Index, b.Size, rfc6962.DefaultHasher.HashLeaf(msg), b.Proof)
		if err != nil {
			return nil, fail(ReasonBatch, "statement %d of a batch of %d: %v", b.Index, b.Size, err)
		}
		d := batchDigest(b.Size, root)
		if !verifyDigest(pub, d[:], r.Signature) {
			return nil, fail(ReasonStatementSignature, "the batch signature over the statement's batch does not verify with the log key")
		}
	} else if !verifySig(pub, msg, r.Signature) {
		return nil, fail(ReasonStatementSignature, "the statement's signature does not verify with the log key")
	}
	leaf, err := st.Leaf()
	if err != nil {
		return nil, fail(ReasonMalformed, "statement: %v", err)
	}
	if !bytes.Equal(leaf.Hash(), st.LeafHash) {
		return nil, fail(ReasonLeafHash, "leafHash is not the RFC 6962 hash of the statement's leaf data")
	}
	if opts.Record != nil {
		got, err := tlog.RecordLeaf(st.Seq, opts.Record.MessageXML, opts.Record.Attachments...)
		if err != nil {
			return nil, fail(ReasonRecord, "%v", err)
		}
		if !bytes.Equal(got.Hash(), st.LeafHash) {
			return nil, fail(ReasonRecord, "the record's message.xml or attachments differ from what the receipt's leaf commits to")
		}
		res.RecordSeen = true
	}
	if r.Inclusion != nil {
		cp, err := checkpoint([]byte(r.Inclusion.Checkpoint), st.Origin, pub)
		if err != nil {
			return nil, err
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, r.Inclusion.Index, cp.Size, st.LeafHash, r.Inclusion.Proof, cp.Root); err != nil {
			return nil, fail(ReasonInclusion, "leaf %d in checkpoint of size %d: %v", r.Inclusion.Index, cp.Size, err)
		}
		res.Sealed, res.Checkpoint = true, cp
	}
	if opts.Checkpoint != nil {
		held, err := checkpoint(opts.Checkpoint, st.Origin, pub)
		if err != nil {
			return nil, err
		}
		res.Held = held
		if !res.Sealed {
			return nil, fail(ReasonNotSealed, "the receipt has no inclusion proof yet; fetch it again once the record is sealed")
		}
		if err := consistent(res.Checkpoint, held, r.Consistency); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// logKey is the key the receipt must verify with: the pinned
// certificate's, else the embedded certificate's. The embedded certificate
// and the keyId must agree with it.
func logKey(r *Receipt, pinned *x509.Certificate) (crypto.PublicKey, error) {
	cert := pinned
	if pinned != nil {
		if len(r.Certificate) != 0 && !bytes.Equal(r.Certificate, pinned.Raw) {
			return nil, fail(ReasonKey, "the receipt's certificate is not the one given")
		}
	} else {
		if len(r.Certificate) == 0 {
			if r.KeyID != nil {
				return nil, fail(ReasonKey, "a compact receipt (as a check's answer carries it) names the log key by keyId %x and has no certificate: "+
					"pass the log's certificate (tunduk evidence verify --cert FILE) or verify the full receipt from GET /v1/evidence/{recordId}, which embeds it", r.KeyID)
			}
			return nil, fail(ReasonKey, "no key given and the receipt has no certificate; pass the log's certificate")
		}
		c, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			return nil, fail(ReasonKey, "receipt certificate: %v", err)
		}
		cert = c
	}
	if r.KeyID != nil && !bytes.Equal(r.KeyID, KeyID(cert.RawSubjectPublicKeyInfo)) {
		return nil, fail(ReasonKey, "the receipt names key %x, the certificate's key is %x", r.KeyID, KeyID(cert.RawSubjectPublicKeyInfo))
	}
	return cert.PublicKey, nil
}

func checkpoint(signed []byte, origin string, pub crypto.PublicKey) (*tlog.Checkpoint, error) {
	cp, err := tlog.ParseCheckpoint(signed, origin, pub)
	switch {
	case errors.Is(err, tlog.ErrCheckpointOrigin):
		return nil, fail(ReasonCheckpointOrigin, "%v", err)
	case errors.Is(err, tlog.ErrCheckpointSignature):
		return nil, fail(ReasonCheckpointSignature, "%v", err)
	case err != nil:
		return nil, fail(ReasonCheckpointFormat, "%v", err)
	}
	return cp, nil
}

// consistent checks that a and b are views of one append-only tree, with a
// consistency proof from the receipt when their sizes differ.
func consistent(a, b *tlog.Checkpoint, proofs []Consistency) error {
	if a.Size == b.Size {
		if !bytes.Equal(a.Root, b.Root) {
			return fail(ReasonConsistency, "two checkpoints of size %d with different roots: the log was rewritten", a.Size)
		}
		return nil
	}
	small, big := a, b
	if small.Size > big.Size {
		small, big = big, small
	}
	for _, c := range proofs {
		if c.Size1 == small.Size && c.Size2 == big.Size {
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, small.Size, big.Size, c.Proof, small.Root, big.Root); err != nil {
				return fail(ReasonConsistency, "size %d → %d: %v", small.Size, big.Size, err)
			}
			return nil
		}
	}
	return fail(ReasonNoConsistency, "the receipt has no consistency proof from size %d to %d; fetch it with ?from=%d", small.Size, big.Size, small.Size)
}

func canonical(data []byte, v any) error {
	again, err := json.Marshal(v)
	if err != nil {
		return fail(ReasonMalformed, "%v", err)
	}
	a, err := generic(data)
	if err != nil {
		return fail(ReasonMalformed, "%v", err)
	}
	b, err := generic(again)
	if err != nil {
		return fail(ReasonMalformed, "%v", err)
	}
	if !reflect.DeepEqual(a, b) {
		return fail(ReasonMalformed, "not in canonical form (a key, base64 value or number differs from what tunduk writes)")
	}
	return nil
}

// generic decodes JSON keeping key names and number spellings exactly.
func generic(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}
