// Package evidence joins the signed message log to its transparency log: it
// is the msglog.Evidence hook that signs a receipt's statement (the
// promise) for every record as it becomes durable, adds the records' leaves
// to the per-group Merkle trees (signing/tlog) at every seal, signs a
// checkpoint and pushes it to the configured witnesses, and hands out the
// current receipt of a record (signing/receipt) with its inclusion proof.
//
// Statements are kept in Dir/statements.jsonl (one JSON line per record,
// fsynced at each seal alongside the leaves and before the checkpoint is
// signed), so receipts survive restarts. The checkpoint itself is not
// fsynced: signing/tlog signs it again on open when a crash lost it.
//
// Non-goals: verification (signing/receipt), serving HTTP (the gateway and
// the witness do), choosing the key (cmd/ wires the message-log signer).
package evidence

import (
	"bufio"
	"cmp"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/receipt"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// ErrUnknownRecord is returned by Receipt for a record the log never
// promised.
var ErrUnknownRecord = errors.New("evidence: no receipt for this record")

// Options configure a Log.
type Options struct {
	// Dir holds statements.jsonl and the trees (Dir/tlog).
	Dir string
	// Origin is the log's identity in checkpoints (e.g. "tunduk.example.kg/mlog").
	Origin string
	// Signer and Certificate are the message-log key and its certificate.
	Signer      crypto.Signer
	Certificate *x509.Certificate
	// TSA, when set, time-stamps every checkpoint.
	TSA tlog.Timestamper
	// Witnesses receive every new checkpoint (see Push).
	Witnesses []string
	// Logger (default zap.NewNop()).
	Logger *zap.Logger
}

// Log implements msglog.Evidence.
type Log struct {
	opts  Options
	tree  *tlog.Store
	mu    sync.Mutex
	f     *os.File
	index sparseIndex // seq → the blocks of statements.jsonl that may hold its line
	size  int64
	// syncMu guards synced, the size of statements.jsonl the last fsync
	// covered (-1 after load: the first seal fsyncs).
	syncMu sync.Mutex
	synced int64
	hub    *pusher
	// pending holds the statements of records promised and not sealed
	// yet (at most maxPending), so that the receipt a check answers with
	// right after its Append is not read back from the file.
	pending map[uint64]*pendingLine
	certB64 []byte // the certificate, base64, as a full receipt carries it
	keyID   []byte // receipt.KeyID of the certificate's key
	keyB64  string // keyID, base64
	// smu guards the groups waiting for their promises and whether a
	// caller is signing (see signLocked, Promise).
	smu     sync.Mutex
	ready   []*promiseGroup // waiting for the signer, in order
	queued  *promiseGroup   // the last Promise queued, until signed (see settle)
	signing bool
	signers sync.WaitGroup // Promise's signer goroutines (Close waits)
	lineBuf []byte         // the signer's statements.jsonl buffer (signBatch)
	// slowKey says the last promise signature took longer than
	// slowSignature: Promise then signs off the journal's writer.
	slowKey atomic.Bool
	// origins caches the checkpoint origin per group (copy on write,
	// under originMu).
	origins  atomic.Pointer[map[string]string]
	originMu sync.Mutex
}

type pendingLine struct {
	line
	check  string
	leaf   tlog.Leaf // the record's leaf, reused at the seal instead of hashing the record again
	hash   [32]byte  // its hash, reused at the seal instead of hashing the leaf again
	answer []byte    // AnswerJSON's receipt, written with the line
}

// maxPending bounds Log.pending (a batch is at most 10000 records by
// default; beyond the bound receipts are read from the file).
const maxPending = 16384

var (
	_ msglog.Evidence         = (*Log)(nil)
	_ msglog.EvidencePromised = (*Log)(nil)
	_ msglog.EvidencePromises = (*Log)(nil)
)

// line is one line of statements.jsonl.
type line struct {
	Seq       uint64          `json:"seq"`
	Statement json.RawMessage `json:"statement"`
	Signature []byte          `json:"signature"`
	Batch     *receipt.Batch  `json:"batch,omitempty"`
}

// maxLine bounds one statement line.
const maxLine = 64 << 10

// Open opens (or creates) the evidence log.
func Open(opts Options) (*Log, error) {
	if opts.Dir == "" || opts.Origin == "" || opts.Signer == nil || opts.Certificate == nil {
		return nil, errors.New("evidence: Options.Dir, Origin, Signer and Certificate are required")
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	l := &Log{opts: opts, pending: map[uint64]*pendingLine{},
		certB64: base64.StdEncoding.AppendEncode(nil, opts.Certificate.Raw),
		keyID:   receipt.KeyID(opts.Certificate.RawSubjectPublicKeyInfo)}
	l.keyB64 = base64.StdEncoding.EncodeToString(l.keyID)
	l.hub = newPusher(opts.Witnesses, opts.Logger)
	l.hub.log = l
	tr, err := tlog.Open(tlog.Options{Dir: filepath.Join(opts.Dir, "tlog"), Origin: opts.Origin,
		Signer: opts.Signer, TSA: opts.TSA, OnCheckpoint: l.hub.push})
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	l.tree = tr
	f, err := os.OpenFile(filepath.Join(opts.Dir, "statements.jsonl"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		tr.Close()
		return nil, fmt.Errorf("evidence: %w", err)
	}
	l.f = f
	if err := l.load(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// load indexes statements.jsonl; a torn last line (crash) is cut off.
// It reads the file once, streaming (one 64 KiB buffer), and keeps 40
// bytes per blockLines lines (see sparseIndex).
func (l *Log) load() error {
	r := bufio.NewReaderSize(l.f, maxLine)
	var off int64
	for {
		b, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("evidence: statements.jsonl: line at %d longer than 64 KiB", off)
		}
		if err == io.EOF {
			break // a partial last line is dropped below
		}
		if err != nil {
			return fmt.Errorf("evidence: read statements: %w", err)
		}
		seq, err := lineSeq(b)
		if err != nil {
			return fmt.Errorf("evidence: statements.jsonl at %d: %w", off, err)
		}
		l.index.add(seq, off)
		off += int64(len(b))
	}
	// The index without append's spare capacity.
	l.index.blocks = slices.Clone(l.index.blocks)
	l.size, l.synced = off, -1 // a crashed process may have left it unsynced
	if err := l.f.Truncate(off); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	_, err := l.f.Seek(off, io.SeekStart)
	return err
}

// Appended signs the record's statement (the promise) and stores it.
// Failures are logged: the record itself is durable, and a record without
// a promise still gets its leaf and inclusion proof at the seal.
func (l *Log) Appended(rec msglog.EvidenceRecord) {
	if err := l.promise(rec); err != nil {
		l.opts.Logger.Error("evidence: promise failed", zap.Uint64("seq", rec.Seq), zap.Error(err))
	}
}

// promiseReq is one record waiting for its promise to be signed. It is
// one allocation per record: the statement, the leaf and their digests
// (for up to inlineAtts attachments) live in it, the statement's digest
// slices pointing into the leaf's arrays.
type promiseReq struct {
	seq  uint64
	leaf tlog.Leaf
	st   receipt.Statement
	hash [32]byte // the leaf hash
	// The attachments' digests, as the leaf and the statement hold them.
	attDigests [inlineAtts][32]byte
	attSlices  [inlineAtts][]byte
}

// inlineAtts is how many attachment digests a promiseReq holds without
// another allocation (an exchange has a request and a response body).
const inlineAtts = 2

// promiseGroup is records whose promises are signed together: a group
// commit of the journal (Promise) or a record of Appended.
type promiseGroup struct {
	// recs and release are Promise's: the signer prepares recs (their
	// bytes stay valid until release) and calls release once signed.
	recs    []msglog.EvidenceRecord
	release func()
	reqs    []*promiseReq
	done    chan struct{} // closed once signed
	err     error
}

// promise signs the record's statement and stores it, for the records
// that reach Appended: the message log hands its own journal's records
// to Promise, so these are a shared store's and those of a log without
// EvidencePromises. Records that arrive while a batch is being signed
// are signed together next.
func (l *Log) promise(rec msglog.EvidenceRecord) error {
	g := &promiseGroup{reqs: []*promiseReq{{}}, done: make(chan struct{})}
	l.prepare(g.reqs[0], rec)
	l.smu.Lock()
	return l.signLocked(g)
}

// Promise promises a group commit's records (see msglog.EvidencePromises);
// done lets their Appends return once their promises are stored (so each
// appender finds its receipt at once, and waits only once). With a fast
// key (a signature within slowSignature: a file key's ECDSA takes tens of
// µs) the journal's writer signs them itself, before it goes on: handing
// each group to another goroutine costs more CPU (a goroutine and a
// thread woken per group: +0.9 µs a record in BenchmarkPromise, 7 %) than
// the writer's wait costs throughput. With a slow key (a PKCS#11 token,
// milliseconds a signature) Promise queues them for a signer goroutine and
// returns, so the journal goes on writing and fsyncing; groups that queue
// up while a batch is being signed are signed together next, with one
// signature. Failures are logged, as in Appended.
func (l *Log) Promise(recs []msglog.EvidenceRecord, done func()) {
	if len(recs) == 0 {
		done()
		return
	}
	g := &promiseGroup{recs: recs, release: done, done: make(chan struct{})}
	l.smu.Lock()
	l.ready = append(l.ready, g)
	l.queued = g
	if l.signing {
		l.smu.Unlock() // the signer takes it with its next batch
		return
	}
	l.signing = true
	if !l.slowKey.Load() {
		l.signReady()
		return
	}
	l.signers.Add(1)
	l.smu.Unlock()
	go func() {
		defer l.signers.Done()
		l.smu.Lock()
		l.signReady()
	}()
}

// slowSignature is how long a promise batch's signature may take before
// Promise hands the next groups to a signer goroutine (see Promise).
const slowSignature = 2 * time.Millisecond

// settle waits until the promises Promise has queued so far are signed
// (or have failed): Sealed, Promised and a receipt's lookup then see
// them in pending.
func (l *Log) settle() {
	l.smu.Lock()
	g := l.queued
	l.smu.Unlock()
	if g != nil {
		<-g.done
	}
}

// prepare computes the record's leaf and statement into req.
func (l *Log) prepare(req *promiseReq, rec msglog.EvidenceRecord) {
	req.seq = rec.Seq
	req.leaf = leafInto(rec, req.attDigests[:0])
	req.st.LeafVersion, req.st.MessageDigest = statementLeaf(req.leaf), req.leaf.MessageDigest[:]
	req.st.LeafHash = req.leaf.AppendHash(req.hash[:0])
	if n := len(req.leaf.AttachmentDigests); n > 0 {
		ds := req.attSlices[:0]
		if n > inlineAtts {
			ds = make([][]byte, 0, n)
		}
		for i := range req.leaf.AttachmentDigests {
			ds = append(ds, req.leaf.AttachmentDigests[i][:])
		}
		req.st.AttachmentDigests = ds
	}
	fillStatement(&req.st, l.origin(rec.Group), rec)
}

// signLocked signs the group g, with the groups that are ready
// meanwhile, or waits for the caller signing already to sign it. It is
// called holding smu and releases it.
func (l *Log) signLocked(g *promiseGroup) error {
	l.ready = append(l.ready, g)
	if l.signing {
		l.smu.Unlock()
		<-g.done
		return g.err
	}
	l.signing = true
	l.signReady()
	return g.err
}

// signReady signs the ready groups, one batch at a time, until none is
// left (one signer at a time: see signing). It is called holding smu,
// with signing set, and releases it.
func (l *Log) signReady() {
	for len(l.ready) > 0 {
		batch := l.ready
		l.ready = nil
		l.smu.Unlock()
		reqs := batch[0].prepared(l)
		for _, b := range batch[1:] {
			reqs = append(reqs[:len(reqs):len(reqs)], b.prepared(l)...)
		}
		err := l.signBatch(reqs)
		for _, b := range batch {
			b.err = err
			if b.release != nil {
				if err != nil {
					l.opts.Logger.Error("evidence: promises failed", zap.Uint64("first", b.recs[0].Seq), zap.Int("records", len(b.recs)), zap.Error(err))
				}
				b.recs = nil
				b.release()
			}
			close(b.done)
		}
		l.smu.Lock()
		if l.queued == batch[len(batch)-1] {
			l.queued = nil // settled: settle need not wait, nor the group stay reachable
		}
	}
	l.signing = false
	l.smu.Unlock()
}

// prepared returns the group's requests, preparing Promise's records
// (on the signer, off the journal's writer) into one allocation.
func (g *promiseGroup) prepared(l *Log) []*promiseReq {
	if g.recs == nil || g.reqs != nil {
		return g.reqs
	}
	reqs := make([]promiseReq, len(g.recs))
	g.reqs = make([]*promiseReq, len(g.recs))
	for i := range g.recs {
		l.prepare(&reqs[i], g.recs[i])
		g.reqs[i] = &reqs[i]
	}
	return g.reqs
}

// maxPromiseBatch bounds one batch signature's statements.
const maxPromiseBatch = 4096

func (l *Log) signBatch(reqs []*promiseReq) error {
	// The lines in seq order (the records of a group arrive in any
	// order): the sparse index's blocks then hold narrow, mostly
	// disjoint seq ranges, and a lookup reads one block.
	slices.SortFunc(reqs, func(a, b *promiseReq) int { return cmp.Compare(a.seq, b.seq) })
	for len(reqs) > maxPromiseBatch {
		if err := l.signBatch(reqs[:maxPromiseBatch]); err != nil {
			return err
		}
		reqs = reqs[maxPromiseBatch:]
	}
	sts := make([]*receipt.Statement, len(reqs))
	for i, r := range reqs {
		sts[i] = &r.st
	}
	t0 := time.Now()
	ps, err := receipt.NewPromises(sts, l.opts.Signer, nil)
	l.slowKey.Store(time.Since(t0) > slowSignature)
	if err != nil {
		return err
	}
	size := 0
	for _, p := range ps {
		size += len(p.Statement) + 64 + len(p.Signature)*4/3
		if p.Batch != nil {
			size += 48 * (len(p.Batch.Proof) + 1)
		}
	}
	// The lines' buffer is the signer's (one at a time, see promise):
	// the file write copies it, the held lines point into the statements.
	out := l.lineBuf[:0]
	if cap(out) < size {
		out = make([]byte, 0, size)
	}
	defer func() {
		if cap(out) <= 1<<20 {
			l.lineBuf = out[:0]
		}
	}()
	// One allocation for the batch's held lines (they leave pending
	// together, at one seal).
	pls := make([]pendingLine, len(reqs))
	lens := make([]int, len(reqs))
	// The compact receipts the answers carry share the lines' bytes from
	// "statement" on: written once here, copied into the line.
	tail := `,"keyId":"` + l.keyB64 + `"}`
	answers := make([]byte, 0, size+len(ps)*len(tail))
	for i, p := range ps {
		pls[i] = pendingLine{line: line{Seq: reqs[i].seq, Statement: p.Statement, Signature: p.Signature, Batch: p.Batch},
			check: reqs[i].st.Check, leaf: reqs[i].leaf, hash: reqs[i].hash}
		a := len(answers)
		answers = strconv.AppendInt(append(answers, `{"version":`...), receipt.Version, 10)
		body := len(answers)
		answers = pls[i].appendBody(answers)
		n := len(out)
		out = append(strconv.AppendUint(append(out, `{"seq":`...), reqs[i].seq, 10), answers[body:]...)
		out = append(out, "}\n"...)
		answers = append(answers, tail...)
		pls[i].answer = answers[a:len(answers):len(answers)]
		if lens[i] = len(out) - n; lens[i] > maxLine {
			return fmt.Errorf("statement of %d bytes", lens[i])
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(out); err != nil {
		return fmt.Errorf("write statements: %w", err)
	}
	off := l.size
	for i, r := range reqs {
		l.index.add(r.seq, off)
		off += int64(lens[i])
		if len(l.pending) < maxPending {
			l.pending[r.seq] = &pls[i]
		}
	}
	l.size = off
	return nil
}

// Statement builds the statement of a record (see receipt.Statement).
func Statement(origin string, rec msglog.EvidenceRecord) *receipt.Statement {
	return statement(origin, rec, leafOf(rec))
}

// leafOf is the record's leaf, from MessageXML or, without it, from
// MessageParts, in the version the record declares (leafVersion).
func leafOf(rec msglog.EvidenceRecord) tlog.Leaf {
	return leafInto(rec, nil)
}

// leafVersion is the leaf version a record declares: Record.Leaf as
// appended, else message.xml's record element (tlog.LeafVersionOf).
func leafVersion(rec msglog.EvidenceRecord) int {
	if rec.Record != nil {
		return max(rec.Record.Leaf, tlog.LeafV1)
	}
	return tlog.LeafVersionOf(rec.MessageXML)
}

// leafInto is leafOf with the attachment digests appended to atts (whose
// spare capacity saves an allocation), as tlog.NewLeaf digests them. A
// version 2 leaf hashes message.xml only: the bodies' SHA-512 digests in
// it were computed once at Append.
func leafInto(rec msglog.EvidenceRecord, atts [][32]byte) tlog.Leaf {
	leaf := tlog.Leaf{Version: leafVersion(rec), Seq: rec.Seq}
	if rec.MessageXML != nil || rec.MessageParts == nil {
		leaf.MessageDigest = sha256.Sum256(rec.MessageXML)
	} else {
		h := sha256.New()
		for _, p := range rec.MessageParts {
			h.Write(p)
		}
		h.Sum(leaf.MessageDigest[:0])
	}
	if leaf.Version != tlog.LeafV2 && len(rec.Attachments) > 0 {
		for _, a := range rec.Attachments {
			atts = append(atts, sha256.Sum256(a))
		}
		leaf.AttachmentDigests = atts
	}
	return leaf
}

// origin is l.tree.Origin(group), kept per group (a new string per
// record otherwise).
func (l *Log) origin(group string) string {
	if m := l.origins.Load(); m != nil {
		if o, ok := (*m)[group]; ok {
			return o
		}
	}
	o := l.tree.Origin(group)
	l.originMu.Lock()
	defer l.originMu.Unlock()
	m := map[string]string{}
	if old := l.origins.Load(); old != nil {
		if len(*old) >= maxOrigins {
			return o // many groups: not worth a copy of the map per new one
		}
		m = maps.Clone(*old)
	}
	m[group] = o
	l.origins.Store(&m)
	return o
}

// maxOrigins bounds the origins kept (one per archive group: a member, or
// a member's subsystem).
const maxOrigins = 1024

func statement(origin string, rec msglog.EvidenceRecord, leaf tlog.Leaf) *receipt.Statement {
	// The digests in one allocation: message, attachments, leaf hash.
	n := len(leaf.AttachmentDigests)
	ds := make([]byte, 0, 32*(n+2))
	ds = append(ds, leaf.MessageDigest[:]...)
	for _, d := range leaf.AttachmentDigests {
		ds = append(ds, d[:]...)
	}
	ds = leaf.AppendHash(ds)
	st := &receipt.Statement{LeafVersion: statementLeaf(leaf), MessageDigest: ds[:32:32], LeafHash: ds[32*(n+1):]}
	if n > 0 {
		st.AttachmentDigests = make([][]byte, n)
		for i := range n {
			st.AttachmentDigests[i] = ds[32*(i+1) : 32*(i+2) : 32*(i+2)]
		}
	}
	fillStatement(st, origin, rec)
	return st
}

// statementLeaf is a statement's LeafVersion for the leaf: 2, or 0
// (omitted) for version 1.
func statementLeaf(l tlog.Leaf) int {
	if l.Version == tlog.LeafV2 {
		return tlog.LeafV2
	}
	return 0
}

// fillStatement sets the statement's fields other than the digests.
func fillStatement(st *receipt.Statement, origin string, rec msglog.EvidenceRecord) {
	st.Origin, st.RecordID, st.Seq = origin, msglog.ID(rec.Seq), rec.Seq
	if r := rec.Record; r != nil {
		st.Time = r.Time
		if ex := r.Exchange; ex != nil {
			st.Check, st.Subjects, st.AnswerDigest = ex.Check, ex.Subjects, ex.Response.Digest
			st.MessageID, st.RequestHash, st.UserID = ex.MessageID, ex.RequestHash, ex.UserID
			st.Issue, st.RequestID = ex.Issue, ex.RequestID
		}
	}
}

// Promised says whether the record's leaf is held from its promise (see
// msglog.EvidencePromised): Sealed then needs no bytes for it.
func (l *Log) Promised(seq uint64) bool {
	l.mu.Lock()
	_, ok := l.pending[seq]
	l.mu.Unlock()
	if ok {
		return true
	}
	// Being signed (Promise queued it before the log could seal it)?
	l.settle()
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok = l.pending[seq]
	return ok
}

// Sealed adds the batch's leaves to the trees and signs the checkpoints.
// statements.jsonl is fsynced alongside the leaves (not under l.mu:
// promises go on being written, and answered with, meanwhile), and the
// checkpoints are signed once both are durable.
func (l *Log) Sealed(ctx context.Context, batch []msglog.EvidenceRecord) error {
	l.settle() // promises being signed hold their records' leaves
	// A record promised since the last restart has its leaf already:
	// both come from the same stored record bytes, so the promise's leaf
	// hash and the tree's agree by construction.
	entries := make([]tlog.Entry, len(batch))
	known := make([]bool, len(batch))
	l.mu.Lock()
	for i, r := range batch {
		if p, ok := l.pending[r.Seq]; ok {
			entries[i], known[i] = tlog.Entry{Group: r.Group, Leaf: p.leaf, Hash: p.hash[:]}, true
		}
	}
	l.mu.Unlock()
	for i, r := range batch {
		if !known[i] {
			if r.MessageXML == nil {
				return fmt.Errorf("evidence: record %d came without its bytes and has no promise held; the seal is retried", r.Seq)
			}
			entries[i] = tlog.Entry{Group: r.Group, Leaf: leafOf(r)}
		}
	}
	if err := l.tree.AddAlong(ctx, entries, l.syncStatements); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	l.mu.Lock()
	for _, r := range batch {
		delete(l.pending, r.Seq)
	}
	l.mu.Unlock()
	return nil
}

// syncStatements fsyncs statements.jsonl, unless nothing was written
// since the last fsync.
func (l *Log) syncStatements() error {
	l.mu.Lock()
	f, size := l.f, l.size
	l.mu.Unlock()
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if size == l.synced {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync statements: %w", err)
	}
	l.synced = size
	return nil
}

// Receipt returns the record's current receipt: the promise, and the
// inclusion proof once the record is sealed. When from is non-zero and
// smaller than the checkpoint's size, a consistency proof from a tree of
// that size is added (for a verifier holding an older checkpoint).
func (l *Log) Receipt(seq, from uint64) (*receipt.Receipt, error) {
	r, _, err := l.receipt(seq, from)
	return r, err
}

// ReceiptJSON is Receipt as JSON (what json.Marshal gives), the full
// form with the certificate (GET /v1/evidence/{recordId}), and the check
// the record was made for ("" for administrative records).
func (l *Log) ReceiptJSON(seq, from uint64) ([]byte, string, error) {
	return l.receiptJSON(seq, from, true)
}

// AnswerJSON is the compact receipt a check's answer carries: Receipt
// without the certificate (the keyId names the key; see signing/receipt).
func (l *Log) AnswerJSON(seq uint64) ([]byte, error) {
	b, _, err := l.receiptJSON(seq, 0, false)
	return b, err
}

// receiptJSON writes a promise, the receipt a check answers with, without
// reflection.
func (l *Log) receiptJSON(seq, from uint64, full bool) ([]byte, string, error) {
	if !full {
		l.mu.Lock()
		p := l.pending[seq]
		l.mu.Unlock()
		if p != nil && p.answer != nil {
			return p.answer, p.check, nil
		}
	}
	r, check, err := l.receipt(seq, from)
	if err != nil {
		return nil, "", err
	}
	if !full {
		r.Certificate = nil
	}
	if r.Inclusion != nil || r.Consistency != nil {
		b, err := json.Marshal(r)
		return b, check, err
	}
	b := make([]byte, 0, 160+len(r.Statement)+len(r.Signature)*4/3+len(l.certB64))
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, int64(r.Version), 10)
	b = append(b, `,"statement":`...)
	b = append(b, r.Statement...)
	b = appendSignature(b, r.Signature, r.Batch)
	b = append(b, `,"keyId":"`...)
	b = append(b, l.keyB64...)
	if full {
		b = append(b, `","certificate":"`...)
		b = append(b, l.certB64...)
	}
	b = append(b, `"}`...)
	return b, check, nil
}

func (l *Log) receipt(seq, from uint64) (*receipt.Receipt, string, error) {
	l.settle() // a promise being signed is not in pending nor the file yet
	l.mu.Lock()
	var ln line
	var err error
	check, known := "", false
	p, ok := l.pending[seq]
	var sp []span
	if ok {
		ln, check, known = p.line, p.check, true
	} else {
		sp = l.index.find(seq, l.size, make([]span, 0, 2))
	}
	l.mu.Unlock()
	if !known {
		// The blocks are written before they are indexed and never
		// rewritten: read without holding up the writers.
		ok, err = readSeq(l.f, seq, sp, &ln)
	}
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", ErrUnknownRecord, msglog.ID(seq))
	}
	if !known {
		var st struct {
			Check string `json:"check"`
		}
		if err := json.Unmarshal(ln.Statement, &st); err != nil {
			return nil, "", fmt.Errorf("evidence: statement of %s: %w", msglog.ID(seq), err)
		}
		check = st.Check
	}
	r := &receipt.Receipt{Version: receipt.Version, Statement: ln.Statement, Signature: ln.Signature,
		Batch: ln.Batch, KeyID: l.keyID, Certificate: l.opts.Certificate.Raw}
	if known {
		// Held since its promise: not sealed (or being sealed right
		// now), so the promise alone, without asking the trees.
		return r, check, nil
	}
	inc, err := l.tree.Prove(seq)
	if errors.Is(err, tlog.ErrUnknownRecord) {
		return r, check, nil // not sealed yet: the promise alone
	}
	if err != nil {
		return nil, "", fmt.Errorf("evidence: %w", err)
	}
	r.Inclusion = &receipt.Inclusion{Checkpoint: string(inc.Checkpoint), Index: inc.Index, Proof: inc.Proof}
	if from > 0 && from < inc.Size {
		p, err := l.tree.Consistency(inc.Group, from, inc.Size)
		if err != nil {
			return nil, "", fmt.Errorf("evidence: %w", err)
		}
		r.Consistency = []receipt.Consistency{{Size1: from, Size2: inc.Size, Proof: p}}
	}
	return r, check, nil
}

// appendSignature writes `,"signature":"…"` and the batch, as
// json.Marshal does.
func appendSignature(b, sig []byte, bt *receipt.Batch) []byte {
	b = append(b, `,"signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, sig)
	b = append(b, '"')
	if bt == nil {
		return b
	}
	b = append(b, `,"batch":{"index":`...)
	b = strconv.AppendUint(b, bt.Index, 10)
	b = append(b, `,"size":`...)
	b = strconv.AppendUint(b, bt.Size, 10)
	if bt.Proof == nil {
		return append(b, `,"proof":null}`...)
	}
	b = append(b, `,"proof":[`...)
	for i, h := range bt.Proof {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, h)
		b = append(b, '"')
	}
	return append(b, "]}"...)
}

// appendJSON writes the line as json.Marshal does, without reflection
// (the statement is already compact JSON).
func (ln *line) appendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, ln.Seq, 10)
	return append(ln.appendBody(b), '}')
}

// appendBody writes what a line and a receipt share:
// `,"statement":…,"signature":"…"` and the batch.
func (ln *line) appendBody(b []byte) []byte {
	b = append(b, `,"statement":`...)
	b = append(b, ln.Statement...)
	return appendSignature(b, ln.Signature, ln.Batch)
}

// Checkpoint is the latest signed checkpoint of a group ("" without
// grouping).
func (l *Log) Checkpoint(group string) []byte { return l.tree.Checkpoint(group) }

// Close waits for witness pushes in flight and closes the files.
func (l *Log) Close() error {
	l.signers.Wait() // the message log is closed first: no Promise comes after
	l.Flush()
	var err error
	if l.f != nil {
		err = l.f.Close()
	}
	if l.tree != nil {
		if cerr := l.tree.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
