package msglog_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// TestVerifierAcceptsOurArchives writes records of every shape (exchanges
// with bodies, events without, a batch of one), rotates three times and
// checks that the independent verifier (signing/msglog/verify, what
// `tunduk archive verify` runs) passes the whole chain, then that it
// rejects a flipped byte.
func TestVerifierAcceptsOurArchives(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, nil)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		for i := 0; i < 25; i++ {
			if _, err := l.Append(ctx, exchange(round*100+i, "central-server/GOV/70000001/portal")); err != nil {
				t.Fatal(err)
			}
		}
		ev := &msglog.Record{Type: msglog.TypeKeyOperation, Event: &msglog.Event{Actor: "root", Action: "generate-key", Outcome: "ok"}}
		if _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if err := l.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A batch of exactly one record without attachments is signed directly.
	if _, err := l.Append(ctx, &msglog.Record{Type: msglog.TypeCatalogApply, Event: &msglog.Event{Action: "apply"}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	root := filepath.Join(dir, "archive")
	rep, err := verify.New(verify.Options{}).Paths([]string{root}, verify.ChainOptions{First: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || rep.Containers != 154 { // format 2: exchanges give two containers, events one
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("verify: valid=%v containers=%d\n%s", rep.Valid(), rep.Containers, b.String())
	}

	archives, _ := msglog.ListArchives(root)
	data, _ := os.ReadFile(archives[1].Path)
	// Flip a byte inside a container's data. (A flip at an arbitrary offset
	// can land in a zip header field, such as a modification time, that
	// X-Road's linking deliberately does not cover.)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	flipped := false
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".asice") && f.CompressedSize64 > 0 {
			off, err := f.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			data[off+int64(f.CompressedSize64/2)] ^= 0x20
			flipped = true
			break
		}
	}
	if !flipped {
		t.Fatal("archive holds no container to tamper with")
	}
	os.WriteFile(archives[1].Path, data, 0o640)
	rep, err = verify.New(verify.Options{}).Paths([]string{root}, verify.ChainOptions{First: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid() {
		t.Fatal("verifier passed an archive with a flipped byte")
	}
}

// TestArchiveAhead: batches archived ahead of rotation (handed over by
// Seal), batches whose hand-over was dropped (read from the journal), and
// parts dropped by Close (archived after the next Open) end in archives
// that hold every record once, in one valid chain, with no .part file left.
func TestArchiveAhead(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "archive")
	ctx := context.Background()
	slow := func(o *msglog.Options) { o.BatchInterval = time.Hour }
	l := openLog(t, dir, slow)
	n := 0
	appendSeal := func(k int) {
		for i := 0; i < k; i++ {
			if _, err := l.Append(ctx, exchange(n, "central-server/GOV/70000001/portal")); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if err := l.Seal(ctx); err != nil {
			t.Fatal(err)
		}
	}
	appendSeal(7)
	appendSeal(5)
	l.DropSealedForTest() // the archiver fell behind
	appendSeal(3)
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	appendSeal(4)
	appendSeal(6)
	l.WaitArchived() // both batches are archived ahead into .part files now
	if parts := partFiles(t, root); len(parts) == 0 {
		t.Fatal("WaitArchived returned before the sealed batches were archived ahead")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if parts := partFiles(t, root); len(parts) != 0 {
		t.Fatalf("Close left uncommitted parts: %v", parts)
	}
	l = openLog(t, dir, slow)
	appendSeal(2)
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := archivedRecords(t, root); got != n {
		t.Fatalf("archived %d records, want %d", got, n)
	}
	rep, err := verify.New(verify.Options{}).Paths([]string{root}, verify.ChainOptions{First: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || rep.Containers != 2*n {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("verify: valid=%v containers=%d, want %d\n%s", rep.Valid(), rep.Containers, 2*n, b.String())
	}
}

func partFiles(t *testing.T, root string) []string {
	t.Helper()
	top, err := filepath.Glob(filepath.Join(root, "*.part"))
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := filepath.Glob(filepath.Join(root, "*", "*.part"))
	return append(top, groups...)
}
