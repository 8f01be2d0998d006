package msglog

import (
	"bufio"
	"crypto/sha512"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/atrest"
)

// archiveWriter streams one group's containers through asic.ArchiveWriter
// (which keeps linkinginfo) into a .part file, encrypting when a key is set.
type archiveWriter struct {
	dir, part, final string
	f                *os.File
	buf              *bufio.Writer
	enc              io.WriteCloser // encryption layer, or nil
	aw               *asic.ArchiveWriter
	out              settlingFile // f, as buf writes to it
	lastSeq          uint64
	first, last      time.Time
}

func newArchiveWriter(dir, partPrefix string, scanFrom uint64, prev *groupState, key []byte, now time.Time) (*archiveWriter, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	part := filepath.Join(dir, fmt.Sprintf("%s%d.part", partPrefix, scanFrom))
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	w := &archiveWriter{dir: dir, part: part, f: f}
	w.out.f = f
	w.buf = bufio.NewWriterSize(&w.out, 1<<20)
	var out io.Writer = w.buf
	if len(key) > 0 {
		w.enc, err = atrest.NewWriter(w.buf, key)
		if err != nil {
			w.abort()
			return nil, err
		}
		out = w.enc
	}
	w.aw, err = asic.NewArchiveWriter(out, asic.ArchiveOptions{PrevDigest: prev.LastDigest, PrevName: prev.LastArchive, Time: now.UTC(), Comment: archiveComment, Store: true})
	if err != nil {
		w.abort()
		return nil, fmt.Errorf("msglog: %w", err)
	}
	return w, nil
}

// add appends a container whose SHA-512 is digest and CRC-32 crc.
func (w *archiveWriter) add(name string, container, digest []byte, crc uint32, seq uint64, t time.Time) error {
	if err := w.aw.AddSummed(name, container, digest, crc); err != nil {
		return fmt.Errorf("msglog: archive: %w", err)
	}
	w.lastSeq = seq
	if w.first.IsZero() {
		w.first = t
	}
	w.last = t
	return nil
}

// finish writes linkinginfo, closes and fsyncs the .part file and names its
// final path; the caller commits and renames.
func (w *archiveWriter) finish() (*groupState, error) {
	digest, err := w.aw.Close()
	if err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	if w.enc != nil {
		if err := w.enc.Close(); err != nil {
			return nil, fmt.Errorf("msglog: archive: %w", err)
		}
	}
	if err := w.buf.Flush(); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	dropCache(w.f, 0)
	if err := w.f.Close(); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	name := asic.ArchiveName(w.first.UTC(), w.last.UTC(), digest)
	if w.enc != nil {
		name += EncryptedSuffix
	}
	w.final = filepath.Join(w.dir, name)
	return &groupState{LastDigest: digest, LastArchive: name, LastSeq: w.lastSeq}, nil
}

// settle lets the kernel write back what w has written so far and drop
// it from the page cache once on disk (see dropCache), after each batch.
func (w *archiveWriter) settle() { dropCache(w.out.f, w.out.written) }

// settlingFile writes an archive's .part file and keeps its page cache
// small as it goes: every settleChunk bytes it starts the write-back of
// the chunk just written and drops the chunk before it, on disk by then
// (see dropCache). The pages are reused at once for the next chunks
// instead of piling up until the batch ends.
type settlingFile struct {
	f                        *os.File
	written, kicked, dropped int64
}

const settleChunk = 4 << 20

func (s *settlingFile) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.written += int64(n)
	if s.written-s.kicked >= settleChunk {
		startWriteback(s.f, s.kicked, s.written-s.kicked)
		dropRange(s.f, s.dropped, s.kicked)
		s.dropped, s.kicked = s.kicked, s.written
	}
	return n, err
}

func (w *archiveWriter) abort() {
	w.f.Close()
	os.Remove(w.part)
}

// buildContainer writes one record's ASiC-E container with p: each entry
// compressed once where that pays, the batch's shared entries once per
// batch and dated batchT, the batch's first record's time. The archive
// stores the container as it is. The bytes are valid until p's next Build.
func buildContainer(p *asic.Packer, sp *containerSpec, signature, result, chain []byte, t, batchT time.Time) ([]byte, error) {
	in := asic.ContainerInput{Message: sp.message, Attachments: sp.attachments, Exchange: sp.exchange, Signature: signature,
		Time: t.UTC(), SharedTime: batchT.UTC()}
	if len(chain) > 0 {
		in.HashChainResult, in.HashChain = result, chain
	}
	return p.Build(in)
}

// EncryptedSuffix ends the name of an archive encrypted at rest.
const EncryptedSuffix = atrest.Suffix

