// Package store is the message log's durable append-only record store.
//
// Append returns, in tessera's words, "a durably assigned sequence number, or
// an error": when Append returns a sequence number the record has been
// written and fsynced. Many concurrent Appends share one write and one fsync
// (group commit), so the cost of fsync is spread over everyone waiting at
// that moment. Under load the writer also holds a group open for a short
// window (Options.GroupWindow) while appends keep arriving, so concurrent
// callers share an fsync by design rather than by chance; an Append is never
// acknowledged before the fsync covering it has returned. The queue is
// bounded: when it is full, Append waits for room (at most
// Options.QueueWait, or until its context ends) and then fails with
// ErrBackpressure instead of queueing without bound; the gateway turns that
// into HTTP 503 with Retry-After.
//
// On disk the store is a directory of segment files named by the sequence
// number of their first record (00000000000000000001.seg, …). A segment is a
// sequence of frames:
//
//	length uint32 | crc32c(seq || payload) uint32 | seq uint64 | payload
//
// all big-endian. Open validates every frame. A damaged frame at the end of
// the newest segment, with no valid frame after it, is a torn write from a
// crash before its fsync completed: the store truncates it, since no caller
// was told its sequence number. Damage anywhere else is reported as
// ErrCorrupt and the store refuses to open, because acknowledged records
// would otherwise be silently lost.
//
// A store is used by one process at a time (an exclusive flock on the LOCK
// file); a second Open fails with ErrLocked.
//
// Non-goals: the store does not interpret payloads, does not sign, and does
// not compact; whole segments are dropped by Release once the records in them
// have been archived elsewhere.
package store

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/groupcommit"
)

// Errors returned by the store. They are wrapped; match with errors.Is.
var (
	// ErrBackpressure means the append queue is full; retry later.
	ErrBackpressure = errors.New("store: append queue full")
	// ErrClosed means the store has been closed.
	ErrClosed = errors.New("store: closed")
	// ErrLocked means another process has the store open.
	ErrLocked = errors.New("store: locked by another process")
	// ErrCorrupt means a segment is damaged somewhere other than its torn tail.
	ErrCorrupt = errors.New("store: corrupt segment")
	// ErrTooLarge means a payload exceeds MaxRecordSize.
	ErrTooLarge = errors.New("store: record too large")
)

