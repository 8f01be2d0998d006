package layout_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const mod = "github.com/tunduk-kg/tunduk"

type pkg struct {
	ImportPath string
	Dir        string
	Doc        string
	GoFiles    []string
	CgoFiles   []string
	Imports    []string
	Deps       []string
}

// list runs `go list -deps=false -json ./...` from the module root.
func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = "../.."
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		ps = append(ps, p)
	}
	if len(ps) < 50 {
		t.Fatalf("go list found %d packages; the module has far more", len(ps))
	}
	return ps
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, mod), "/") }

func ours(imports []string) []string {
	var r []string
	for _, i := range imports {
		if i == mod || strings.HasPrefix(i, mod+"/") {
			r = append(r, rel(i))
		}
	}
	return r
}

func TestSoapImportsNothingOfOurs(t *testing.T) {
	for _, p := range list(t) {
		r := rel(p.ImportPath)
		if r != "soap" && r != "soap/rest" {
			continue
		}
		var o []string
		for _, d := range ours(p.Deps) {
			if d != "soap" {
				o = append(o, d)
			}
		}
		if len(o) > 0 {
			t.Errorf("%s depends on %v; the message core must import nothing of tunduk", r, o)
		}
	}
}

func TestSigningImportsNoAdapterOrCatalog(t *testing.T) {
	seen := 0
	for _, p := range list(t) {
		r := rel(p.ImportPath)
		if !strings.HasPrefix(r, "signing/") && !strings.HasPrefix(r, "internal/signing/") {
			continue
		}
		seen++
		for _, d := range ours(p.Deps) {
			for _, bad := range []string{"adapter", "catalog", "internal/adapter", "internal/catalog"} {
				if d == bad || strings.HasPrefix(d, bad+"/") {
					t.Errorf("%s depends on %s: signing must not know the adapter or the catalog", r, d)
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("only %d signing packages found", seen)
	}
}

func TestKeyBackendsImportedByOneCommandPackage(t *testing.T) {
	backends := map[string]bool{"signing/kms/softkms": true, "signing/kms/pkcs11kms": true}
	importers := map[string][]string{}
	for _, p := range list(t) {
		r := rel(p.ImportPath)
		if !strings.HasPrefix(r, "cmd/") {
			continue
		}
		for _, i := range ours(p.Imports) {
			if backends[i] {
				importers[i] = append(importers[i], r)
			}
		}
	}
	for b := range backends {
		if len(importers[b]) != 1 {
			t.Errorf("%s is imported by %d packages under cmd/ (%v); the factory alone must import key backends", b, len(importers[b]), importers[b])
		}
	}
}

func TestOnePKCS7ParseCall(t *testing.T) {
	call := regexp.MustCompile(`\bpkcs7\.Parse\(`)
	var callers []string
	for _, p := range list(t) {
		for _, f := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
			b, err := os.ReadFile(filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if call.Match(b) {
				callers = append(callers, rel(p.ImportPath)+"/"+f)
			}
		}
	}
	if len(callers) != 1 || !strings.HasPrefix(callers[0], "internal/signing/tsa/") {
		t.Errorf("pkcs7.Parse is called in %v; exactly one file of internal/signing/tsa may parse tokens", callers)
	}
}

func TestPublicPackagesSaySo(t *testing.T) {
	public := 0
	for _, p := range list(t) {
		r := rel(p.ImportPath)
		if strings.HasPrefix(r, "internal/") || strings.HasPrefix(r, "cmd/") || r == "configs" || r == "packaging" || p.Doc == "" && len(p.GoFiles) == 0 {
			continue
		}
		public++
		if !strings.Contains(docText(t, p), "Public API:") {
			t.Errorf("%s is importable by other programs but its package doc has no \"Public API:\" paragraph; say why it is public or move it under internal/", r)
		}
	}
	if public < 10 {
		t.Fatalf("only %d public packages found", public)
	}
}

// docText returns the package comment (go list's Doc is its first sentence only).
func docText(t *testing.T, p pkg) string {
	t.Helper()
	var b strings.Builder
	for _, f := range p.GoFiles {
		src, err := os.ReadFile(filepath.Join(p.Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(src)
		if i := strings.Index(s, "\npackage "); i >= 0 && strings.Contains(s[:i], "// Package ") {
			b.WriteString(s[:i])
		}
	}
	return b.String()
}
