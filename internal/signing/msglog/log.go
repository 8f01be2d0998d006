// Package msglog is tunduk's signed message log: every exchange through the
// gateway and the provider, and every administrative event (archive reads,
// catalog applies, key operations, retention), becomes a record that is
// durable before Append returns, is signed in batches in X-Road's format and
// is archived into X-Road-format mlog-*.zip archives.
//
// The pieces follow the split of transparency logs (tessera, rekor):
//
//   - store: durable append with group commit (many Appends, one fsync).
//   - hashchain and seal: one Merkle hash chain and one XAdES signature per
//     batch (signatures.xml, sig-hashchain*.xml, as the X-Road security
//     server writes them), optionally an RFC 3161 time-stamp per batch.
//   - asic: each record becomes an ASiC-E container; containers are rotated
//     into mlog-<first>-<last>-<16hex>.zip archives whose linkinginfo chains
//     every container and the previous archive.
//   - verify: the independent verifier; it never imports this package or
//     the store, so an auditor needs only the archives and certificates.
//
// A record's container holds message.xml (the record's metadata, namespace
// Namespace), attachment1 (the request body as sent) and attachment2 (the
// response body as received). In metadata-only mode the bodies are left out
// and message.xml keeps their SHA-512 digests and sizes.
//
// Crash safety: records and batch seals live in the store until an archive
// holding them has been committed (state.json written, then the .part files
// renamed); after a crash the Log resumes from the store, so an acknowledged
// record is never lost and every archive's linkinginfo continues the chain.
// For speed, each batch is written into the next archive's .part files as
// soon as it is sealed, from the records, containers and hash tree Seal
// already holds (see archiveAhead); the rotation only commits them, and
// anything not committed is archived again from the journal.
//
// Several gateways: with Options.Shared (package pgstore) every process
// appends to one store, and only the holder of the store's lease seals,
// rotates and applies retention, keeping the sealing state in the store;
// see SharedStore and Lease.
//
// Non-goals: the Log does not serve reads (see the access package), does not
// verify (see verify), and does not build keys (cmd/ wires a crypto.Signer).
package msglog

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// ErrBackpressure is returned (wrapped) by Append when the store's queue is
// full; callers answer 503 with Retry-After.
var ErrBackpressure = store.ErrBackpressure

var _ Store = (*store.Store)(nil)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("msglog: closed")

// Timestamper obtains an RFC 3161 time-stamp token (DER ContentInfo) over
// data (it hashes data itself for the request's imprint).
type Timestamper interface {
	Timestamp(ctx context.Context, data []byte) ([]byte, error)
}

// TimestamperFunc adapts a function, e.g. one wrapping internal/signing/tsa's
// Client.TimestampData, to Timestamper.
type TimestamperFunc func(ctx context.Context, data []byte) ([]byte, error)

// Timestamp calls f.
func (f TimestamperFunc) Timestamp(ctx context.Context, data []byte) ([]byte, error) {
	return f(ctx, data)
}

// GroupBy says how archives are grouped.
type GroupBy string

// Grouping modes: one chain for everything, one per member, one per
// member subsystem.
const (
	GroupNone      GroupBy = ""
	GroupMember    GroupBy = "member"
	GroupSubsystem GroupBy = "subsystem"
)

