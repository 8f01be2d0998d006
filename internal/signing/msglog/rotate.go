package msglog

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
)

// Rotate seals what is pending and moves every record sealed by then from
// the journal into archives, one per group, each linking to the group's
// previous archive. It is called by the background loop when RotateSize or
// RotateInterval is reached; callers may call it directly (tests, shutdown).
// With a shared store only the sealer (the lease holder) seals and rotates;
// elsewhere Rotate does nothing.
func (l *Log) Rotate(ctx context.Context) error {
	if err := l.Seal(ctx); err != nil {
		return err
	}
	l.rotateMu.Lock()
	defer l.rotateMu.Unlock()
	return l.rotateLocked()
}

// RotateSealed archives what is sealed now without sealing first, as the
// background rotation does; records waiting for their signature stay in
// the journal for the next rotation.
func (l *Log) RotateSealed(ctx context.Context) error {
	l.rotateMu.Lock()
	defer l.rotateMu.Unlock()
	return l.rotateLocked()
}

// groupOf maps a record's member identifier to its archive group.
func (l *Log) groupOf(member string) string {
	if l.opts.GroupBy == GroupNone {
		return ""
	}
	parts := strings.Split(member, "/")
	n := 3
	if l.opts.GroupBy == GroupSubsystem {
		n = 4
	}
	if member == "" || len(parts) < 3 {
		return "local"
	}
	return strings.Join(parts[:min(n, len(parts))], "/")
}

// GroupDir is the directory holding a group's archives: archiveDir itself
// when not grouping, else a sub-directory named by the identifier with '/'
// replaced by '_' (central-server_GOV_70000001_portal).
func GroupDir(archiveDir, group string) string {
	if group == "" {
		return archiveDir
	}
	return filepath.Join(archiveDir, strings.ReplaceAll(group, "/", "_"))
}

// archiveAhead is rotation's work done before the rotation: sealed
// batches already written, in journal order, into the open .part files of
// the next archives. Nothing of it is committed: the rotation commits it
// (state.json, then renames), a failure or Close drops it and the records
// stay in the journal, from which the next rotation archives them again —
// crash safety is the rotation's. Only a Log with its journal in Dir
// archives ahead; with a shared store the lease may move between batches,
// so the sealer archives at rotation.
//
// Seal hands each sealed batch (records, containers, hash tree, signature)
// to maintain, which writes it at once when it follows what is archived so
// far: the rotation then neither re-reads those records from the journal
// nor rebuilds their tree, and it overlaps the appends instead of following
// them. A batch that does not follow (one was dropped because the archiver
// was behind, or the journal holds older sealed batches after a restart)
// is read from the journal as rotation always did.
type archiveAhead struct {
	writers map[string]*archiveWriter
	builder *containerBuilder
	from    uint64 // the next journal seq to read: every record before it is archived
	count   int    // records archived
	bytes   int64  // their stored bytes
}

// sealedQueue and sealedQueueBytes bound the sealed batches waiting for
// the archiver: Seal always queues up to sealedQueue of them, and more while
// their stored bytes stay within sealedQueueBytes; beyond that it leaves the
// next batches to rotation's journal read. Reading a batch back from the
// journal costs ~25-30 µs of CPU per record more than archiving it from
// memory, so a queue of two dropped batches whenever a burst of seals met a
// slow archive write, and the extra CPU slowed the archiver further
// (BenchmarkSustained/msg=1KiB/callers=256: a 64 MiB bound gave +7 %
// records/s, see the commit). 64 MiB bounds the memory held for it.
const (
	sealedQueue      = 2
	sealedQueueBytes = 64 << 20
)

// queueSealed hands sb to the archiver (maintain).
func (l *Log) queueSealed(sb *sealedBatch) {
	size := sb.storedBytes()
	l.sealedMu.Lock()
	if len(l.sealed) < sealedQueue || l.queuedBytes+size <= sealedQueueBytes {
		l.sealed = append(l.sealed, sb)
		l.queuedBytes += size
	}
	l.sealedMu.Unlock()
	select {
	case l.sealedNew <- struct{}{}:
	default:
	}
}

