package catalog_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The example catalog is split over files; positions name the file
// relative to the catalog directory and the exact line.
func TestLoadPositions(t *testing.T) {
	c, err := catalog.Load("../configs/catalog")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.FindService("unreliableSupplier")
	if err != nil {
		t.Fatal(err)
	}
	if s.Pos.File != "services/unreliableSupplier.yaml" || s.Pos.Line != 2 || s.Pos.At("legalBasis") == s.Pos.Line {
		t.Errorf("service pos %+v", s.Pos)
	}
	lines := strings.Split(mustRead(t, "../configs/catalog/services/unreliableSupplier.yaml"), "\n")
	if l := lines[s.Pos.At("backend")-1]; strings.TrimSpace(l) != "backend:" {
		t.Errorf("At(backend) points at %q", l)
	}
	if l := lines[s.Pos.AtItem("allowedConsumers", 2)-1]; !strings.Contains(l, "zakupki-portal") {
		t.Errorf("AtItem(allowedConsumers, 2) points at %q", l)
	}
	if l := lines[s.Input[0].Pos.Line-1]; !strings.Contains(l, "name: inn") {
		t.Errorf("field pos points at %q", l)
	}
	if c.Organisation.Pos.File != "organisation.yaml" || len(c.Systems) != 2 || len(c.Classifiers) != 3 {
		t.Errorf("loaded %+v", c)
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadRefuses(t *testing.T) {
	org := "organisation:\n  memberClass: GOV\n"
	for name, tc := range map[string]struct {
		files map[string]string
		want  string // in the problem text
		line  int
	}{
		"second organisation": {map[string]string{"a.yaml": org, "b.yaml": org}, "second organisation", 1},
		"anchors":             {map[string]string{"a.yaml": "organisation: &o\n  memberClass: GOV\n"}, "anchors (&) and aliases (*) are not allowed", 1},
		"two documents":       {map[string]string{"a.yaml": org + "---\n" + org}, "a second YAML document", 4},
		"unknown key":         {map[string]string{"a.yaml": "organisation:\n  memberClas: GOV\n"}, `organisation.memberClas: unknown key; did you mean "memberClass"?`, 2},
		"wrong type":          {map[string]string{"a.yaml": "services:\n  - code: x\n    sla: {availability: high}\n"}, `services[0].sla.availability: the text "high" is not a number; write a number such as 0.5`, 3},
		"bad duration":        {map[string]string{"a.yaml": "services:\n  - backend: {timeout: soon}\n"}, "duration", 2},
		"syntax":              {map[string]string{"a.yaml": "services:\n  - code: [\n"}, "", 0},
	} {
		dir := writeFiles(t, tc.files)
		_, err := catalog.Load(dir)
		var ps catalog.Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Errorf("%s: err = %v, want Problems", name, err)
			continue
		}
		if !strings.Contains(ps[0].String(), tc.want) || (tc.line > 0 && ps[0].Line != tc.line) || ps[0].File == "" {
			t.Errorf("%s: %s (want %q at line %d)", name, ps[0], tc.want, tc.line)
		}
	}
	// Hidden directories (.git) are skipped; other extensions are ignored.
	dir := writeFiles(t, map[string]string{"org.yaml": org, ".git/x.yaml": org, "notes.txt": "x: ["})
	if _, err := catalog.Load(dir); err != nil {
		t.Errorf("hidden dir or .txt read: %v", err)
	}
	if _, err := catalog.Load(t.TempDir()); err == nil {
		t.Error("empty directory accepted")
	}
}

func TestFindService(t *testing.T) {
	c, err := catalog.Load("../configs/catalog")
	if err != nil {
		t.Fatal(err)
	}
	dup := *c.Services[0]
	dup.Version = "v2"
	c.Services = append(c.Services, &dup)
	var nf *catalog.NotFoundError
	if _, err := c.FindService("getSupplierInfo"); !errors.As(err, &nf) || len(nf.Matches) != 2 {
		t.Errorf("ambiguous: %v", err)
	}
	if s, err := c.FindService("getSupplierInfo.v2"); err != nil || s != &dup {
		t.Errorf("code.version: %v", err)
	}
	if s, err := c.FindService("SERVICE:central-server/GOV/70000041/supplier-registry/getSupplierInfo/v1"); err != nil || s.Version != "v1" {
		t.Errorf("typed id: %v", err)
	}
	if _, err := c.FindService("nope"); !errors.As(err, &nf) {
		t.Errorf("missing: %v", err)
	}
}

func BenchmarkLoadValidate(b *testing.B) {
	// Baseline: reading and YAML-decoding the same files without the
	// catalog's strict decoding, positions and rules; compare ns/op.
	b.Run("baseline-yaml", func(b *testing.B) {
		files, _ := filepath.Glob("../configs/catalog/*/*.yaml")
		files = append(files, "../configs/catalog/organisation.yaml")
		for b.Loop() {
			for _, f := range files {
				var v any
				if err := yamlUnmarshal(mustReadB(b, f), &v); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("load-validate", func(b *testing.B) {
		for b.Loop() {
			c, err := catalog.Load("../configs/catalog")
			if err != nil {
				b.Fatal(err)
			}
			if ps := c.Validate(); len(ps) != 0 {
				b.Fatal(ps)
			}
		}
	})
}

func mustReadB(b *testing.B, name string) []byte {
	x, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	return x
}

// Parse and Validate never panic, whatever the YAML; every problem has a
// file name.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../testdata/catalog/invalid/*.yaml")
	files = append(files, "../testdata/catalog/valid-minimal.yaml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := catalog.Parse("f.yaml", b)
		if err != nil {
			var ps catalog.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %v is not Problems", err)
			}
			return
		}
		for _, p := range c.Validate() {
			if p.File == "" || p.Msg == "" {
				t.Fatalf("problem without file or message: %+v", p)
			}
		}
	})
}
