package msglog

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync/atomic"
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

// EvidencePromises is optional: an Evidence that also implements it is
// handed each group commit's records on the journal's writer, after the
// fsync, and promises them (one signature per group or fewer); their
// Appends return once it calls done, so an appender finds its promise
// made without a second wait. Its Appended is not called for them. A
// shared store hands over nothing (Appended then).
type EvidencePromises interface {
	// Promise gets records as Appended does (Record and MessageParts
	// set), in seq order, and must call done exactly once (from any
	// goroutine) when their promises are stored or have failed: the
	// journal's writer goes on with the next group meanwhile, so Promise
	// should hand the work over and return. recs and their bytes stay
	// valid until done. Failures are the hook's to log, as in Appended.
	Promise(recs []EvidenceRecord, done func())
}

// evidenceTag travels with a record through the journal
// (store.AppendTagged), so that onDurable can hand it to
// EvidencePromises on the writer.
type evidenceTag struct {
	rec    Record // Append's copy; its Seq is set by the writer
	xmlDoc []byte
	atts   [][]byte
	// promised is set by the writer before the Append returns: the
	// record went to EvidencePromises.
	promised bool
}

// taggedStore is the journal's AppendTagged.
type taggedStore interface {
	AppendTagged(ctx context.Context, payload []byte, tag any) (uint64, error)
}

// evidencePromise hands the group's tagged records to EvidencePromises
// (on the writer), holding the group's Appends until they are promised
// and the func it returns (if not nil) is called: onDurable calls it once
// the records are in pending, so that a Seal after an Append seals it.
func (l *Log) evidencePromise(first uint64, tags []any, hold func() func()) func() {
	p, ok := l.opts.Evidence.(EvidencePromises)
	if !ok {
		return nil
	}
	var recs []EvidenceRecord
	for i, t := range tags {
		tag, ok := t.(*evidenceTag)
		if !ok {
			continue
		}
		if recs == nil {
			recs = make([]EvidenceRecord, 0, len(tags)-i)
		}
		// The appender waits for the writer and reads tag.rec no more
		// (nor when its context ends): the hook gets the record itself.
		seq := first + uint64(i)
		tag.rec.Seq = seq
		recs = append(recs, EvidenceRecord{Seq: seq, Group: l.groupOf(tag.rec.Member), Record: &tag.rec,
			MessageParts: withSeqParts(tag.xmlDoc, seq), Attachments: tag.atts})
		tag.promised = true
	}
	if len(recs) == 0 {
		return nil
	}
	release := hold()
	var left atomic.Int32 // the promises and onDurable
	left.Store(2)
	both := func() {
		if left.Add(-1) == 0 {
			release()
		}
	}
	p.Promise(recs, both)
	return both
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
