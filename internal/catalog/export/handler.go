package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// HandlerOptions configure Handler.
type HandlerOptions struct {
	// Prefix is the URL path the handler is mounted at; default "/catalog".
	Prefix string
	// Modified is the Last-Modified time (e.g. when the catalog was
	// loaded); zero leaves the header out.
	Modified time.Time
}

// Handler serves the public catalog: PREFIX, PREFIX/ and PREFIX/index.html
// (the page in Kyrgyz), PREFIX/ru/ and PREFIX/en/ (also …/index.html, and
// without the final slash) in Russian and English, their stylesheet
// PREFIX/style.css, and PREFIX/catalog.json. Content is rendered once,
// here; it has ETags (conditional GETs answer 304), a strict
// Content-Security-Policy, and only GET and HEAD are allowed. Mount it on
// both PREFIX and PREFIX/:
//
//	h, err := export.Handler(pub, export.HandlerOptions{})
//	mux.Handle("/catalog", h)
//	mux.Handle("/catalog/", h)
func Handler(p *Catalog, opts HandlerOptions) (http.Handler, error) {
	prefix := strings.TrimSuffix(opts.Prefix, "/")
	if prefix == "" {
		prefix = "/catalog"
	}
	j, err := p.JSON()
	if err != nil {
		return nil, err
	}
	links := Links{Page: map[string]string{}, JSON: prefix + "/catalog.json", Style: prefix + "/" + StylePath}
	for _, lang := range Langs {
		links.Page[lang] = prefix + "/" + strings.TrimSuffix(PagePath(lang), "index.html")
	}
	hd := &handler{
		prefix:   prefix,
		modified: opts.Modified,
		pages:    map[string]*asset{links.Style: {b: styleCSS, ctype: "text/css; charset=utf-8", etag: etag(styleCSS)}},
		json:     &asset{b: j, ctype: "application/json; charset=utf-8", etag: etag(j)},
	}
	for _, lang := range Langs {
		h, err := p.Page(lang, links)
		if err != nil {
			return nil, err
		}
		a := &asset{b: h, ctype: "text/html; charset=utf-8", etag: etag(h)}
		page := prefix + "/" + PagePath(lang)
		dir := strings.TrimSuffix(page, "/index.html")
		hd.pages[page], hd.pages[dir], hd.pages[dir+"/"] = a, a, a
	}
	return hd, nil
}

type asset struct {
	b     []byte
	ctype string
	etag  string
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

type handler struct {
	prefix   string
	modified time.Time
	pages    map[string]*asset // by URL path
	json     *asset
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := h.pages[r.URL.Path]
	if r.URL.Path == h.prefix+"/catalog.json" {
		a = h.json
	}
	if a == nil {
		http.NotFound(w, r)
		return
	}
	if a == h.json {
		w.Header().Set("Access-Control-Allow-Origin", "*") // public data, for other portals
	}
	serve(w, r, a, h.modified)
}

// serve writes an asset with its ETag and safe headers; GET and HEAD only.
func serve(w http.ResponseWriter, r *http.Request, a *asset, modified time.Time) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", a.etag)
	hd.Set("Cache-Control", "public, max-age=300")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'")
	http.ServeContent(w, r, "", modified, bytes.NewReader(a.b))
}
