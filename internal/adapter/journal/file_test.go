package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestFileRecordsDurablyAndResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			x := &Exchange{Check: "tax-debt", MessageID: fmt.Sprint(i), Request: Message{Body: []byte("<a>\x00é</a>")}}
			id, err := j.Record(context.Background(), x)
			if err != nil {
				t.Errorf("Record: %v", err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	if st := j.Stats(); st.Records != n || st.Commits < 1 || st.Commits > n {
		t.Errorf("Stats = %+v, want %d records in 1..%d commits", st, n, n)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || id == "" {
			t.Fatalf("duplicate or empty id %q", id)
		}
		seen[id] = true
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Record(context.Background(), &Exchange{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Record after Close = %v, want ErrClosed", err)
	}

	// A crash mid-write leaves a torn line; reopening drops it and goes on.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"journal:51","check":"tor`)
	f.Close()
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := j.Record(context.Background(), &Exchange{Check: "founders"})
	if err != nil || id != "journal:51" {
		t.Fatalf("Record after reopen = %q, %v; want journal:51", id, err)
	}
	j.Close()

	data, _ := os.ReadFile(path)
	var got []*Exchange
	if err := Scan(bytes.NewReader(data), func(x *Exchange) error { got = append(got, x); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != n+1 {
		t.Fatalf("journal holds %d records, want %d", len(got), n+1)
	}
	for i, x := range got {
		if want := fmt.Sprintf("journal:%d", i+1); x.ID != want {
			t.Errorf("record %d id %q, want %q", i, x.ID, want)
		}
	}
	if !bytes.Equal(got[0].Request.Body, []byte("<a>\x00é</a>")) {
		t.Errorf("body not kept byte for byte: %q", got[0].Request.Body)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestOpenRejectsForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	os.WriteFile(path, []byte("not json\n"), 0o600)
	if _, err := Open(path); err == nil {
		t.Fatal("Open(garbage) succeeded")
	}
}

func TestRecordHonoursContext(t *testing.T) {
	j, err := Open(filepath.Join(t.TempDir(), "j"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Either it was fast enough or it reports the cancellation; it must not hang.
	done := make(chan struct{})
	go func() { j.Record(ctx, &Exchange{}); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record ignored a cancelled context")
	}
}

func BenchmarkFileRecordParallel(b *testing.B) {
	j, err := Open(filepath.Join(b.TempDir(), "j"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	body := bytes.Repeat([]byte("x"), 2048)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := j.Record(context.Background(), &Exchange{Request: Message{Body: body}}); err != nil {
				b.Error(err)
			}
		}
	})
}
