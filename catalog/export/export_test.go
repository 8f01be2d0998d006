package export_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/export"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/catalog/golden")

func example(t *testing.T) (*catalog.Catalog, *export.Catalog) {
	t.Helper()
	c, err := catalog.Load("../../configs/catalog")
	if err != nil {
		t.Fatal(err)
	}
	if errs := c.Validate().Errors(); len(errs) > 0 {
		t.Fatalf("example catalog invalid: %v", errs)
	}
	p, err := export.Build(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("../../testdata/catalog/golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./catalog/export -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if intended, rerun with -update", name)
	}
}

// secrets lists what must never be public: everything about authorised
// persons, internal addresses, the database kind.
func secrets(c *catalog.Catalog) []string {
	var s []string
	for _, p := range c.Organisation.AuthorisedPersons {
		s = append(s, p.Name, p.PIN, p.Email, p.Phone, p.Basis, p.Position.RU)
	}
	for _, sv := range c.Services {
		s = append(s, sv.Backend.URL)
		if u, err := url.Parse(sv.Backend.URL); err == nil {
			s = append(s, u.Host, u.Hostname())
		}
	}
	for _, sys := range c.Systems {
		s = append(s, sys.Inventory.Database)
	}
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// personalFields maps each service id to the dotted paths of its
// personal-data fields (and of objects holding only personal data).
func personalFields(c *catalog.Catalog) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, s := range c.Services {
		m := map[string]bool{}
		for _, fs := range [][]*catalog.Field{s.Input, s.Output} {
			catalog.WalkFields(fs, func(path string, f *catalog.Field) {
				if f.PersonalData || strings.Contains(path, ".") && m[path[:strings.LastIndex(path, ".")]] {
					m[path] = true
				}
			})
		}
		out[s.ServiceID(c.Organisation).String()] = m
	}
	return out
}

func exportedPaths(fs []export.Field, prefix string, fn func(string)) {
	for _, f := range fs {
		p := f.Name
		if prefix != "" {
			p = prefix + "." + f.Name
		}
		fn(p)
		exportedPaths(f.Fields, p, fn)
	}
}

// assertPublic fails when the exported JSON or HTML holds a personal-data
// field or a secret of the source catalog.
func assertPublic(t *testing.T, c *catalog.Catalog, j, h []byte) {
	t.Helper()
	for _, s := range secrets(c) {
		if bytes.Contains(j, []byte(s)) {
			t.Errorf("catalog.json contains %q", s)
		}
		if bytes.Contains(h, []byte(s)) {
			t.Errorf("index.html contains %q", s)
		}
	}
	var back export.Catalog
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	personal := personalFields(c)
	nPersonal := 0
	for _, m := range personal {
		nPersonal += len(m)
	}
	if nPersonal == 0 {
		t.Fatal("the test catalog has no personal-data field; the test would prove nothing")
	}
	for _, s := range back.Services {
		pf, ok := personal[s.ID]
		if !ok {
			t.Errorf("exported service %s is not in the catalog", s.ID)
		}
		for _, fs := range [][]export.Field{s.Input, s.Output} {
			exportedPaths(fs, "", func(p string) {
				if pf[p] {
					t.Errorf("service %s: personal-data field %s exported", s.ID, p)
				}
			})
		}
		if s.PersonalData != (len(pf) > 0) {
			t.Errorf("service %s: personalData %v, catalog has %d personal fields", s.ID, s.PersonalData, len(pf))
		}
	}
	for _, sys := range back.Systems {
		src := c.System(sys.Code)
		for _, d := range src.Inventory.DataElements {
			if !d.PersonalData {
				continue
			}
			for _, e := range sys.DataElements {
				if e.Name == d.Name {
					t.Errorf("system %s: personal data element %q exported", sys.Code, d.Name.EN)
				}
			}
		}
	}
}

