package msglog_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// TestInterruptedRotationParts: an uncommitted .part of this log is removed
// at Open (its records are re-archived from the journal), while a .part of
// another log sharing the archive tree (the access log) is left alone.
func TestInterruptedRotationParts(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, nil)
	if _, err := l.Append(context.Background(), exchange(1, "")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	archive := filepath.Join(dir, "archive")
	os.MkdirAll(filepath.Join(archive, "access"), 0o750)
	other := filepath.Join(archive, "access", ".rotating-00000000-5.part")
	os.WriteFile(other, []byte("another log's rotation in progress"), 0o640)
	abs, _ := filepath.Abs(filepath.Join(dir, "log"))
	h := sha256.Sum256([]byte(abs))
	mine := filepath.Join(archive, fmt.Sprintf(".rotating-%x-1.part", h[:4]))
	os.WriteFile(mine, []byte("this log's rotation, interrupted before its commit"), 0o640)
	// Reconstruct this log's own part name by rotating once, then faking an
	// uncommitted one next to it.
	l = openLog(t, dir, nil)
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Close()
	as, _ := msglog.ListArchives(archive)
	if len(as) != 1 {
		t.Fatalf("archives: %v", as)
	}
	entries, _ := filepath.Glob(filepath.Join(archive, ".rotating-*"))
	if len(entries) != 0 {
		t.Fatalf("committed rotation left parts: %v", entries)
	}
	if _, err := os.Stat(mine); !os.IsNotExist(err) {
		t.Fatalf("this log's uncommitted part survived Open: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("Open removed another log's in-progress archive: %v", err)
	}
}
