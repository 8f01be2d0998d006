package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := WriteFile(p, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %04o", b, fi.Mode().Perm())
	}
	// A failing writer leaves the old content and no temporary file.
	boom := errors.New("boom")
	err := Write(p, 0o600, func(w io.Writer) error { w.Write([]byte("half")); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("a failed write changed the file: %q", b)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

func TestCreateNewNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "key.pem")
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := CreateNew(p, 0o600, write("first")); err != nil {
		t.Fatal(err)
	}
	if err := CreateNew(p, 0o600, write("second")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second CreateNew = %v, want fs.ErrExist", err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "first" || fi.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %04o", b, fi.Mode().Perm())
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

func TestRenameAndRemove(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.part"), filepath.Join(dir, "sub", "a.zip")
	os.WriteFile(a, []byte("x"), 0o600)
	os.Mkdir(filepath.Dir(b), 0o700)
	if err := Rename(a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b); err != nil {
		t.Fatal(err)
	}
	if err := Remove(b); err != nil {
		t.Fatal(err)
	}
	if err := Remove(b); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove(missing) = %v", err)
	}
	if err := SyncDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("SyncDir(missing) succeeded")
	}
}

func TestAppendCreatesThenAppends(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "journal.jsonl")
	for _, line := range []string{"one\n", "two\n"} {
		if err := Append(p, 0o640, []byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "one\ntwo\n" || fi.Mode().Perm() != 0o640 {
		t.Errorf("content %q mode %04o", b, fi.Mode().Perm())
	}
	if err := Append(filepath.Join(dir, "missing", "j"), 0o640, []byte("x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("append under a missing directory: %v", err)
	}
}

// TestReplace: Replace swaps the content and mode whole (without fsync)
// and leaves no temporary file.
func TestReplace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "checkpoint")
	for _, c := range []string{"old", "newer"} {
		if err := Replace(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		fi, _ := os.Stat(p)
		if string(b) != c || fi.Mode().Perm() != 0o600 {
			t.Errorf("content %q mode %04o, want %q 0600", b, fi.Mode().Perm(), c)
		}
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}