// storedBytes is the stored payload size of the batch's records.
func (sb *sealedBatch) storedBytes() int64 {
	var n int64
	for i := range sb.batch {
		n += int64(sb.batch[i].size)
	}
	return n
}

// archiveQueuedLocked archives the batches Seal handed over. Callers hold
// rotateMu.
func (l *Log) archiveQueuedLocked() {
	for {
		l.sealedMu.Lock()
		var sb *sealedBatch
		if len(l.sealed) > 0 {
			sb = l.sealed[0]
			l.sealed[0] = nil
			l.sealed = l.sealed[1:]
			l.queuedBytes -= sb.storedBytes()
		}
		l.sealedMu.Unlock()
		if sb == nil {
			return
		}
		if err := l.archiveSealedBatch(sb); err != nil {
			l.opts.Logger.Warn("msglog: archiving a sealed batch ahead of rotation failed; rotation will read it from the journal", zap.Error(err))
		}
	}
}

// WaitArchived returns once every batch Seal handed to the archiver so
// far is archived ahead of rotation (or left to rotation's journal read):
// it waits for the archiver's batch in progress and archives what is still
// queued itself. Benchmarks call it between rounds, so that the archiving
// a round's last seal started does not land in the next round.
func (l *Log) WaitArchived() {
	l.rotateMu.Lock()
	defer l.rotateMu.Unlock()
	l.archiveQueuedLocked()
}

// aheadLocked returns the archive-ahead in progress, starting one at the
// state's scan position if none. Callers hold rotateMu.
func (l *Log) aheadLocked() *archiveAhead {
	if l.ahead == nil {
		l.ahead = &archiveAhead{writers: map[string]*archiveWriter{}, from: l.state.ScanFrom,
			builder: newContainerBuilder(runtime.GOMAXPROCS(0))}
	}
	return l.ahead
}

// abortAhead drops the uncommitted archives. Callers hold rotateMu.
func (l *Log) abortAhead() {
	if l.ahead == nil {
		return
	}
	for _, w := range l.ahead.writers {
		w.abort()
	}
	l.ahead = nil
	l.aheadCount.Store(0)
}

// archiveSealedBatch archives sb ahead of rotation, directly when it
// follows what is archived, else by reading the journal. Callers hold
// rotateMu.
func (l *Log) archiveSealedBatch(sb *sealedBatch) error {
	if l.opts.Shared != nil || l.state == nil {
		return nil
	}
	a := l.aheadLocked()
	if sb.seal.UpTo < a.from {
		return nil // the journal read archived it already
	}
	if sb.since > a.from || a.from > sb.seal.First {
		// Records before the batch may not be archived yet.
		return l.archiveJournalLocked()
	}
	err := l.archiveBatchLocked(a, sb.batch, sb.specs, sb.tree, &sb.seal)
	if err != nil {
		l.abortAhead()
		return err
	}
	a.from = sb.seal.UpTo + 1
	return nil
}

// archiveBatchLocked writes a sealed batch's containers into a's archives.
func (l *Log) archiveBatchLocked(a *archiveAhead, batch []pendingRecord, specs [][]containerSpec, tree *hashchain.Tree, bs *batchSeal) error {
	if tree != nil {
		tree.EncodeAll()
	}
	jobs, err := l.containerJobs(batch, specs, tree != nil, l.state, a.writers)
	if err != nil {
		return err
	}
	if err := l.archiveBatch(a.builder, jobs, tree, bs); err != nil {
		return err
	}
	for _, w := range a.writers {
		w.settle()
	}
	for i := range batch {
		a.count++
		a.bytes += int64(batch[i].size)
	}
	l.aheadCount.Store(int64(a.count))
	return nil
}