const (
	headerSize = 16
	segSuffix  = ".seg"
	lockName   = "LOCK"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options configure a Store. The zero value of every field but Dir is a
// usable default.
type Options struct {
	// Dir holds the segment files; it is created if missing.
	Dir string
	// SegmentSize is the size at which a new segment is started (default 64 MiB).
	SegmentSize int64
	// QueueSize bounds the appends waiting for the writer (default 65536).
	QueueSize int
	// QueueWait is how long Append waits for room in a full queue before
	// it gives up with ErrBackpressure (default 2s; the caller's context
	// may end the wait sooner).
	QueueWait time.Duration
	// GroupWindow is the longest the writer holds a group open for more
	// appends before it writes and fsyncs it (default 1ms; negative: never
	// wait). It waits only when appends arrive faster than one per window
	// (a moving average of the gaps between them), so a lone append at low
	// load is written at once and pays no window.
	GroupWindow time.Duration
	// MaxGroupBytes bounds the bytes written under one fsync (default 8 MiB).
	MaxGroupBytes int
	// MaxRecordSize bounds one payload (default 64 MiB).
	MaxRecordSize int
	// OnDurable, when set, is called by the writer after each group is
	// fsynced and before its Appends return, with the group's records in
	// sequence order and the tags their AppendTagged calls gave (nil
	// for Append). It must not call Append (that would deadlock) and
	// must not keep payload slices it modifies.
	//
	// Calling hold (during OnDurable, at most once) keeps the group's
	// Appends waiting after OnDurable returns, until the func hold
	// returns is called (exactly once, from any goroutine), while the
	// writer goes on with the next groups: work the Appends need done
	// (msglog's promises, an ECDSA signature a group) then stays off
	// the writer's path between fsyncs. The group's payloads and tags
	// stay untouched by their Appends until then.
	OnDurable func(first uint64, payloads [][]byte, tags []any, hold func() (release func()))
	// Logger receives recovery and failure messages (default zap.NewNop()).
	Logger *zap.Logger

	// syncFile flushes a segment (fdatasync; tests count calls).
	syncFile func(*os.File) error
}

// DefaultGroupWindow is Options.GroupWindow's default.
const DefaultGroupWindow = time.Millisecond

// Store is an open record store. Its methods are safe for concurrent use.
type Store struct {
	opts  Options
	start time.Time // origin of request.arrived (monotonic)
	lock  *os.File
	queue chan *request

	mu      sync.Mutex // guards segs, cur, failed
	segs    []segment  // oldest first; the last one is being written
	cur     *os.File
	failed  error
	closed  bool
	durable atomic.Uint64 // highest fsynced seq (0 = none)
	next    uint64        // next seq to assign; writer goroutine only after Open
	dropped int64         // cur's bytes dropped from the page cache; writer goroutine
	closeMu sync.RWMutex  // Append holds it shared while enqueueing; Close exclusively
	stopped bool
	stop    chan struct{}
	done    chan struct{}

	// Stats, read with Stats.
	groups  atomic.Uint64
	records atomic.Uint64

	// Arrival rate for the group-commit window: the time of the last
	// Append and a moving average of the gaps between Appends (ns).
	lastArrival atomic.Int64
	meanGap     atomic.Int64
}

type segment struct {
	first uint64 // seq of the first record (the file name)
	path  string
	size  int64 // bytes of whole, durable frames
}

type request struct {
	arrived int64 // monotonic ns since start
	data    []byte
	tag     any // AppendTagged's, for OnDurable
	seq     uint64
	err     error
	done    chan struct{}
}

// Open opens (creating if needed) the store in opts.Dir, recovering from a
// crash if the newest segment ends in a torn write.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("store: Options.Dir is empty")
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = 64 << 20
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 65536
	}
	if opts.MaxGroupBytes <= 0 {
		opts.MaxGroupBytes = 8 << 20
	}
	if opts.MaxRecordSize <= 0 {
		opts.MaxRecordSize = 64 << 20
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = 2 * time.Second
	}
	if opts.GroupWindow == 0 {
		opts.GroupWindow = DefaultGroupWindow
	}
	if opts.syncFile == nil {
		opts.syncFile = fdatasync
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(opts.Dir, lockName), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("store: %s: %w", opts.Dir, ErrLocked)
		}
		return nil, fmt.Errorf("store: lock %s: %w", opts.Dir, err)
	}
	s := &Store{
		opts:  opts,
		start: time.Now(),
		lock:  lock,
		queue: make(chan *request, opts.QueueSize),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if err := s.recover(); err != nil {
		lock.Close()
		return nil, err
	}
	go s.writer()
	return s, nil
}

