// Package testkit holds what tests across the repository share about the
// repository itself: paths from its root, the golden files under testdata/
// (rewritten with -update) and the shipped example catalog, which must be
// valid (a broken example fails the test; it is no reason to skip).
package testkit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Path is a path below the repository root, e.g. Path("configs", "catalog").
func Path(elem ...string) string {
	_, file, _, _ := runtime.Caller(0) // <repo>/internal/testkit/testkit.go
	return filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, elem...)...)
}

// Golden compares got with the file testdata/NAME (slash path), or, with
// -update, rewrites that file.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := Path("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (rerun the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if intended, rerun with -update\ngot:\n%s", name, got)
	}
}

// ExampleCatalog loads the shipped example catalog, configs/catalog,
// failing the test when it does not load or has errors.
func ExampleCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, _, err := catalog.LoadValid(Path("configs", "catalog"))
	if err != nil {
		t.Fatalf("the example catalog configs/catalog is invalid: %v", err)
	}
	return c
}

// ExampleService is the example catalog's service ref (a code, code.version
// or service id, as catalog.FindService takes), failing the test when the
// catalog has none.
func ExampleService(t testing.TB, ref string) *catalog.Service {
	t.Helper()
	return Service(t, ExampleCatalog(t), ref)
}

// Service is c's service ref, failing the test when c has none.
func Service(t testing.TB, c *catalog.Catalog, ref string) *catalog.Service {
	t.Helper()
	s, err := c.FindService(ref)
	if err != nil {
		t.Fatalf("service %s: %v", ref, err)
	}
	return s
}

// SyncBuffer is a bytes.Buffer that a running program (a command's logger,
// a child process's stderr copier) and the test may use at once.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
