package msglog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/tunduk-kg/tunduk/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/signing/msglog/seal"
)

// sealMeta is the first part of a stored seal: which records it covers.
// The parts after it are signatures.xml and sig-hashchainresult.xml (empty
// for a directly signed record). The per-record sig-hashchain.xml files are
// not stored: they follow from the records and are rebuilt at rotation,
// where the rebuilt result must equal the stored, signed one.
type sealMeta struct {
	First   uint64 `json:"first"`
	UpTo    uint64 `json:"upTo"`
	Count   int    `json:"count"`
	Stamped bool   `json:"stamped,omitempty"`
}

// batchSeal is a decoded stored seal.
type batchSeal struct {
	sealMeta
	signature []byte
	result    []byte
}

func parseSealMeta(parts [][]byte) (*sealMeta, error) {
	if len(parts) == 0 {
		return nil, errors.New("empty seal")
	}
	var m sealMeta
	if err := json.Unmarshal(parts[0], &m); err != nil {
		return nil, fmt.Errorf("seal metadata: %w", err)
	}
	return &m, nil
}

func parseSeal(parts [][]byte) (*batchSeal, error) {
	m, err := parseSealMeta(parts)
	if err != nil {
		return nil, err
	}
	if len(parts) != 3 {
		return nil, fmt.Errorf("seal has %d parts, want 3", len(parts))
	}
	return &batchSeal{sealMeta: *m, signature: parts[1], result: parts[2]}, nil
}

// seqPrefix is how MarshalRecord starts the record element; withSeq puts
// the sequence number right after it, so the signed message.xml carries the
// record's id while the journal copy (written before the id is known) does
// not.
var seqPrefix = []byte(`<record xmlns="` + Namespace + `"`)

func withSeq(messageXML []byte, seq uint64) []byte {
	i := bytes.Index(messageXML, seqPrefix)
	if i < 0 {
		return messageXML
	}
	i += len(seqPrefix)
	attr := ` seq="` + strconv.FormatUint(seq, 10) + `"`
	out := make([]byte, 0, len(messageXML)+len(attr))
	out = append(out, messageXML[:i]...)
	out = append(out, attr...)
	return append(out, messageXML[i:]...)
}

// batchTree builds X-Road's Merkle hash chain over a batch: one input per
// record, its message.xml (with seq) followed by its attachments, hashed
// with SHA-512, exactly as seal.SignBatch does. It returns nil for a batch
// of one record without attachments, which is signed directly.
func batchTree(batch []pendingRecord) (*hashchain.Tree, error) {
	if len(batch) == 1 && len(batch[0].parts) <= 2 {
		return nil, nil
	}
	b, err := hashchain.NewBuilder(crypto.SHA512)
	if err != nil {
		return nil, err
	}
	for _, p := range batch {
		m := sha512.Sum512(withSeq(p.parts[1], p.seq))
		atts := make([][]byte, 0, len(p.parts)-2)
		for _, a := range p.parts[2:] {
			d := sha512.Sum512(a)
			atts = append(atts, d[:])
		}
		b.Add(m[:], atts...)
	}
	return b.Finish()
}

// sealBatch signs a batch with one signature (and one time-stamp when a
// TSA is configured) and returns the store payload of its seal. It signs
// the batch's sig-hashchainresult.xml with seal.Sign, as seal.SignBatch
// does, but leaves the per-record chains to rotation so that sealing costs
// one tree and one signature, not one chain document per record.
func (l *Log) sealBatch(ctx context.Context, batch []pendingRecord) ([]byte, error) {
	tree, err := batchTree(batch)
	if err != nil {
		return nil, fmt.Errorf("msglog: hash chain: %w", err)
	}
	opts := &seal.Options{Hash: crypto.SHA512, Now: l.opts.Now}
	var sig, result []byte
	if tree == nil {
		d := sha512.Sum512(withSeq(batch[0].parts[1], batch[0].seq))
		sig, err = seal.Sign(l.opts.Signer, l.opts.Certificate, seal.URIMessage, d[:], opts)
	} else {
		result = tree.Result(seal.URISigHashChain)
		d := sha512.Sum512(result)
		sig, err = seal.Sign(l.opts.Signer, l.opts.Certificate, seal.URISigHashChainRes, d[:], opts)
	}
	if err != nil {
		return nil, fmt.Errorf("msglog: sign batch: %w", err)
	}
	if l.opts.TSA != nil {
		// All records of the batch share one signature, so one token over
		// it, embedded as the XAdES SignatureTimeStamp, stamps the batch.
		stamped, _, err := seal.StampBatch(ctx, l.opts.TSA.Timestamp, [][]byte{sig})
		if err != nil {
			return nil, fmt.Errorf("msglog: time-stamp batch: %w", err)
		}
		sig = stamped[0]
	}
	meta, _ := json.Marshal(sealMeta{First: batch[0].seq, UpTo: batch[len(batch)-1].seq, Count: len(batch), Stamped: l.opts.TSA != nil})
	return encodeParts(kindSeal, meta, sig, result), nil
}

// batchChains rebuilds the per-record sig-hashchain.xml files of a sealed
// batch and checks the rebuilt result against the signed one.
func batchChains(batch []pendingRecord, bs *batchSeal) ([][]byte, error) {
	tree, err := batchTree(batch)
	if err != nil {
		return nil, err
	}
	chains := make([][]byte, len(batch))
	if tree == nil {
		if len(bs.result) != 0 {
			return nil, errors.New("stored seal has a hash chain result but the batch is signed directly")
		}
		return chains, nil
	}
	if !bytes.Equal(tree.Result(seal.URISigHashChain), bs.result) {
		return nil, errors.New("rebuilt hash chain result differs from the signed one")
	}
	for i := range batch {
		chains[i] = tree.Chain(i, seal.URIMessage)
	}
	return chains, nil
}