// recover loads the segment list, validates every frame and truncates a torn
// tail of the newest segment.
func (s *Store) recover() error {
	ents, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil || first == 0 {
			return fmt.Errorf("store: %s: unexpected segment name: %w", name, ErrCorrupt)
		}
		s.segs = append(s.segs, segment{first: first, path: filepath.Join(s.opts.Dir, name)})
	}
	sort.Slice(s.segs, func(i, j int) bool { return s.segs[i].first < s.segs[j].first })
	s.next = 1
	if len(s.segs) > 0 {
		s.next = s.segs[0].first
	}
	for i := range s.segs {
		sg := &s.segs[i]
		if sg.first != s.next {
			return fmt.Errorf("store: %s starts at %d, want %d: %w", filepath.Base(sg.path), sg.first, s.next, ErrCorrupt)
		}
		last := i == len(s.segs)-1
		n, end, err := scanSegment(sg.path, sg.first, last)
		if err != nil {
			return err
		}
		sg.size = end
		s.next = sg.first + n
	}
	if len(s.segs) == 0 {
		if err := s.newSegment(); err != nil {
			return err
		}
	} else {
		sg := &s.segs[len(s.segs)-1]
		f, err := os.OpenFile(sg.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("store: %w", err)
		}
		if st.Size() != sg.size {
			s.opts.Logger.Warn("msglog store: truncating torn tail",
				zap.String("segment", sg.path), zap.Int64("validBytes", sg.size), zap.Int64("droppedBytes", st.Size()-sg.size))
			if err := f.Truncate(sg.size); err != nil {
				f.Close()
				return fmt.Errorf("store: truncate torn tail: %w", err)
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return fmt.Errorf("store: %w", err)
			}
		}
		if _, err := f.Seek(sg.size, io.SeekStart); err != nil {
			f.Close()
			return fmt.Errorf("store: %w", err)
		}
		s.cur = f
	}
	s.durable.Store(s.next - 1)
	s.meanGap.Store(int64(time.Second)) // no appends yet: a low rate
	return nil
}

// scanSegment validates the frames of one segment. It returns the number of
// whole frames and the offset after the last one. When tail is true a
// damaged final stretch with no valid frame after it is accepted (the caller
// truncates it); otherwise any damage is ErrCorrupt.
func scanSegment(path string, first uint64, tail bool) (n uint64, end int64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("store: %w", err)
	}
	var off int64
	seq := first
	for int(off) < len(data) {
		size, ok := frameAt(data[off:], seq)
		if !ok {
			rest := data[off:]
			if !tail {
				return 0, 0, fmt.Errorf("store: %s: bad frame for seq %d at offset %d: %w", filepath.Base(path), seq, off, ErrCorrupt)
			}
			if at := findFrameAfter(rest, seq); at >= 0 {
				return 0, 0, fmt.Errorf("store: %s: bad frame for seq %d at offset %d but a valid later frame at offset %d: %w",
					filepath.Base(path), seq, off, off+int64(at), ErrCorrupt)
			}
			return n, off, nil
		}
		off += int64(size)
		seq++
		n++
	}
	return n, off, nil
}

// frameAt checks that b starts with a whole, valid frame for seq and returns
// its size.
func frameAt(b []byte, seq uint64) (int, bool) {
	if len(b) < headerSize {
		return 0, false
	}
	length := binary.BigEndian.Uint32(b[0:4])
	sum := binary.BigEndian.Uint32(b[4:8])
	got := binary.BigEndian.Uint64(b[8:16])
	if got != seq || uint64(len(b)-headerSize) < uint64(length) {
		return 0, false
	}
	if crc32.Checksum(b[8:headerSize+int(length)], castagnoli) != sum {
		return 0, false
	}
	return headerSize + int(length), true
}

// findFrameAfter looks for any valid frame with a sequence number above seq
// in b; it returns its offset or -1. A torn write never leaves one behind,
// so finding one means the damage is not a torn tail.
func findFrameAfter(b []byte, seq uint64) int {
	for i := 1; i+headerSize <= len(b); i++ {
		got := binary.BigEndian.Uint64(b[i+8 : i+16])
		if got <= seq || got > seq+1<<32 {
			continue
		}
		if _, ok := frameAt(b[i:], got); ok {
			return i
		}
	}
	return -1
}

// newSegment starts a segment whose first record will be s.next and fsyncs
// the directory so the new file survives a crash.
func (s *Store) newSegment() error {
	path := filepath.Join(s.opts.Dir, fmt.Sprintf("%020d%s", s.next, segSuffix))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("store: new segment: %w", err)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		f.Close()
		return err
	}
	s.mu.Lock()
	if s.cur != nil {
		s.cur.Close()
	}
	s.cur = f
	s.dropped = 0
	s.segs = append(s.segs, segment{first: s.next, path: path})
	s.mu.Unlock()
	return nil
}

