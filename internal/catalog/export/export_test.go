package export_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/catalog/export"
	"github.com/tunduk-kg/tunduk/internal/testkit"
)

func example(t *testing.T) (*catalog.Catalog, *export.Catalog) {
	t.Helper()
	c := testkit.ExampleCatalog(t)
	p, err := export.Build(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
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

// assertPage checks what a citizen reads: one language, names before
// ids, legal bases as a list, withheld personal data named as such.
func assertPage(t *testing.T, c *catalog.Catalog, lang string, h []byte) {
	t.Helper()
	page := string(h)
	text := func(tx catalog.Text) string {
		return map[string]string{"ky": tx.KY, "ru": tx.RU, "en": tx.EN}[lang]
	}
	if !strings.HasPrefix(page, "<!DOCTYPE html>\n<html lang=\""+lang+"\">") {
		t.Errorf("%s: no lang attribute on <html>", lang)
	}
	for _, other := range export.Langs {
		if other == lang {
			continue
		}
		// Another language's organisation name would mean the page is not one language.
		if name := map[string]string{"ky": c.Organisation.Name.KY, "ru": c.Organisation.Name.RU, "en": c.Organisation.Name.EN}[other]; strings.Contains(page, template.HTMLEscapeString(name)) {
			t.Errorf("%s page shows the %s name", lang, other)
		}
	}
	for _, s := range c.Services {
		title := template.HTMLEscapeString(text(s.Title))
		ti, ii := strings.Index(page, title), strings.Index(page, s.ServiceID(c.Organisation).String())
		if ti < 0 || ii < 0 || ii < ti {
			t.Errorf("%s: service %s: title at %d, X-Road id at %d; want the title first", lang, s.Code, ti, ii)
		}
		for _, a := range s.LegalBasis {
			if !strings.Contains(page, "<li>"+template.HTMLEscapeString(text(a.Title))) {
				t.Errorf("%s: service %s: legal basis %q is not a list item", lang, s.Code, text(a.Title))
			}
		}
	}
	if strings.Contains(page, "— <") || strings.Contains(page, "—</") {
		t.Errorf("%s: a dangling dash", lang)
	}
	withheld := map[string]string{"ky": "жашырылган", "ru": "скрыто", "en": "withheld"}[lang]
	if !strings.Contains(page, withheld) {
		t.Errorf("%s: the page does not say personal data is withheld", lang)
	}
}

func TestExportGoldenAndPublic(t *testing.T) {
	c, p := example(t)
	j, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "catalog/golden/catalog.json", j)
	files, err := p.Files()
	if err != nil {
		t.Fatal(err)
	}
	// One golden page per language: index.html (ky), ru/index.html, en/index.html.
	for _, lang := range export.Langs {
		h := files[export.PagePath(lang)]
		testkit.Golden(t, "catalog/golden/"+export.PagePath(lang), h)
		assertPublic(t, c, j, h)
		assertPage(t, c, lang, h)
	}

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
	files, _ := p.Files()
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	var names []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{export.ManifestName, "catalog.json", "en/index.html", "index.html", "ru/index.html", export.StylePath}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("files in %s: %v, want %v (no temp files left)", dir, names, want)
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

// serveCatalog serves p at /catalog as the gateway mounts it, until the
// test ends.
func serveCatalog(t *testing.T, p *export.Catalog) *httptest.Server {
	t.Helper()
	h, err := export.Handler(p, export.HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/catalog", h)
	mux.Handle("/catalog/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHandler(t *testing.T) {
	c, p := example(t)
	srv := serveCatalog(t, p)

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
	for _, tc := range []struct{ path, lang string }{
		{"/catalog", "ky"}, {"/catalog/", "ky"}, {"/catalog/index.html", "ky"},
		{"/catalog/ru", "ru"}, {"/catalog/ru/", "ru"}, {"/catalog/ru/index.html", "ru"},
		{"/catalog/en", "en"}, {"/catalog/en/", "en"}, {"/catalog/en/index.html", "en"},
	} {
		resp, b := get("GET", tc.path, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: security headers missing", tc.path)
		}
		if !bytes.Contains(b, []byte(`<html lang="`+tc.lang+`">`)) {
			t.Errorf("GET %s: not the %s page", tc.path, tc.lang)
		}
		// The switch links to the other languages' pages as served and
		// marks the current one.
		for lang, href := range map[string]string{"ky": `href="/catalog/"`, "ru": `href="/catalog/ru/"`, "en": `href="/catalog/en/"`} {
			if lang == tc.lang {
				if !bytes.Contains(b, []byte(`<strong lang="`+lang+`" aria-current="page">`)) {
					t.Errorf("GET %s: the switch does not mark %s as current", tc.path, lang)
				}
			} else if !bytes.Contains(b, []byte(href)) {
				t.Errorf("GET %s: the language switch lacks %s", tc.path, href)
			}
		}
		htmlBody = b
	}
	// The pages' one stylesheet is served beside them, and the pages link
	// it: no inline style, so the policy allows only the site's own.
	if resp, b := get("GET", "/catalog/style.css", nil); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
		!bytes.Contains(b, []byte("nav.langs")) || strings.Contains(resp.Header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Errorf("GET /catalog/style.css: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"))
	}
	if !bytes.Contains(htmlBody, []byte(`<link rel="stylesheet" href="/catalog/style.css">`)) || bytes.Contains(htmlBody, []byte("<style>")) {
		t.Error("the page does not link the served stylesheet, or has an inline one")
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
