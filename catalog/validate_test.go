package catalog_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
)

var update = flag.Bool("update", false, "rewrite the .want files of testdata/catalog/invalid")

// load parses one catalog file; load problems come back as Problems.
func load(t *testing.T, name string) (*catalog.Catalog, catalog.Problems) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Parse(filepath.Base(name), b)
	if err != nil {
		var ps catalog.Problems
		if !errors.As(err, &ps) {
			t.Fatalf("Parse: %v is not catalog.Problems", err)
		}
		return c, ps
	}
	return c, c.Validate()
}

func TestValidMinimal(t *testing.T) {
	_, ps := load(t, "../testdata/catalog/valid-minimal.yaml")
	for _, p := range ps {
		t.Errorf("unexpected: %s", p)
	}
}

// TestInvalid checks that each invalid example is refused with errors at the
// lines and paths in its .want file ("LINE PATH: message" per error).
func TestInvalid(t *testing.T) {
	files, _ := filepath.Glob("../testdata/catalog/invalid/*.yaml")
	if len(files) < 10 {
		t.Fatalf("only %d invalid examples", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			_, ps := load(t, f)
			errs := ps.Errors()
			if len(errs) == 0 {
				t.Fatal("accepted; want at least one error")
			}
			var got strings.Builder
			for _, p := range errs {
				if p.Line == 0 {
					t.Errorf("no line: %s", p)
				}
				if p.Msg == "" {
					t.Errorf("no message: %s", p)
				}
				fmt.Fprintf(&got, "%d %s: %s\n", p.Line, p.Path, p.Msg)
			}
			wantFile := strings.TrimSuffix(f, ".yaml") + ".want"
			if *update {
				if err := os.WriteFile(wantFile, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (run go test ./catalog -run TestInvalid -update)", err)
			}
			if got.String() != string(want) {
				t.Errorf("problems differ from %s\ngot:\n%s\nwant:\n%s", wantFile, got.String(), want)
			}
		})
	}
}
