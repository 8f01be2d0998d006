package msglog

import (
	"bytes"
	"context"
	"strconv"
	"strings"
)

// Evidence is told of every record, so that a transparency log (see
// internal/signing/evidence) can keep a Merkle tree over the records and hand out
// receipts. It is optional (Options.Evidence) and sees the exact bytes the
// log seals.
type Evidence interface {
	// Appended is called once a record is durable, before Append returns.
	Appended(rec EvidenceRecord)
	// Sealed is called with each batch while it is signed (concurrently)
	// and returns before its seal is stored; an error fails the seal,
	// which is retried, so Sealed may see a record again and must skip
	// it. Its records are durable, so what Sealed commits to (a
	// checkpoint) stays true even when the batch's signature fails.
	Sealed(ctx context.Context, batch []EvidenceRecord) error
}

// EvidencePromised is optional: an Evidence that also implements it holds
// the leaf of the records it says it promised (computed in Appended from
// the same stored bytes), so Sealed gets those records without
// MessageXML and Attachments (nil) instead of a copy of their bytes.
type EvidencePromised interface {
	Promised(seq uint64) bool
}

// EvidenceGroups is optional: an Evidence that also implements it is told
// of each group commit of the journal before its appenders are woken
// (records of them reach Appended), so that it can sign the promises of a
// group together without guessing when the last has come. It runs on the
// journal's writer and must not block. A shared store announces nothing.
type EvidenceGroups interface {
	// Durable says that the seqs first…last were made durable together
	// and that records of them will reach Appended (fewer when an
	// Append gives up on its context after the write).
	Durable(first, last uint64, records int)
}

// EvidenceRecord is one record as the Evidence hook sees it.
type EvidenceRecord struct {
	Seq   uint64
	Group string // the archive group (see GroupBy)
	// Record is the record as appended (Appended only; nil in Sealed).
	Record *Record
	// MessageXML is message.xml as signed (with seq); Attachments are the
	// container's attachments in order.
	MessageXML  []byte
	Attachments [][]byte
	// MessageParts, when MessageXML is nil (Appended), are message.xml in
	// pieces: concatenated they are MessageXML (the journal's document
	// with the seq attribute spliced in, so that a digest of it needs no
	// copy).
	MessageParts [][]byte
}

func (l *Log) evidenceAppended(seq uint64, rec *Record, messageXML []byte, atts [][]byte) {
	r := *rec
	r.Seq = seq
	l.opts.Evidence.Appended(EvidenceRecord{Seq: seq, Group: l.groupOf(rec.Member), Record: &r,
		MessageParts: withSeqParts(messageXML, seq), Attachments: atts})
}

// withSeqParts is withSeq in pieces, without copying the document.
func withSeqParts(doc []byte, seq uint64) [][]byte {
	i := bytes.Index(doc, seqPrefix)
	if i < 0 {
		return [][]byte{doc}
	}
	i += len(seqPrefix)
	attr := strconv.AppendUint([]byte(` seq="`), seq, 10)
	return [][]byte{doc[:i:i], append(attr, '"'), doc[i:]}
}

func (l *Log) evidenceSealed(ctx context.Context, batch []pendingRecord) error {
	recs := make([]EvidenceRecord, len(batch))
	promised, _ := l.opts.Evidence.(EvidencePromised)
	for i, p := range batch {
		_, member, _ := strings.Cut(string(p.parts[0]), "|")
		recs[i] = EvidenceRecord{Seq: p.seq, Group: l.groupOf(member)}
		if promised == nil || !promised.Promised(p.seq) {
			recs[i].MessageXML, recs[i].Attachments = withSeq(p.parts[1], p.seq), p.parts[2:]
		}
	}
	return l.opts.Evidence.Sealed(ctx, recs)
}