// archiveJournalLocked archives every sealed batch the journal holds from
// the archive-ahead's position on. Callers hold rotateMu.
func (l *Log) archiveJournalLocked() error {
	a := l.aheadLocked()
	var queue []pendingRecord
	last := a.from - 1
	err := l.store.Scan(a.from, func(seq uint64, payload []byte) error {
		last = seq
		kind, parts, err := decodeParts(payload)
		if err != nil {
			return fmt.Errorf("msglog: journal record %d: %w", seq, err)
		}
		switch kind {
		case kindRecord:
			// The scan reuses payload's memory: keep one copy of it.
			_, own, _ := decodeParts(bytes.Clone(payload))
			queue = append(queue, pendingRecord{seq: seq, size: len(payload), parts: own})
			return nil
		case kindSeal:
		case kindVoid:
			return nil // a quarantined record's number, not archived
		default:
			return fmt.Errorf("msglog: journal record %d: unknown kind %d", seq, kind)
		}
		bs, err := parseSeal(parts)
		if err != nil {
			return fmt.Errorf("msglog: journal seal %d: %w", seq, err)
		}
		if bs.UpTo < a.from {
			// Its records are archived already: by the previous
			// rotation, which saw this seal but had to start the next
			// scan before it, at records that arrived while the batch
			// was being signed, or ahead of this one.
			return nil
		}
		if len(queue) < bs.Count || queue[0].seq != bs.First || queue[bs.Count-1].seq != bs.UpTo {
			var have []uint64
			for _, q := range queue {
				have = append(have, q.seq)
			}
			return fmt.Errorf("msglog: journal seal %d covers %d..%d (%d records) but the unsealed records from %d are %v", seq, bs.First, bs.UpTo, bs.Count, a.from, have)
		}
		specs, tree, err := batchChains(queue[:bs.Count], bs)
		if err != nil {
			return fmt.Errorf("msglog: journal seal %d: %w", seq, err)
		}
		if err := l.archiveBatchLocked(a, queue[:bs.Count], specs, tree, bs); err != nil {
			return err
		}
		queue = queue[bs.Count:]
		return nil
	})
	if err != nil {
		l.abortAhead()
		return err
	}
	if len(queue) > 0 {
		a.from = queue[0].seq
	} else {
		a.from = last + 1
	}
	return nil
}

func (l *Log) rotateLocked() error {
	if !l.leading() {
		return nil
	}
	start := time.Now()
	// What Seal handed over is archived first, then the rest is read
	// from the journal, unless every sealed record is archived already
	// (the journal from there on holds only records waiting for their
	// seal, which the read would copy and drop).
	l.archiveQueuedLocked()
	if l.opts.Shared != nil || l.aheadLocked().from < l.sealedTo.Load() {
		if err := l.archiveJournalLocked(); err != nil {
			return err
		}
	}
	a := l.ahead
	if l.opts.Shared != nil {
		l.ahead = nil // the lease may move before the next rotation
	}
	if len(a.writers) == 0 {
		return nil
	}
	l.ahead = nil
	abort := func() {
		for _, w := range a.writers {
			w.abort()
		}
		l.aheadCount.Store(0)
	}
	st := l.state
	next := &state{ScanFrom: a.from, Groups: map[string]*groupState{}, LastRotate: l.opts.Now()}
	for g, gs := range st.Groups {
		next.Groups[g] = gs
	}
	for g, w := range a.writers {
		gs, err := w.finish()
		if err != nil {
			abort()
			return err
		}
		next.Groups[g] = gs
		next.Renames = append(next.Renames, rename{Part: w.part, Final: w.final})
	}
	// Commit point: once state.json names the new archives they exist,
	// even if the renames below are interrupted (Open finishes them).
	if err := l.saveState(next); err != nil {
		if l.opts.Shared != nil {
			// The commit may have happened with its answer lost. Give
			// the lease up and leave the parts: the next sealer reads the
			// state and renames them if it names them, else removes them.
			_ = l.lease.Release()
			return err
		}
		abort()
		return err
	}
	for _, r := range next.Renames {
		if err := atomicfile.Rename(r.Part, r.Final); err != nil {
			return fmt.Errorf("msglog: rotate: %w", err)
		}
	}
	l.state = next
	l.archived.Add(int64(a.count))
	l.aheadCount.Store(0)
	if err := l.store.Release(next.ScanFrom); err != nil {
		l.opts.Logger.Warn("msglog: could not release archived journal segments", zap.Error(err))
	}
	l.mu.Lock()
	l.sealedBytes = max(0, l.sealedBytes-a.bytes)
	l.lastRotate = l.opts.Now()
	l.mu.Unlock()
	for _, r := range next.Renames {
		l.metrics.archives.Inc()
		l.opts.Logger.Info("msglog: archive written", zap.String("archive", r.Final))
	}
	l.opts.Logger.Info("msglog: rotated", zap.Int("records", a.count), zap.Int("archives", len(a.writers)), zap.Duration("took", time.Since(start)))
	return nil
}

