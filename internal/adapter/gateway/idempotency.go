package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/problem"
	"github.com/tunduk-kg/tunduk/internal/adapter"
)

// HeaderIdempotencyKey makes a POST safe to retry.
const HeaderIdempotencyKey = "Idempotency-Key"

// MaxIdempotencyKeyLen bounds an Idempotency-Key.
const MaxIdempotencyKeyLen = 255

// idemStore remembers the answers of POSTs sent with an Idempotency-Key
// for a window, per caller. A retry with the same key and body gets the
// recorded answer and causes no new Tunduk query; the same key with
// another body is refused with 422. Only answers that will not change on
// retry are kept (2xx and 4xx other than 429); a transient failure
// (429, 5xx) forgets the key so a retry runs again.
type idemStore struct {
	window   time.Duration
	max      int   // entries
	maxBytes int64 // recorded answer bytes
	now      func() time.Time

	mu      sync.Mutex
	entries map[idemKey]*idemEntry
	order   []idemKey // insertion order, for expiry and the size bounds
	bytes   int64     // recorded answer bytes held
}

type idemKey struct{ caller, key string }

type idemEntry struct {
	hash    [32]byte
	expires time.Time
	done    chan struct{} // closed when the answer is recorded or dropped
	ok      bool          // answer recorded
	status  int
	header  http.Header
	body    []byte
}

func newIdemStore(window time.Duration, max int, maxBytes int64) *idemStore {
	return &idemStore{window: window, max: max, maxBytes: maxBytes, now: time.Now, entries: map[idemKey]*idemEntry{}}
}

func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// begin looks the key up. It returns the recorded entry to replay, or a
// fresh entry the caller must finish, or an error (422, or ctx ended while
// an identical request was still running).
func (s *idemStore) begin(ctx context.Context, caller, key string, body []byte) (replay *idemEntry, fresh *idemEntry, err error) {
	k := idemKey{caller, key}
	h := sha256.Sum256(body)
	for {
		s.mu.Lock()
		s.expire()
		e := s.entries[k]
		if e == nil {
			e = &idemEntry{hash: h, expires: s.now().Add(s.window), done: make(chan struct{})}
			s.entries[k] = e
			s.order = append(s.order, k)
			s.mu.Unlock()
			return nil, e, nil
		}
		s.mu.Unlock()
		if e.hash != h {
			return nil, nil, &adapter.RequestError{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused",
				Field: HeaderIdempotencyKey, Type: problem.IdempotencyKeyReused,
				Message: "this Idempotency-Key was already used with another body; use a new key for a new request"}
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		if e.ok {
			return e, nil, nil
		}
		// The first attempt failed transiently and was forgotten: try to
		// become the one that runs.
	}
}

// finish records (or, for transient answers, forgets) the answer of e.
func (s *idemStore) finish(caller, key string, e *idemEntry, status int, header http.Header, body []byte) {
	keep := status < 500 && status != http.StatusTooManyRequests
	s.mu.Lock()
	if keep {
		e.ok, e.status, e.header, e.body = true, status, header, body
		if s.entries[idemKey{caller, key}] == e {
			s.bytes += int64(len(body))
			s.expire()
		}
	} else if s.entries[idemKey{caller, key}] == e {
		delete(s.entries, idemKey{caller, key})
	}
	s.mu.Unlock()
	close(e.done)
}

// expire drops entries past their window and, beyond max entries or
// maxBytes of recorded answers, the oldest (a dropped key simply runs
// again on retry). Entries still running are kept, in order.
func (s *idemStore) expire() {
	now := s.now()
	var running []idemKey
	n := 0
	for ; n < len(s.order); n++ {
		k := s.order[n]
		e := s.entries[k]
		over := len(s.order)-n+len(running) > s.max || s.bytes > s.maxBytes
		if e != nil && now.Before(e.expires) && !over {
			break
		}
		switch {
		case e == nil: // already gone (a transient answer, or a duplicate)
		case e.ok:
			delete(s.entries, k)
			s.bytes -= int64(len(e.body))
		default:
			running = append(running, k)
		}
	}
	s.order = append(running, s.order[n:]...)
}

// recorder captures an answer while it is written to the client.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
	r.ResponseWriter.WriteHeader(s)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}
