package export_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/catalog/export"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// chromium runs headless Chromium on url in a width×900 window and
// returns the DOM after load (or, with a screenshot path, writes a PNG).
func chromium(t *testing.T, bin, url string, width int, screenshot string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), fmt.Sprintf("--window-size=%d,900", width)}
	if screenshot != "" {
		args = append(args, "--screenshot="+screenshot)
	} else {
		args = append(args, "--dump-dom")
	}
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, stderr.String())
	}
	return string(out)
}

// harness is a page that shows one catalog page in an iframe exactly
// width CSS pixels wide (headless Chromium's window is at least 500 px,
// an iframe gives a true 390 px viewport) and, once it has loaded, writes
// into its own DOM what the browser laid out: the page's scroll and client
// widths, the elements sticking out on the right, and where the language
// links lead.
const harness = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}iframe{border:0;display:block}</style></head><body>
<iframe id="f" src="%s" width="%d" height="844"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var doc = this.contentDocument, d = doc.documentElement, wide = [], links = {};
  doc.querySelectorAll('body *').forEach(function (e) {
    if (e.getBoundingClientRect().right > d.clientWidth + 0.5 && wide.length < 5) wide.push(e.tagName + ' ' + (e.textContent || '').slice(0, 60));
  });
  doc.querySelectorAll('nav.langs a').forEach(function (a) { links[a.hreflang] = a.href; });
  var m = document.createElement('pre');
  m.id = 'measure';
  m.textContent = JSON.stringify({scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, wide: wide, links: links, lang: d.lang});
  document.body.appendChild(m);
});
</script></body></html>`

type measure struct {
	ScrollWidth, ClientWidth int
	Wide                     []string
	Links                    map[string]string
	Lang                     string
}

var measureRE = regexp.MustCompile(`(?s)<pre id="measure">(.*?)</pre>`)

func parseMeasure(t *testing.T, dom string) measure {
	t.Helper()
	m := measureRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the measuring script did not run; DOM:\n%.2000s", dom)
	}
	var out measure
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &out); err != nil {
		t.Fatalf("measure %q: %v", m[1], err)
	}
	return out
}

// The exported pages, in headless Chromium at a 390 px phone width and a
// 1280 px desktop width: nothing scrolls sideways, each page is in its
// language, and the language switch (plain links) leads to the other
// pages, from disk and as /catalog serves them. Screenshots are left in
// testdata/out (gitignored) for a person to look at.
func TestPageInChromium(t *testing.T) {
	bin := corpus.RequireTool(t, "chromium", "apt-get install chromium")
	_, p := example(t)
	dir := filepath.Join(t.TempDir(), "public")
	if err := p.Write(dir, export.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join("testdata", "out")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// The export directory as any static web server would serve it, plus
	// the measuring harness (same origin, so it can read the iframe).
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_harness" {
			var width int
			fmt.Sscan(r.URL.Query().Get("w"), &width)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, harness, "/"+r.URL.Query().Get("page"), width)
			return
		}
		http.FileServer(http.Dir(dir)).ServeHTTP(w, r)
	}))
	defer files.Close()
	// A control page that does scroll sideways proves the measurement sees it.
	if err := os.WriteFile(filepath.Join(dir, "control-wide.html"), []byte(`<!DOCTYPE html><html lang="en"><body><div style="width:600px">wide</div></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if m := parseMeasure(t, chromium(t, bin, files.URL+"/_harness?page=control-wide.html&w=390", 410, "")); m.ScrollWidth <= m.ClientWidth || len(m.Wide) == 0 {
		t.Fatalf("the overflow check does not see a 600 px element in a 390 px viewport: %+v", m)
	}
	for _, lang := range export.Langs {
		for _, width := range []int{390, 1280} {
			url := fmt.Sprintf("%s/_harness?page=%s&w=%d", files.URL, export.PagePath(lang), width)
			m := parseMeasure(t, chromium(t, bin, url, width+20, ""))
			if m.Lang != lang {
				t.Errorf("%s page: <html lang=%q>", lang, m.Lang)
			}
			if m.ScrollWidth > m.ClientWidth || len(m.Wide) > 0 {
				t.Errorf("%s page at %d px scrolls sideways: scrollWidth %d > clientWidth %d; sticking out: %q",
					lang, width, m.ScrollWidth, m.ClientWidth, m.Wide)
			}
			if m.ClientWidth < width-20 || m.ClientWidth > width {
				t.Errorf("%s page: viewport %d px, want %d", lang, m.ClientWidth, width)
			}
			// The switch: a link to each other language's page.
			for _, other := range export.Langs {
				if other == lang {
					continue
				}
				if want := files.URL + "/" + export.PagePath(other); m.Links[other] != want {
					t.Errorf("%s page: switch to %s leads to %q, want %q", lang, other, m.Links[other], want)
				}
			}
			chromium(t, bin, url, width+20, filepath.Join(shots, fmt.Sprintf("catalog-%s-%d.png", lang, width)))
		}
	}
	// Followed in the browser, each switch link opens the page in that language.
	for _, lang := range export.Langs {
		dom := chromium(t, bin, files.URL+"/"+export.PagePath(lang), 500, "")
		if !strings.Contains(dom, `<html lang="`+lang+`">`) || !strings.Contains(dom, `lang="`+lang+`" aria-current="page"`) {
			t.Errorf("the %s page opened from the switch is not in %s", export.PagePath(lang), lang)
		}
	}

	// As served at /catalog: the switch's absolute links lead to the pages.
	srv := serveCatalog(t, p)
	dom := chromium(t, bin, srv.URL+"/catalog", 500, "")
	ru := regexp.MustCompile(`<a href="([^"]+)" hreflang="ru"`).FindStringSubmatch(dom)
	if ru == nil {
		t.Fatalf("served page has no switch to Russian:\n%.1500s", dom)
	}
	if dom := chromium(t, bin, srv.URL+ru[1], 500, ""); !strings.Contains(dom, `<html lang="ru">`) {
		t.Errorf("the served switch to Russian (%s) does not open the Russian page", ru[1])
	}
}