func syncDir(dir string) error {
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Append writes payload as the next record and returns its sequence number
// once it is durable. An error means the record was not acknowledged: it may
// or may not be in the store (for example when ctx ends while it is being
// written), but a sequence number, once returned, is never lost.
func (s *Store) Append(ctx context.Context, payload []byte) (uint64, error) {
	return s.AppendTagged(ctx, payload, nil)
}

// AppendTagged is Append with a tag that OnDurable receives beside the
// payload, on the writer, before this call returns (msglog hands the
// record it encodes to the evidence hook that way).
func (s *Store) AppendTagged(ctx context.Context, payload []byte, tag any) (uint64, error) {
	if len(payload) > s.opts.MaxRecordSize {
		return 0, fmt.Errorf("store: %d bytes: %w", len(payload), ErrTooLarge)
	}
	r := &request{data: payload, tag: tag, done: make(chan struct{}), arrived: s.arrival()}
	s.closeMu.RLock()
	if s.stopped {
		s.closeMu.RUnlock()
		return 0, ErrClosed
	}
	select {
	case s.queue <- r:
		s.closeMu.RUnlock()
	default:
		// Full: wait for room, bounded, holding closeMu shared (the
		// writer keeps draining until Close has it exclusively).
		t := time.NewTimer(s.opts.QueueWait)
		select {
		case s.queue <- r:
			t.Stop()
			s.closeMu.RUnlock()
		case <-t.C:
			s.closeMu.RUnlock()
			return 0, fmt.Errorf("fsync queue full for %v: %w", s.opts.QueueWait, ErrBackpressure)
		case <-ctx.Done():
			t.Stop()
			s.closeMu.RUnlock()
			return 0, fmt.Errorf("fsync queue full (%w): %w", ctx.Err(), ErrBackpressure)
		}
	}
	select {
	case <-r.done:
		return r.seq, r.err
	case <-ctx.Done():
		return 0, fmt.Errorf("store: append: %w", ctx.Err())
	}
}

// arrival notes an Append's arrival for the group-commit window and returns
// its time (ns since Open).
func (s *Store) arrival() int64 {
	now := int64(time.Since(s.start))
	gap := min(now-s.lastArrival.Swap(now), int64(time.Second))
	for {
		old := s.meanGap.Load()
		if s.meanGap.CompareAndSwap(old, old+(gap-old)/8) {
			return now
		}
	}
}

// window returns how long, after first arrived, the writer should keep
// the group open: GroupWindow when appends arrive faster than one per
// window, else 0.
func (s *Store) window() time.Duration {
	w := s.opts.GroupWindow
	if w <= 0 || s.meanGap.Load() >= int64(w) {
		return 0
	}
	return w
}

// framedSize is a request's bytes in a segment.
func framedSize(r *request) int { return len(r.data) + headerSize }

// writer is the single goroutine that writes and fsyncs groups of records.
func (s *Store) writer() {
	defer close(s.done)
	var buf []byte
	var timer *time.Timer
	group := make([]*request, 0, 1024)
	payloads := make([][]byte, 0, 1024)
	tags := make([]any, 0, 1024)
	for {
		// Close stops new appends first, so draining what is queued
		// once stopped finishes every accepted append.
		var size int
		var ok bool
		group, size, ok = groupcommit.Next(s.queue, s.stop, group, framedSize, s.opts.MaxGroupBytes)
		if !ok {
			return
		}
		first := group[0]
		if w := s.window(); w > 0 && size < s.opts.MaxGroupBytes {
			// Appends are arriving faster than one per window: hold the
			// group open until the window since the first one closes.
			wait := time.Duration(first.arrived+int64(w)) - time.Since(s.start)
			if wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
			hold:
				for size < s.opts.MaxGroupBytes {
					select {
					case r := <-s.queue:
						group = append(group, r)
						size += len(r.data) + headerSize
					case <-timer.C:
						break hold
					case <-s.stop:
						break hold
					}
				}
				timer.Stop()
			}
		}
		buf = s.writeGroup(buf[:0], group)
		if cap(buf) > 1<<20 {
			buf = nil // a burst's group must not pin its buffer (up to MaxGroupBytes)
		}
		held := false
		if s.opts.OnDurable != nil && group[0].err == nil {
			payloads, tags = payloads[:0], tags[:0]
			for _, r := range group {
				payloads, tags = append(payloads, r.data), append(tags, r.tag)
			}
			s.opts.OnDurable(group[0].seq, payloads, tags, func() func() {
				if held {
					panic("store: OnDurable called hold twice")
				}
				held = true
				return releaser(group)
			})
		}
		if !held {
			for _, r := range group {
				close(r.done)
			}
		}
		// The slices are reused: drop their references, or a burst's
		// records stay reachable until as many come again.
		clear(group)
		clear(payloads)
		clear(tags)
	}
}

