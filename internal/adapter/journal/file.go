package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("journal: closed")

// IDPrefix starts every record id written by File ("journal:42").
const IDPrefix = "journal:"

// File is a JSON-lines journal in one append-only file. Concurrent Record
// calls are group-committed: one write and one fsync cover every record
// that arrived while the previous fsync was running.
type File struct {
	f    *os.File
	path string

	mu     sync.Mutex
	closed bool
	queue  []*pending
	wake   chan struct{}
	done   chan struct{}
	next   uint64

	records, commits atomic.Uint64

	closeOnce sync.Once
	closeErr  error
}

type pending struct {
	x    *Exchange
	line *bytes.Buffer // encoded with an empty id
	id   string
	err  error
	done chan struct{}
}

// Open opens or creates the journal at path (mode 0600). A torn last line
// left by a crash is cut off; numbering continues after the last record.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	next, end, err := scanJournal(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %s: %w", path, err)
	}
	if err := f.Truncate(end); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &File{f: f, path: path, next: next, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go j.loop()
	return j, nil
}

// scanJournal scans the file: it returns the next sequence number and the
// offset just after the last complete line.
func scanJournal(f *os.File) (next uint64, end int64, err error) {
	r := bufio.NewReaderSize(f, 1<<16)
	var off int64
	next = 1
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return next, off, nil // a partial line (len>0) is a torn write: dropped
		}
		if err != nil {
			return 0, 0, err
		}
		var head struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return 0, 0, fmt.Errorf("record at offset %d is not JSON: %w", off, err)
		}
		n, err := strconv.ParseUint(strings.TrimPrefix(head.ID, IDPrefix), 10, 64)
		if err != nil || !strings.HasPrefix(head.ID, IDPrefix) {
			return 0, 0, fmt.Errorf("record at offset %d has a bad id %q", off, head.ID)
		}
		next = n + 1
		off += int64(len(line))
	}
}

// Path returns the file's path.
func (j *File) Path() string { return j.path }

// Record appends x, assigning x.ID, and returns once the record is on
// stable storage. If ctx ends first, Record returns ctx.Err() but the
// record may still be written.
//
// The record is encoded here, in the caller's goroutine, so concurrent
// callers encode in parallel and the single writer only numbers, writes
// and fsyncs.
func (j *File) Record(ctx context.Context, x *Exchange) (string, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	x.ID = ""
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		bufPool.Put(buf)
		return "", fmt.Errorf("journal: encoding record: %w", err)
	}
	if !bytes.HasPrefix(buf.Bytes(), unnumbered) {
		bufPool.Put(buf)
		return "", errors.New("journal: encoding record: id is not the first member")
	}
	p := &pending{x: x, line: buf, done: make(chan struct{})}
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		bufPool.Put(buf)
		return "", ErrClosed
	}
	j.queue = append(j.queue, p)
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	select {
	case <-p.done:
		return p.id, p.err
	case <-ctx.Done():
		return "", fmt.Errorf("journal: waiting for fsync: %w", ctx.Err())
	}
}

// unnumbered starts every encoded record until commit numbers it: ID is
// Exchange's first member and is empty until then.
var unnumbered = []byte(`{"id":""`)

// bufPool holds encoding buffers (a record with its bodies is a few KiB).
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (j *File) loop() {
	defer close(j.done)
	var buf []byte
	for {
		j.mu.Lock()
		batch := j.queue
		j.queue = nil
		closed := j.closed
		j.mu.Unlock()
		if len(batch) == 0 {
			if closed {
				return
			}
			<-j.wake
			continue
		}
		buf = j.commit(buf[:0], batch)
	}
}

// commit numbers the batch's records, writes them with one write and one
// fsync, and releases their callers. It returns buf for reuse.
func (j *File) commit(buf []byte, batch []*pending) []byte {
	for _, p := range batch {
		p.id = IDPrefix + strconv.FormatUint(j.next, 10)
		j.next++
		buf = append(buf, `{"id":"`...)
		buf = append(buf, p.id...)
		buf = append(buf, p.line.Bytes()[len(unnumbered)-1:]...)
		bufPool.Put(p.line)
		p.line = nil
	}
	_, err := j.f.Write(buf)
	if err == nil {
		err = j.f.Sync()
	}
	if err == nil {
		j.records.Add(uint64(len(batch)))
		j.commits.Add(1)
	}
	for _, p := range batch {
		if err != nil {
			p.id, p.err = "", fmt.Errorf("journal: writing record: %w", err)
		} else {
			p.x.ID = p.id
		}
		close(p.done)
	}
	if err != nil {
		// The file may hold a partial batch; later records would be
		// numbered after ids that never became durable. Refuse further
		// writes rather than journal inconsistently.
		j.mu.Lock()
		j.closed = true
		rest := j.queue
		j.queue = nil
		j.mu.Unlock()
		for _, p := range rest {
			bufPool.Put(p.line)
			p.err = ErrClosed
			close(p.done)
		}
	}
	if cap(buf) > 4<<20 {
		buf = nil // one burst must not pin a large buffer
	}
	return buf
}

// Stats counts what the journal made durable since Open.
type Stats struct {
	// Records written and fsynced.
	Records uint64
	// Commits is the number of write+fsync rounds; Records/Commits is the
	// mean group-commit batch.
	Commits uint64
}

// Stats returns the counts so far.
func (j *File) Stats() Stats {
	return Stats{Records: j.records.Load(), Commits: j.commits.Load()}
}

// Close waits for queued records to be written and closes the file.
func (j *File) Close() error {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	<-j.done
	j.closeOnce.Do(func() { j.closeErr = j.f.Close() })
	return j.closeErr
}

// Scan reads a journal and calls fn for each record in order.
func Scan(r io.Reader, fn func(*Exchange) error) error {
	dec := json.NewDecoder(r)
	for {
		var x Exchange
		if err := dec.Decode(&x); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if err := fn(&x); err != nil {
			return err
		}
	}
}
