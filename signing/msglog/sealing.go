package msglog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/tunduk-kg/tunduk/signing/msglog/seal"
)

// sealMeta is the first part of a stored seal: which records it covers.
// The parts after it are signatures.xml, sig-hashchainresult.xml (empty for
// a directly signed record), then one sig-hashchain.xml per record, and
// when stamped in a hash chain the token, ts-hashchainresult.xml and one
// ts-hashchain.xml per record.
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
	chains    [][]byte
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
	if len(parts) != 3+m.Count {
		return nil, fmt.Errorf("seal covers %d records but has %d parts", m.Count, len(parts))
	}
	return &batchSeal{sealMeta: *m, signature: parts[1], result: parts[2], chains: parts[3:]}, nil
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

// sealBatch signs a batch with one signature (and one time-stamp when a
// TSA is configured) and returns the store payload of its seal.
func (l *Log) sealBatch(ctx context.Context, batch []pendingRecord) ([]byte, error) {
	msgs := make([]seal.Message, len(batch))
	for i, p := range batch {
		msgs[i] = seal.Message{Body: withSeq(p.parts[1], p.seq), Attachments: p.parts[2:]}
	}
	seals, err := seal.SignBatch(l.opts.Signer, l.opts.Certificate, msgs, &seal.Options{Now: l.opts.Now})
	if err != nil {
		return nil, fmt.Errorf("msglog: sign batch: %w", err)
	}
	sig := seals[0].Signature
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
	parts := make([][]byte, 0, 3+len(batch))
	parts = append(parts, meta, sig, seals[0].HashChainResult)
	for _, s := range seals {
		parts = append(parts, s.HashChain)
	}
	return encodeParts(kindSeal, parts...), nil
}