// releaser returns the func that lets a held group's Appends return (see
// Options.OnDurable): it closes their done channels, copied out of group
// (which the writer reuses).
func releaser(group []*request) func() {
	dones := make([]chan struct{}, len(group))
	for i, r := range group {
		dones[i] = r.done
	}
	var once atomic.Bool
	return func() {
		if !once.CompareAndSwap(false, true) {
			panic("store: a held group released twice")
		}
		for _, d := range dones {
			close(d)
		}
	}
}

// writeGroup encodes, writes and fsyncs one group, setting each request's
// seq or err. After an I/O error the store fails every later append: the
// file's state is unknown until it is reopened and recovered.
func (s *Store) writeGroup(buf []byte, group []*request) []byte {
	s.mu.Lock()
	failed := s.failed
	s.mu.Unlock()
	fail := func(err error) {
		for _, r := range group {
			r.err = err
		}
	}
	if failed != nil {
		fail(failed)
		return buf
	}
	s.mu.Lock()
	cursize := s.segs[len(s.segs)-1].size
	s.mu.Unlock()
	if cursize > 0 && cursize >= s.opts.SegmentSize {
		if err := s.newSegment(); err != nil {
			s.setFailed(err)
			fail(err)
			return buf
		}
	}
	seq := s.next
	for _, r := range group {
		var h [headerSize]byte
		binary.BigEndian.PutUint32(h[0:4], uint32(len(r.data)))
		binary.BigEndian.PutUint64(h[8:16], seq)
		c := crc32.Update(crc32.Checksum(h[8:16], castagnoli), castagnoli, r.data)
		binary.BigEndian.PutUint32(h[4:8], c)
		buf = append(buf, h[:]...)
		buf = append(buf, r.data...)
		r.seq = seq
		seq++
	}
	if _, err := s.cur.Write(buf); err != nil {
		err = fmt.Errorf("store: write: %w", err)
		s.setFailed(err)
		fail(err)
		return buf
	}
	if err := s.opts.syncFile(s.cur); err != nil {
		err = fmt.Errorf("store: fsync: %w", err)
		s.setFailed(err)
		fail(err)
		return buf
	}
	s.next = seq
	s.mu.Lock()
	s.segs[len(s.segs)-1].size += int64(len(buf))
	end := s.segs[len(s.segs)-1].size
	s.mu.Unlock()
	s.dropDurable(end)
	s.durable.Store(seq - 1)
	s.groups.Add(1)
	s.records.Add(uint64(len(group)))
	return buf
}

// dropDurable drops the current segment's whole pages below end, just
// fsynced, from the page cache. The journal is read back only when the
// log reopens or rotation falls back to it; cached, its pages would push
// out useful ones and, on a virtual machine whose host reclaims free
// memory, make every fresh page the next writes need cost a fault on the
// host (about 10 ms of system CPU per MB written on the benchmark
// machine, against 0.2 ms with pages recycled at once).
func (s *Store) dropDurable(end int64) {
	end &^= dropAlign - 1 // the last, partial page is written again
	if end > s.dropped {
		dropCache(s.cur, s.dropped, end)
		s.dropped = end
	}
}