// containerJobs lists a sealed batch's containers in order, opening the
// archive writer of each record's group as needed.
func (l *Log) containerJobs(batch []pendingRecord, specs [][]containerSpec, chained bool, st *state, writers map[string]*archiveWriter) ([]containerJob, error) {
	jobs := make([]containerJob, 0, 2*len(batch))
	for i := range batch {
		rec := &batch[i]
		if len(rec.parts) < 2 {
			return nil, fmt.Errorf("msglog: journal record %d: too few parts", rec.seq)
		}
		nanos, member, _ := strings.Cut(string(rec.parts[0]), "|")
		ns, _ := strconv.ParseInt(nanos, 10, 64)
		group := l.groupOf(member)
		w := writers[group]
		if w == nil {
			gs := st.Groups[group]
			if gs == nil {
				gs = &groupState{}
			}
			var err error
			w, err = newArchiveWriter(GroupDir(l.opts.ArchiveDir, group), l.myPartPrefix(), st.ScanFrom, gs, l.opts.EncryptionKey, l.opts.Now())
			if err != nil {
				return nil, err
			}
			writers[group] = w
		}
		for j := range specs[i] {
			leaf := -1
			if chained {
				leaf = len(jobs)
			}
			jobs = append(jobs, containerJob{w: w, rec: rec, spec: &specs[i][j], leaf: leaf, t: time.Unix(0, ns)})
		}
	}
	return jobs, nil
}

// archiveBatch builds a sealed batch's containers on all cores (each
// with its sig-hashchain.xml, from tree) and writes them in order.
func (l *Log) archiveBatch(builder *containerBuilder, jobs []containerJob, tree *hashchain.Tree, bs *batchSeal) error {
	return builder.run(len(jobs), func(k int) int { return jobs[k].spec.size() },
		func(p *asic.Packer, k int) ([]byte, error) {
			j := &jobs[k]
			var chain []byte
			if j.leaf >= 0 {
				buf, _ := chainBufs.Get().(*[]byte)
				if buf == nil {
					buf = new([]byte)
				}
				defer chainBufs.Put(buf)
				chain = tree.AppendChainURIs((*buf)[:0], j.leaf, j.spec.uris())
				*buf = chain
			}
			c, err := buildContainer(p, j.spec, bs.signature, bs.result, chain, j.t, jobs[0].t)
			if err != nil {
				return nil, fmt.Errorf("msglog: container for record %d: %w", j.rec.seq, err)
			}
			return c, nil
		},
		func(k int, ctr, digest []byte, crc uint32) error {
			j := &jobs[k]
			return j.w.add(entryName(j.rec.seq, j.spec.suffix), ctr, digest, crc, j.rec.seq, j.t)
		})
}

// chainBufs holds the buffers archiveBatch writes each container's
// sig-hashchain.xml into; buildContainer copies it into the container.
var chainBufs sync.Pool

// entryName is a container's entry name: the record's seq, zero-padded
// to 20 digits, and its suffix ("%020d-%s.asice").
func entryName(seq uint64, suffix string) string {
	var b [20]byte
	d := strconv.AppendUint(b[:0], seq, 10)
	pad := "00000000000000000000"[:20-len(d)]
	return pad + string(d) + "-" + suffix + ".asice"
}

// SeqOfEntry returns the record seq an archive entry name starts with.
func SeqOfEntry(name string) (uint64, bool) {
	n, _, ok := strings.Cut(filepath.Base(name), "-")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseUint(n, 10, 64)
	return seq, err == nil
}