func TestExportGoldenAndPublic(t *testing.T) {
	c, p := example(t)
	j, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	h, err := p.HTML("catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "catalog.json", j)
	golden(t, "index.html", h)
	assertPublic(t, c, j, h)

	// The personal fields of getSupplierInfo are gone and counted; the
	// representative object (all personal) went with them.
	for _, s := range p.Services {
		if s.Code == "getSupplierInfo" && (!s.PersonalData || s.PersonalDataFields != 3) {
			t.Errorf("getSupplierInfo: personalData %v, %d fields", s.PersonalData, s.PersonalDataFields)
		}
	}
}

// Write puts the same bytes on disk.
func TestWrite(t *testing.T) {
	_, p := example(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := p.Write(dir, export.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	j, _ := p.JSON()
	h, _ := p.HTML("catalog.json")
	for name, want := range map[string][]byte{"catalog.json": j, "index.html": h} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("%d files in %s, want catalog.json, index.html and %s (no temp files left)", len(ents), dir, export.ManifestName)
	}
}

// Write refuses a directory changed since the last export (edited, added
// or unknown files) unless forced, and re-exports over its own output.
func TestWriteRefusesChangedDir(t *testing.T) {
	_, p := example(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := p.Write(dir, export.WriteOptions{}); err != nil {
		t.Fatalf("first export: %v", err)
	}
	if err := p.Write(dir, export.WriteOptions{}); err != nil {
		t.Fatalf("re-export over an untouched export: %v", err)
	}
	changedBy := func(name string, mutate func(string), stillForeign bool) {
		t.Helper()
		mutate(filepath.Join(dir, name))
		err := p.Write(dir, export.WriteOptions{})
		var ce *export.ChangedError
		if !errors.As(err, &ce) || len(ce.Files) != 1 || ce.Files[0] != name || !strings.Contains(err.Error(), "--force") {
			t.Errorf("%s changed: Write = %v, want a ChangedError naming it", name, err)
		}
		if err := p.Write(dir, export.WriteOptions{Force: true}); err != nil {
			t.Errorf("%s changed, --force: %v", name, err)
		}
		// A forced export rewrites its own files and leaves foreign ones.
		if got, _ := export.Changed(dir); (len(got) != 0) != stillForeign {
			t.Errorf("after the forced export Changed = %v", got)
		}
	}
	changedBy("index.html", func(path string) { os.WriteFile(path, []byte("<p>edited by hand</p>"), 0o644) }, false)
	changedBy("notes.txt", func(path string) { os.WriteFile(path, []byte("added"), 0o644) }, true)
	// A directory with files but no manifest is not ours.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "index.html"), []byte("someone else's page"), 0o644)
	if err := p.Write(other, export.WriteOptions{}); err == nil {
		t.Error("Write over a directory without a manifest succeeded")
	}
	if b, _ := os.ReadFile(filepath.Join(other, "index.html")); string(b) != "someone else's page" {
		t.Error("a refused export changed the directory")
	}
}

func TestHandler(t *testing.T) {
	c, p := example(t)
	h, err := export.Handler(p, export.HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/catalog", h)
	mux.Handle("/catalog/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(method, path string, hdr map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	var htmlBody []byte
	for _, path := range []string{"/catalog", "/catalog/", "/catalog/index.html"} {
		resp, b := get("GET", path, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: security headers missing", path)
		}
		htmlBody = b
	}
	if !bytes.Contains(htmlBody, []byte(`href="/catalog/catalog.json"`)) {
		t.Error("the page does not link to /catalog/catalog.json")
	}
	resp, jsonBody := get("GET", "/catalog/catalog.json", nil)
	var back export.Catalog
	if resp.StatusCode != 200 || json.Unmarshal(jsonBody, &back) != nil || back.Organisation.MemberCode != c.Organisation.MemberCode {
		t.Fatalf("GET catalog.json: %d", resp.StatusCode)
	}
	assertPublic(t, c, jsonBody, htmlBody)

	// Conditional GET.
	if resp2, _ := get("GET", "/catalog/catalog.json", map[string]string{"If-None-Match": resp.Header.Get("ETag")}); resp2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", resp2.StatusCode)
	}
	if resp, b := get("HEAD", "/catalog", nil); resp.StatusCode != 200 || len(b) != 0 {
		t.Errorf("HEAD: %d, %d bytes", resp.StatusCode, len(b))
	}
	if resp, _ := get("POST", "/catalog/catalog.json", nil); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	if resp, _ := get("GET", "/catalog/../etc/passwd", nil); resp.StatusCode == 200 {
		t.Errorf("traversal: %d", resp.StatusCode)
	}
	if resp, _ := get("GET", "/catalog/organisation.yaml", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("source file: %d, want 404", resp.StatusCode)
	}
}
