package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
)

// FuzzRecover opens a store whose only segment ends in arbitrary bytes
// after three good records: Open must not panic, and it either refuses
// with ErrCorrupt or keeps the three records and appends after them.
func FuzzRecover(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 5, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 4, 'a'})
	f.Add(make([]byte, 64))
	dir := f.TempDir()
	s, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		s.Append(context.Background(), payload(i))
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	good, _ := os.ReadFile(segs[0])
	f.Fuzz(func(t *testing.T, tail []byte) {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, filepath.Base(segs[0])), append(append([]byte(nil), good...), tail...), 0o640)
		s, err := store.Open(store.Options{Dir: d})
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("Open: %v", err)
			}
			return
		}
		defer s.Close()
		if s.LastSeq() < 3 {
			t.Fatalf("lost acknowledged records: LastSeq %d", s.LastSeq())
		}
		n := s.LastSeq()
		if seq, err := s.Append(context.Background(), []byte("next")); err != nil || seq != n+1 {
			t.Fatalf("append after recovery: %d %v", seq, err)
		}
	})
}