// TombstoneSuffix ends the name of a retention tombstone: a signed
// container standing in for a removed archive
// (mlog-<first>-<last>-<16hex>.zip.tombstone.asice).
const TombstoneSuffix = ".tombstone.asice"

// containerJob is one container of a sealed batch to build and write:
// leaf is its input in the batch's hash tree (-1: signed directly).
type containerJob struct {
	w    *archiveWriter
	rec  *pendingRecord
	spec *containerSpec
	leaf int
	t    time.Time
}

// containerBuilder builds a batch's containers on all cores, each worker
// with its own asic.Packer, in windows of at most buildWindow containers
// and buildWindowBytes of message bytes (what bounds rotation's memory),
// and hands them out in order, with their SHA-512 (the linking digest's
// input) and CRC-32 (the archive entry's) computed beside the build
// (asic.Packer.Sum, which hashes the batch's shared leading entries once). A
// window is emitted on the calling goroutine while the workers build the
// next one, so writing the archive overlaps building; the workers meet
// once per window, not once per container.
type containerBuilder struct {
	packers []*asic.Packer
	// slabs[w%2][i] holds the containers worker i built in window w: a
	// window is emitted while the next one builds, so two sets are
	// reused in turn instead of allocating each container.
	slabs [2][][]byte
}

const (
	buildWindow      = 256
	buildWindowBytes = 32 << 20
)

func newContainerBuilder(workers int) *containerBuilder {
	b := &containerBuilder{packers: make([]*asic.Packer, max(workers, 1))}
	for i := range b.packers {
		b.packers[i] = asic.NewPacker()
	}
	b.slabs = [2][][]byte{make([][]byte, len(b.packers)), make([][]byte, len(b.packers))}
	return b
}

// built is one container as a worker hands it to emit.
type built struct {
	data   []byte
	digest [sha512.Size]byte
	crc    uint32
	err    error
}

// run builds containers 0..n-1 (size(k) estimates k's bytes) and calls
// emit for each in order; it stops at the first error.
func (b *containerBuilder) run(n int, size func(k int) int, build func(p *asic.Packer, k int) ([]byte, error), emit func(k int, ctr, digest []byte, crc uint32) error) error {
	if len(b.packers) == 1 || n < 2 {
		for k := 0; k < n; k++ {
			c, err := build(b.packers[0], k)
			if err != nil {
				return err
			}
			d, crc := b.packers[0].Sum(c)
			if err := emit(k, c, d[:], crc); err != nil {
				return err
			}
		}
		return nil
	}
	// window builds containers start.. (as many as the limits allow) in
	// the background; done is closed when they are built.
	type window struct {
		start int
		out   []built
		done  chan struct{}
	}
	parity := 0
	launch := func(start int) *window {
		end, bytes := start, 0
		for end < n && end-start < buildWindow && (end == start || bytes < buildWindowBytes) {
			bytes += size(end)
			end++
		}
		w := &window{start: start, out: make([]built, end-start), done: make(chan struct{})}
		var next atomic.Int64
		var wg sync.WaitGroup
		slabs := b.slabs[parity]
		parity ^= 1
		for i, p := range b.packers {
			wg.Add(1)
			go func(p *asic.Packer, slab *[]byte) {
				defer wg.Done()
				*slab = (*slab)[:0]
				// Two containers at a time: a record's request and
				// response share their exchange metadata, which p then
				// deflates once.
				for {
					k0 := int(next.Add(2) - 2)
					if k0 >= len(w.out) {
						return
					}
					for k := k0; k < min(k0+2, len(w.out)); k++ {
						c, err := build(p, start+k)
						if err != nil {
							w.out[k] = built{err: err}
							continue
						}
						d, crc := p.Sum(c)
						at := len(*slab)
						*slab = append(*slab, c...)
						w.out[k] = built{data: (*slab)[at:len(*slab):len(*slab)], digest: d, crc: crc}
					}
				}
			}(p, &slabs[i])
		}
		go func() { wg.Wait(); close(w.done) }()
		return w
	}
	cur := launch(0)
	for cur != nil {
		<-cur.done
		var next *window
		if end := cur.start + len(cur.out); end < n {
			next = launch(end)
		}
		for k := range cur.out {
			err := cur.out[k].err
			if err == nil {
				err = emit(cur.start+k, cur.out[k].data, cur.out[k].digest[:], cur.out[k].crc)
			}
			if err != nil {
				if next != nil {
					<-next.done // its workers use build's state
				}
				return err
			}
			cur.out[k] = built{}
		}
		cur = next
	}
	return nil
}
