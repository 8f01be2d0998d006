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

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
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
	// Format is the container format the batch was signed in (0 is 1:
	// seals written before format 2 existed).
	Format int `json:"format,omitempty"`
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
	return withRecordAttr(messageXML, "seq", strconv.FormatUint(seq, 10))
}

// withRecordAttr puts name="value" right after the record element's
// namespace (seqPrefix); a document without it is returned as is.
func withRecordAttr(doc []byte, name, value string) []byte {
	i := bytes.Index(doc, seqPrefix)
	if i < 0 {
		return doc
	}
	i += len(seqPrefix)
	attr := ` ` + name + `="` + value + `"`
	out := make([]byte, 0, len(doc)+len(attr))
	out = append(out, doc[:i]...)
	out = append(out, attr...)
	return append(out, doc[i:]...)
}

// batchSpecs returns the containers each record of a batch is archived as.
func batchSpecs(batch []pendingRecord, format int) ([][]containerSpec, error) {
	out := make([][]containerSpec, len(batch))
	for i, p := range batch {
		specs, err := containersOf(p.seq, p.parts, format)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", p.seq, err)
		}
		out[i] = specs
	}
	return out, nil
}

// batchTree builds X-Road's Merkle hash chain over a batch: one input per
// container, its message.xml followed by its further parts (attachments,
// exchange metadata), hashed with SHA-512, exactly as seal.SignBatch does.
// It returns nil for a batch of one container with no further parts,
// which is signed directly.
func batchTree(specs [][]containerSpec) (*hashchain.Tree, error) {
	n := 0
	var only *containerSpec
	for _, s := range specs {
		n += len(s)
		if len(s) > 0 {
			only = &s[0]
		}
	}
	if n == 1 && len(only.parts()) == 0 {
		return nil, nil
	}
	b, err := hashchain.NewBuilder(crypto.SHA512)
	if err != nil {
		return nil, err
	}
	// A record's request and response share its exchange metadata (one
	// slice): it is hashed once.
	var lastEx []byte
	var exDigest [sha512.Size]byte
	for _, s := range specs {
		for i := range s {
			var m [sha512.Size]byte
			if len(s[i].digest) == sha512.Size {
				copy(m[:], s[i].digest) // hashed once, at Append
			} else {
				m = sha512.Sum512(s[i].message)
			}
			atts := make([][]byte, 0, len(s[i].attachments)+1)
			for _, a := range s[i].attachments {
				d := sha512.Sum512(a)
				atts = append(atts, d[:])
			}
			if ex := s[i].exchange; ex != nil {
				if len(ex) == 0 || len(lastEx) != len(ex) || &lastEx[0] != &ex[0] {
					exDigest, lastEx = sha512.Sum512(ex), ex
				}
				d := exDigest
				atts = append(atts, d[:])
			}
			b.Add(m[:], atts...)
		}
	}
	return b.Finish()
}

// sealBatch signs a batch with one signature (and one time-stamp when a
// TSA is configured) and returns the store payload of its seal. It signs
// the batch's sig-hashchainresult.xml with seal.Sign, as seal.SignBatch
// does, but leaves the per-record chains to rotation so that sealing costs
// one tree and one signature, not one chain document per record.
func (l *Log) sealBatch(ctx context.Context, batch []pendingRecord) (*sealedBatch, error) {
	specs, err := batchSpecs(batch, FormatVersion)
	if err != nil {
		return nil, fmt.Errorf("msglog: containers: %w", err)
	}
	tree, err := batchTree(specs)
	if err != nil {
		return nil, fmt.Errorf("msglog: hash chain: %w", err)
	}
	opts := &seal.Options{Hash: crypto.SHA512, Now: l.opts.Now, OCSP: l.opts.OCSP}
	var sig, result []byte
	if tree == nil {
		d := sha512.Sum512(specs[0][0].message)
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
	m := sealMeta{First: batch[0].seq, UpTo: batch[len(batch)-1].seq, Count: len(batch), Stamped: l.opts.TSA != nil, Format: FormatVersion}
	meta, _ := json.Marshal(m)
	return &sealedBatch{payload: encodeParts(kindSeal, meta, sig, result), batch: batch, specs: specs, tree: tree,
		seal: batchSeal{sealMeta: m, signature: sig, result: result}}, nil
}

// sealedBatch is a batch as Seal signed it: the seal's store payload, and
// what rotation would otherwise rebuild from the journal (the records, their
// containers, the hash tree, the seal), handed to the archiver.
type sealedBatch struct {
	payload []byte
	batch   []pendingRecord
	specs   [][]containerSpec
	tree    *hashchain.Tree
	seal    batchSeal
	since   uint64 // every record from since up to the batch is in an earlier batch (Log.sealedSince)
}

// batchChains rebuilds the containers of a sealed batch and its hash tree
// (nil for a directly signed batch) and checks the rebuilt result against
// the signed one. The tree is ready for concurrent ChainURIs calls: the
// sig-hashchain.xml of each container is written where it is built.
func batchChains(batch []pendingRecord, bs *batchSeal) ([][]containerSpec, *hashchain.Tree, error) {
	format := max(bs.Format, FormatRecord)
	specs, err := batchSpecs(batch, format)
	if err != nil {
		return nil, nil, err
	}
	tree, err := batchTree(specs)
	if err != nil {
		return nil, nil, err
	}
	if tree == nil {
		if len(bs.result) != 0 {
			return nil, nil, errors.New("stored seal has a hash chain result but the batch is signed directly")
		}
		return specs, nil, nil
	}
	if !bytes.Equal(tree.Result(seal.URISigHashChain), bs.result) {
		return nil, nil, errors.New("rebuilt hash chain result differs from the signed one")
	}
	tree.EncodeAll()
	return specs, tree, nil
}