// dropAlign is the granularity of dropDurable: whole pages (4 KiB, or 64
// KiB where pages are that large).
const dropAlign = 64 << 10

func (s *Store) setFailed(err error) {
	s.opts.Logger.Error("msglog store: failing all appends until reopened", zap.Error(err))
	s.mu.Lock()
	if s.failed == nil {
		s.failed = err
	}
	s.mu.Unlock()
}

// LastSeq is the highest durable sequence number (0 when the store has never
// held a record).
func (s *Store) LastSeq() uint64 { return s.durable.Load() }

// FirstSeq is the lowest sequence number still held (records below it were
// released).
func (s *Store) FirstSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.segs[0].first
}

// Stats reports how many fsync groups and records the store has written
// since Open; records/groups is the group-commit factor.
func (s *Store) Stats() (groups, records uint64) {
	return s.groups.Load(), s.records.Load()
}

// Scan calls fn for each durable record with seq ≥ from, in order, until fn
// returns an error (returned as is) or the durable end is reached. The
// payload passed to fn is only valid during the call.
func (s *Store) Scan(from uint64, fn func(seq uint64, payload []byte) error) error {
	s.mu.Lock()
	segs := append([]segment(nil), s.segs...)
	s.mu.Unlock()
	limit := s.durable.Load()
	for i, sg := range segs {
		if i+1 < len(segs) && segs[i+1].first <= from {
			continue
		}
		if sg.first > limit {
			break
		}
		if err := scanFile(sg, from, limit, fn); err != nil {
			return err
		}
	}
	return nil
}

func scanFile(sg segment, from, limit uint64, fn func(uint64, []byte) error) error {
	f, err := os.Open(sg.path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(io.LimitReader(f, sg.size), 1<<20)
	var h [headerSize]byte
	var payload []byte
	for seq := sg.first; seq <= limit; seq++ {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("store: read %s: %w", filepath.Base(sg.path), err)
		}
		length := binary.BigEndian.Uint32(h[0:4])
		if got := binary.BigEndian.Uint64(h[8:16]); got != seq {
			return fmt.Errorf("store: %s: seq %d where %d expected: %w", filepath.Base(sg.path), got, seq, ErrCorrupt)
		}
		if cap(payload) < int(length) {
			payload = make([]byte, length)
		}
		payload = payload[:length]
		if _, err := io.ReadFull(r, payload); err != nil {
			return fmt.Errorf("store: read %s: %w", filepath.Base(sg.path), err)
		}
		if crc32.Update(crc32.Checksum(h[8:16], castagnoli), castagnoli, payload) != binary.BigEndian.Uint32(h[4:8]) {
			return fmt.Errorf("store: %s: seq %d checksum: %w", filepath.Base(sg.path), seq, ErrCorrupt)
		}
		if seq < from {
			continue
		}
		if err := fn(seq, payload); err != nil {
			return err
		}
	}
	return nil
}

// Release deletes whole segments all of whose records are below seq; the
// segment being written is never deleted. Call it once those records are
// safely archived elsewhere.
func (s *Store) Release(seq uint64) error {
	s.mu.Lock()
	var drop []segment
	for len(s.segs) > 1 && s.segs[1].first <= seq {
		drop = append(drop, s.segs[0])
		s.segs = s.segs[1:]
	}
	s.mu.Unlock()
	for _, sg := range drop {
		if err := os.Remove(sg.path); err != nil {
			return fmt.Errorf("store: release: %w", err)
		}
	}
	if len(drop) > 0 {
		return syncDir(s.opts.Dir)
	}
	return nil
}

// Close waits for queued appends to be written, then closes the files.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
	s.closeMu.Unlock()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.cur != nil {
		err = s.cur.Close()
	}
	s.lock.Close()
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