// Options configure a Log. Dir, ArchiveDir, Signer and Certificate are
// required; the rest have defaults.
type Options struct {
	// Dir holds the journal (the store) and state.json. It is not used
	// when Shared is set.
	Dir string
	// Shared, when set, replaces the journal in Dir by a store several
	// processes append to (package pgstore); the Log then seals and
	// rotates only while it holds the store's lease, and keeps its sealing
	// state in the store. ArchiveDir must then be the same directory for
	// every process (see README, "Several gateways on PostgreSQL"). The
	// Log closes it.
	Shared SharedStore
	// ArchiveDir receives the mlog-*.zip archives (one sub-directory per
	// group when grouping).
	ArchiveDir string
	// Signer signs each batch; Certificate is its certificate, embedded in
	// signatures.xml. Chain holds any intermediates.
	Signer      crypto.Signer
	Certificate *x509.Certificate
	Chain       []*x509.Certificate
	// TSA, when set, time-stamps every batch signature.
	TSA Timestamper
	// OCSP, when set, returns the signing certificate's OCSP response
	// (DER), embedded in every batch signature as X-Road does; see
	// seal.OCSPClient.
	OCSP func(cert *x509.Certificate) ([]byte, error)
	// BatchSize is the most records under one signature (default 10000).
	BatchSize int
	// BatchInterval is how often pending records are sealed (default 1s).
	BatchInterval time.Duration
	// RotateSize starts a new archive once this many bytes of sealed
	// records wait (default 100 MiB).
	RotateSize int64
	// RotateInterval starts a new archive at least this often when records
	// wait (default 24h).
	RotateInterval time.Duration
	// GroupBy groups archives by member or subsystem.
	GroupBy GroupBy
	// MetadataOnly replaces bodies by their digests.
	MetadataOnly bool
	// LeafVersion is the transparency-log leaf version the records
	// declare (signing/tlog): 2 (the default, 0) commits to message.xml,
	// whose SHA-512 digests commit to the bodies, so a leaf hashes
	// message.xml only; 1 also hashes every body (the records then are
	// byte for byte what tunduk wrote before version 2).
	LeafVersion int
	// EncryptionKey, when 32 bytes, encrypts archives at rest with
	// AES-256-GCM (see atrest); archive names then end in .zip.enc.
	EncryptionKey []byte
	// Retention, when set, is applied hourly by the background loop (see
	// ApplyRetention).
	Retention *Retention
	// QueueSize bounds appends waiting for fsync (default 65536).
	QueueSize int
	// QueueWait is how long an Append waits for room in a full queue
	// before failing with ErrBackpressure (default 2s); see store.Options.
	QueueWait time.Duration
	// GroupWindow is the store's group-commit window (default 1ms, negative
	// off); see store.Options.
	GroupWindow time.Duration
	// SegmentSize is the store's segment size (default 64 MiB).
	SegmentSize int64
	// Registerer, when set, receives the tunduk_msglog_* metrics.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger (default zap.NewNop()).
	Logger *zap.Logger
	// Evidence, when set, is told of every record and every sealed batch
	// (see Evidence).
	Evidence Evidence
}