// axeScript runs axe-core (already loaded) on the page and writes its
// violations into the DOM once done; Chromium dumps the DOM when its
// virtual time budget has run out.
const axeScript = `<script>
axe.run(document, {resultTypes: ['violations']}).then(function (r) {
  var m = document.createElement('pre');
  m.id = 'axe';
  m.textContent = JSON.stringify(r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(' '); })};
  }));
  document.body.appendChild(m);
}, function (e) {
  var m = document.createElement('pre'); m.id = 'axe'; m.textContent = 'error: ' + e; document.body.appendChild(m);
});
</script>`

// axeJS finds axe-core's axe.min.js: $TUNDUK_AXE_JS, else the global npm
// package (npm install -g axe-core).
func axeJS(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TUNDUK_AXE_JS"); p != "" {
		return p
	}
	if out, err := exec.Command("npm", "root", "-g").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "axe-core", "axe.min.js")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	corpus.Missing(t, "axe-core not found: npm install -g axe-core@4.14.1, or set TUNDUK_AXE_JS to its axe.min.js")
	return ""
}

var axeRE = regexp.MustCompile(`(?s)<pre id="axe">(.*?)</pre>`)

// axe-core, injected into each page in headless Chromium, finds no
// serious or critical accessibility violation.
func TestPageAccessibility(t *testing.T) {
	bin := corpus.RequireTool(t, "chromium", "apt-get install chromium")
	axe, err := os.ReadFile(axeJS(t))
	if err != nil {
		t.Fatal(err)
	}
	_, p := example(t)
	files, err := p.Files()
	if err != nil {
		t.Fatal(err)
	}
	// A control page with a critical violation (an image without alt text)
	// proves axe-core ran and is read.
	files["control.html"] = []byte(`<!DOCTYPE html><html lang="en"><head><title>c</title></head><body><main><img src="x.png"></main></body></html>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/axe.min.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(axe)
			return
		}
		b, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(strings.Replace(string(b), "</body>", `<script src="/axe.min.js"></script>`+axeScript+"\n</body>", 1)))
	}))
	defer srv.Close()
	for _, lang := range append([]string{"control"}, export.Langs...) {
		page := "control.html"
		if lang != "control" {
			page = export.PagePath(lang)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
			"--window-size=500,900", "--virtual-time-budget=15000", "--dump-dom", srv.URL+"/"+page)
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
		m := axeRE.FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("%s: axe-core did not report", lang)
		}
		var vs []struct {
			ID, Impact, Help string
			Nodes            []string
		}
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &vs); err != nil {
			t.Fatalf("%s: axe-core: %s", lang, m[1])
		}
		if lang == "control" {
			found := false
			for _, v := range vs {
				found = found || v.ID == "image-alt"
			}
			if !found {
				t.Fatalf("axe-core did not report the control page's image without alt: %+v", vs)
			}
			continue
		}
		for _, v := range vs {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("%s page: %s violation %s (%s) at %v", lang, v.Impact, v.ID, v.Help, v.Nodes)
			} else {
				t.Logf("%s page: %s violation %s (%s) at %v", lang, v.Impact, v.ID, v.Help, v.Nodes)
			}
		}
	}
}
