package msglog_test

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

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
	time.Sleep(50 * time.Millisecond) // let maintain archive ahead into .part files
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
	var parts []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") {
			parts = append(parts, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return parts
}