func (o *Options) defaults() error {
	switch {
	case o.Dir == "" && o.Shared == nil:
		return errors.New("msglog: Options.Dir is empty")
	case o.ArchiveDir == "":
		return errors.New("msglog: Options.ArchiveDir is empty")
	case o.Signer == nil || o.Certificate == nil:
		return errors.New("msglog: Options.Signer and Options.Certificate are required")
	case len(o.EncryptionKey) != 0 && len(o.EncryptionKey) != 32:
		return errors.New("msglog: Options.EncryptionKey must be 32 bytes (AES-256)")
	case o.LeafVersion < 0 || o.LeafVersion > tlog.LeafV2:
		return fmt.Errorf("msglog: Options.LeafVersion %d: want 1 or 2 (0 is 2)", o.LeafVersion)
	}
	if o.LeafVersion == 0 {
		o.LeafVersion = tlog.LeafV2
	}
	switch o.GroupBy {
	case GroupNone, GroupMember, GroupSubsystem:
	default:
		return fmt.Errorf("msglog: unknown GroupBy %q", o.GroupBy)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10000
	}
	if o.BatchInterval <= 0 {
		o.BatchInterval = time.Second
	}
	if o.RotateSize <= 0 {
		o.RotateSize = 100 << 20
	}
	if o.RotateInterval <= 0 {
		o.RotateInterval = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return nil
}

// Log is an open message log. Its methods are safe for concurrent use.
type Log struct {
	opts  Options
	store Store

	lease       Lease       // with Shared: held while this Log seals and rotates
	tailFrom    uint64      // with Shared: the next seq tail reads
	nextLeadTry time.Time   // with Shared: when lead may try for the lease again
	sealer      atomic.Bool // with Shared: holds the lease (tunduk_msglog_sealer)

	mu          sync.Mutex
	pending     []pendingRecord // durable, not yet sealed, in seq order
	sealedBytes int64           // bytes sealed since the last rotation
	lastRotate  time.Time

	metrics *metrics

	sealMu   sync.Mutex // one Seal at a time
	rotateMu sync.Mutex // one rotation (or retention run) at a time; sealing goes on meanwhile
	state    *state
	ahead    *archiveAhead // guarded by rotateMu
	// archived counts the records committed to archives since Open and
	// aheadCount those archived ahead, not yet committed (benchmarks).
	archived, aheadCount atomic.Int64
	// sealed holds batches Seal handed to the archiver; taken only
	// with rotateMu held, so a rotation never misses one being archived.
	sealedMu    sync.Mutex
	sealed      []*sealedBatch
	queuedBytes int64         // stored bytes of sealed (sealedMu)
	sealedNew   chan struct{} // signals maintain that sealed has batches
	// sealedSince is where the next batch's records start to be the
	// next records in the journal: every record from it to the batch's
	// first is in an earlier batch sealed by this Log (sealMu).
	sealedSince uint64
	// sealedTo is sealedSince for rotation, which does not hold sealMu:
	// every sealed record in the journal is below it.
	sealedTo  atomic.Uint64
	stop      chan struct{}
	stopOnce  sync.Once
	done      chan struct{} // run has returned
	maintDone chan struct{} // maintain has returned
}

type pendingRecord struct {
	seq   uint64
	size  int      // stored payload bytes
	parts [][]byte // "<unix nanos>|<member>", message.xml (without seq), attachments…
}

// Open opens the log, recovering the store and any interrupted rotation,
// and starts background sealing and rotation.
func Open(opts Options) (*Log, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	l := &Log{opts: opts, stop: make(chan struct{}), done: make(chan struct{}), maintDone: make(chan struct{}),
		sealedNew: make(chan struct{}, 1)}
	if opts.Shared != nil {
		return l.openShared()
	}
	st, err := loadState(opts.Dir, opts.ArchiveDir)
	if err != nil {
		return nil, err
	}
	l.state = st
	if st.LastRotate.IsZero() {
		// Start the rotation clock now and remember it, so a log opened
		// briefly and often (the CLI's access log) still rotates on time.
		st.LastRotate = opts.Now()
		if err := st.save(opts.Dir); err != nil {
			return nil, err
		}
	}
	l.lastRotate = st.LastRotate
	s, err := store.Open(store.Options{
		Dir:         filepath.Join(opts.Dir, "journal"),
		SegmentSize: opts.SegmentSize,
		QueueSize:   opts.QueueSize,
		QueueWait:   opts.QueueWait,
		GroupWindow: opts.GroupWindow,
		Logger:      opts.Logger,
		OnDurable:   l.onDurable,
	})
	if err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	l.store = s
	if l.metrics, err = newMetrics(l, opts.Registerer); err != nil {
		s.Close()
		return nil, fmt.Errorf("msglog: metrics: %w", err)
	}
	// Reload what is durable but not yet sealed.
	if err := l.recoverPending(); err != nil {
		s.Close()
		return nil, err
	}
	// A short-lived process (the CLI's access log) may never live through
	// a rotation interval: rotate now if one is overdue.
	if l.sealedBytes > 0 && opts.Now().Sub(l.lastRotate) >= opts.RotateInterval {
		l.rotateMu.Lock()
		err := l.rotateLocked()
		l.rotateMu.Unlock()
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	go l.run()
	go l.maintain()
	return l, nil
}

// openShared starts a Log on a shared store: it appends at once and seals
// once it holds the lease (tried now and on every tick).
func (l *Log) openShared() (*Log, error) {
	l.store = l.opts.Shared
	var err error
	if l.metrics, err = newMetrics(l, l.opts.Registerer); err != nil {
		l.store.Close()
		return nil, fmt.Errorf("msglog: metrics: %w", err)
	}
	if reg := l.opts.Registerer; reg != nil {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: fq("sealer"),
			Help: "1 while this instance holds the shared log's sealer lease (it signs batches and rotates archives), else 0."},
			func() float64 {
				if l.sealer.Load() {
					return 1
				}
				return 0
			})
		if err := reg.Register(g); err != nil {
			l.store.Close()
			return nil, fmt.Errorf("msglog: metrics: %w", err)
		}
	}
	l.lead(context.Background())
	go l.run()
	go l.maintain()
	return l, nil
}

