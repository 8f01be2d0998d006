package seal_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// seedEntries returns the named entries of the corpus's containers and of
// the containers inside the corpus's and testdata/msglog's archives.
func seedEntries(tb testing.TB, names ...string) [][]byte {
	var paths []string
	if root := corpus.Root(); root != "" {
		for _, g := range []string{"asic/*/*.asice", "archive/*.zip"} {
			m, _ := filepath.Glob(filepath.Join(root, g))
			paths = append(paths, m...)
		}
	}
	m, _ := filepath.Glob("../../../../testdata/msglog/*/*.zip")
	paths = append(paths, m...)
	var out [][]byte
	seen := map[string]bool{}
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				continue
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			if strings.HasSuffix(f.Name, ".asice") && depth == 0 {
				walk(data, 1)
			}
			for _, n := range names {
				if f.Name == n && !seen[string(data)] && len(out) < 30 {
					seen[string(data)] = true
					out = append(out, data)
				}
			}
		}
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		walk(b, 0)
	}
	return out
}

// FuzzParse: the signatures.xml parser, and checking what it accepts,
// never panic and fail only with X-Road's codes.
func FuzzParse(f *testing.F) {
	for _, s := range seedEntries(f, "META-INF/signatures.xml") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := seal.Parse(data)
		var se *seal.Error
		if err != nil {
			if !errors.As(err, &se) || se.Code == "" {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if s.Certificate == nil || len(s.References) == 0 {
			t.Fatal("accepted a signature without certificate or references")
		}
		err = s.Verify(func(uri string) ([]byte, bool) {
			if uri == seal.URIMessage {
				return []byte("<m/>"), true
			}
			return nil, false
		})
		if err != nil && (!errors.As(err, &se) || se.Code == "") {
			t.Fatalf("untyped error from Verify: %v", err)
		}
	})
}

// FuzzVerifyToken: the RFC 3161 token check never panics and fails only
// with X-Road's codes.
func FuzzVerifyToken(f *testing.F) {
	for _, tok := range seedEntries(f, "META-INF/timestamp.tst") {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, token []byte) {
		_, err := seal.VerifyToken(token, []byte("data"), nil)
		var se *seal.Error
		if err != nil && (!errors.As(err, &se) || se.Code == "") {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
