package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter"
)

func TestIdemStoreBounds(t *testing.T) {
	now := time.Unix(0, 0)
	s := newIdemStore(time.Minute, 3, 1000)
	s.now = func() time.Time { return now }
	record := func(key string, size int) {
		t.Helper()
		replay, fresh, err := s.begin(context.Background(), "c", key, []byte(key))
		if err != nil || replay != nil || fresh == nil {
			t.Fatalf("%s: %v %v %v", key, replay, fresh, err)
		}
		s.finish("c", key, fresh, 200, http.Header{}, make([]byte, size))
	}
	held := func(key string) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		e := s.entries[idemKey{"c", key}]
		return e != nil && e.ok
	}
	record("a", 100)
	record("b", 100)
	record("c", 100)
	record("d", 100) // a fourth entry drops the oldest
	if held("a") || !held("b") || !held("d") {
		t.Errorf("entry bound: a %v b %v d %v", held("a"), held("b"), held("d"))
	}
	record("e", 900) // over the byte budget: the oldest go until it fits
	if held("b") || held("c") || !held("d") || !held("e") || s.bytes != 1000 {
		t.Errorf("byte bound: %d bytes held, b %v e %v", s.bytes, held("b"), held("e"))
	}
	now = now.Add(2 * time.Minute)
	record("f", 10) // e is past its window
	if held("e") || !held("f") || s.bytes != 10 {
		t.Errorf("window: e %v, %d bytes", held("e"), s.bytes)
	}
	// A transient answer is forgotten; another body under the key is 422.
	_, fresh, _ := s.begin(context.Background(), "c", "g", []byte("x"))
	s.finish("c", "g", fresh, 503, nil, nil)
	if _, fresh, err := s.begin(context.Background(), "c", "g", []byte("x")); fresh == nil || err != nil {
		t.Errorf("after a 503 the key runs again: %v", err)
	}
	_, _, err := s.begin(context.Background(), "c", "f", []byte("other"))
	var re *adapter.RequestError
	if !errors.As(err, &re) || re.Status != 422 {
		t.Errorf("other body: %v", err)
	}
	for i := range 100 {
		record(fmt.Sprint("k", i), 5)
	}
	if len(s.entries) > 4 || len(s.order) > 4 { // 3 kept + g still running
		t.Errorf("%d entries, %d in order", len(s.entries), len(s.order))
	}
}