// onDurable is the store's hook: records enter pending in seq order, and
// the evidence hook is handed them (see EvidencePromises).
func (l *Log) onDurable(first uint64, payloads [][]byte, tags []any, hold func() func()) {
	// The promises are handed over before the records enter pending: a
	// seal that takes them then finds them promised, or being promised
	// (evidence waits for those), and never seals a record whose promise
	// comes after. Their Appends return once both are done.
	var entered func()
	if l.opts.Evidence != nil {
		entered = l.evidencePromise(first, tags, hold)
	}
	l.mu.Lock()
	for i, p := range payloads {
		kind, parts, err := decodeParts(p)
		if err != nil || kind != kindRecord {
			continue
		}
		l.pending = append(l.pending, pendingRecord{seq: first + uint64(i), size: len(p), parts: parts})
	}
	l.mu.Unlock()
	if entered != nil {
		entered()
	}
}

// recoverPending scans the store from the archive watermark: records after
// the last seal go back to pending; sealed bytes are counted for rotation.
func (l *Log) recoverPending() error {
	_, err := l.recoverPendingFrom(l.state.ScanFrom)
	return err
}

// recoverPendingFrom does recoverPending's work from seq from and returns
// the last seq it saw (from-1 when none). It sets sealedSince: the first
// batch sealed next starts at the first record from there on that no seal
// in the journal covers.
func (l *Log) recoverPendingFrom(from uint64) (uint64, error) {
	var unsealed []pendingRecord
	var sealed int64
	last := from - 1
	since := from
	err := l.store.Scan(from, func(seq uint64, payload []byte) error {
		last = seq
		kind, parts, err := decodeParts(payload)
		if err != nil {
			return fmt.Errorf("msglog: journal record %d: %w", seq, err)
		}
		switch kind {
		case kindRecord:
			cp := make([][]byte, len(parts))
			for i, p := range parts {
				cp[i] = append([]byte(nil), p...)
			}
			unsealed = append(unsealed, pendingRecord{seq: seq, size: len(payload), parts: cp})
			sealed += int64(len(payload))
		case kindSeal:
			m, err := parseSealMeta(parts)
			if err != nil {
				return fmt.Errorf("msglog: journal seal %d: %w", seq, err)
			}
			for len(unsealed) > 0 && unsealed[0].seq <= m.UpTo {
				unsealed = unsealed[1:]
			}
			since = max(since, m.UpTo+1)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, u := range unsealed {
		sealed -= int64(u.size)
	}
	l.mu.Lock()
	l.pending = append(unsealed, l.pending...)
	l.sealedBytes = sealed
	l.mu.Unlock()
	l.sealedSince = since
	l.sealedTo.Store(since)
	return last, nil
}

// Append stores a record and returns its sequence number once the record is
// durable (fsynced). It does not wait for the batch signature; the record
// is sealed within BatchInterval. Errors wrap ErrBackpressure when the
// queue stayed full for QueueWait (or until ctx ended).
func (l *Log) Append(ctx context.Context, r *Record) (uint64, error) {
	// The copy lives in the tag the journal hands the evidence hook (one
	// allocation for both).
	tag := &evidenceTag{rec: *r}
	rec := &tag.rec
	if rec.Exchange != nil {
		ex := *rec.Exchange
		rec.Exchange = &ex
	}
	rec.Seq, rec.Leaf = 0, 0
	if l.opts.LeafVersion == tlog.LeafV2 {
		rec.Leaf = tlog.LeafV2
	}
	if rec.Time.IsZero() {
		rec.Time = l.opts.Now()
	}
	rec.Time = rec.Time.UTC()
	atts, err := rec.prepare(l.opts.MetadataOnly)
	if err != nil {
		return 0, err
	}
	xmlDoc, err := MarshalRecord(rec)
	if err != nil {
		return 0, err
	}
	head := []byte(strconv.FormatInt(rec.Time.UnixNano(), 10) + "|" + rec.Member)
	parts := append([][]byte{head, xmlDoc}, atts...)
	start := time.Now()
	payload := encodeParts(kindRecord, parts...)
	var seq uint64
	if ts, ok := l.store.(taggedStore); ok && l.opts.Evidence != nil {
		tag.xmlDoc, tag.atts = xmlDoc, atts
		seq, err = ts.AppendTagged(ctx, payload, tag)
	} else {
		seq, err = l.store.Append(ctx, payload)
	}
	if err != nil {
		l.metrics.appendFailed(err)
		if errors.Is(err, store.ErrClosed) {
			return 0, ErrClosed
		}
		return 0, fmt.Errorf("msglog: append: %w", err)
	}
	l.metrics.appended.Inc()
	l.metrics.appendSeconds.Observe(time.Since(start).Seconds())
	if l.opts.Evidence != nil && !tag.promised {
		l.evidenceAppended(seq, rec, xmlDoc, atts)
	}
	return seq, nil
}

// run seals every BatchInterval (or sooner when a batch is full).
func (l *Log) run() {
	defer close(l.done)
	tick := time.NewTicker(l.opts.BatchInterval / 4)
	defer tick.Stop()
	lastSeal := l.opts.Now()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		if l.opts.Shared != nil && !l.leadAndTail() {
			continue
		}
		l.mu.Lock()
		n := len(l.pending)
		l.mu.Unlock()
		now := l.opts.Now()
		if n >= l.opts.BatchSize || (n > 0 && now.Sub(lastSeal) >= l.opts.BatchInterval) {
			if err := l.Seal(context.Background()); err != nil {
				l.opts.Logger.Error("msglog: sealing failed; will retry", zap.Error(err))
			}
			lastSeal = now
		}
	}
}

// maintain archives each batch Seal hands it ahead of rotation, rotates
// when RotateSize or RotateInterval is reached and applies retention
// hourly. It runs beside run so that a long rotation never delays batch
// signatures.
func (l *Log) maintain() {
	defer close(l.maintDone)
	tick := time.NewTicker(max(l.opts.BatchInterval, 100*time.Millisecond))
	defer tick.Stop()
	var lastRetention time.Time
	for {
		select {
		case <-l.stop:
			return
		case <-l.sealedNew:
			l.rotateMu.Lock()
			l.archiveQueuedLocked()
			l.rotateMu.Unlock()
			continue
		case <-tick.C:
		}
		now := l.opts.Now()
		l.mu.Lock()
		due := l.sealedBytes >= l.opts.RotateSize || (l.sealedBytes > 0 && now.Sub(l.lastRotate) >= l.opts.RotateInterval)
		l.mu.Unlock()
		if due {
			l.rotateMu.Lock()
			err := l.rotateLocked()
			l.rotateMu.Unlock()
			if err != nil {
				l.opts.Logger.Error("msglog: rotation failed; will retry", zap.Error(err))
			}
		}
		if l.opts.Retention != nil && now.Sub(lastRetention) >= time.Hour {
			lastRetention = now
			if _, err := l.ApplyRetention(context.Background(), *l.opts.Retention); err != nil {
				l.opts.Logger.Error("msglog: retention failed; will retry", zap.Error(err))
			}
		}
	}
}

// Seal signs every record pending when it is called, in batches of at
// most BatchSize, and stores each batch's seal durably; records appended
// meanwhile wait for the next Seal.
func (l *Log) Seal(ctx context.Context) error {
	l.sealMu.Lock()
	defer l.sealMu.Unlock()
	if !l.leading() {
		return nil
	}
	if l.opts.Shared != nil {
		// Everything appended so far, by any instance, is sealed now.
		if err := l.tail(); err != nil {
			return err
		}
	}
	// Seal what is pending now, not what arrives while it signs: chasing
	// the appends would sign batch after batch of the few records each
	// fsync brings, one signature and one journal write apiece.
	l.mu.Lock()
	var upTo uint64
	if len(l.pending) > 0 {
		upTo = l.pending[len(l.pending)-1].seq
	}
	l.mu.Unlock()
	for {
		l.mu.Lock()
		n := min(len(l.pending), l.opts.BatchSize)
		n = sort.Search(n, func(i int) bool { return l.pending[i].seq > upTo })
		batch := l.pending[:n:n]
		l.mu.Unlock()
		if n == 0 {
			return nil
		}
		start := time.Now()
		// The evidence (leaves fsynced, a checkpoint signed) goes on
		// while the batch is signed: the seal waits for the longer of
		// the two, not their sum. Both only read the batch.
		var evErr error
		evDone := make(chan struct{})
		if l.opts.Evidence != nil {
			go func() {
				defer close(evDone)
				evErr = l.evidenceSealed(ctx, batch)
			}()
		} else {
			close(evDone)
		}
		sb, err := l.sealBatch(ctx, batch)
		<-evDone
		if err != nil {
			l.metrics.sealErrs.Inc()
			return err
		}
		if evErr != nil {
			l.metrics.sealErrs.Inc()
			return fmt.Errorf("msglog: evidence: %w", evErr)
		}
		if _, err := l.appendSeal(ctx, sb.payload); err != nil {
			l.metrics.sealErrs.Inc()
			if l.opts.Shared != nil {
				// The seal may have committed with its answer lost: give
				// the lease up, so the next sealer (maybe this one again)
				// starts from what the store holds and never seals twice.
				_ = l.lease.Release()
			}
			return fmt.Errorf("msglog: store seal: %w", err)
		}
		l.metrics.sealSeconds.Observe(time.Since(start).Seconds())
		l.metrics.sealed.Add(float64(n))
		var size int64
		for _, p := range batch {
			size += int64(p.size)
		}
		l.mu.Lock()
		l.pending = l.pending[n:]
		l.sealedBytes += size
		l.mu.Unlock()
		if l.opts.Shared == nil {
			// Archive it ahead of rotation (see archiveAhead); when the
			// archiver is behind, rotation reads it from the journal.
			sb.since, l.sealedSince = l.sealedSince, sb.seal.UpTo+1
			l.sealedTo.Store(l.sealedSince)
			l.queueSealed(sb)
		}
		l.opts.Logger.Debug("msglog: sealed batch", zap.Int("records", n),
			zap.Uint64("upTo", batch[n-1].seq), zap.Duration("took", time.Since(start)))
	}
}

// Stats reports the journal's fsync groups and records written since Open;
// records/groups is how many appends shared each fsync.
func (l *Log) Stats() (groups, records uint64) { return l.store.Stats() }

// LastSeq is the highest durable sequence number.
func (l *Log) LastSeq() uint64 { return l.store.LastSeq() }

// Close seals what is pending, stops the background work and closes the
// store. It does not rotate: records wait in the journal for the next
// rotation (after the next Open) unless the caller calls Rotate first.
func (l *Log) Close() error {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
	<-l.maintDone
	err := l.Seal(context.Background())
	l.rotateMu.Lock()
	l.abortAhead() // its records wait in the journal for the next rotation
	l.rotateMu.Unlock()
	if l.lease != nil {
		_ = l.lease.Release()
	}
	if cerr := l.store.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("msglog: %w", cerr)
	}
	return err
}
