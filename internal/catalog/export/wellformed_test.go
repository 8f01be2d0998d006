package export_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/catalog/export"
)

var (
	tagRE   = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	idRE    = regexp.MustCompile(`\sid="([^"]+)"`)
	fragRE  = regexp.MustCompile(`\shref="#([^"]+)"`)
	rawText = map[string]bool{"style": true, "script": true}
	void    = map[string]bool{"meta": true, "link": true, "br": true, "img": true, "hr": true, "input": true}
	// blockInPhrasing are elements that may not sit inside a <p>.
	blockInP = map[string]bool{"p": true, "ul": true, "ol": true, "dl": true, "table": true, "section": true, "h1": true, "h2": true, "h3": true, "h4": true, "details": true, "div": true, "nav": true, "pre": true}
)

// Each page is well-formed HTML: every element closed in order, no block
// element inside a paragraph, ids unique, every in-page link has a
// target, one <h1>, a <title> and a lang on <html>. (The browser tests
// check layout; this catches the markup mistakes browsers silently fix.)
func TestPageWellFormed(t *testing.T) {
	_, p := example(t)
	files, err := p.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range export.Langs {
		page := string(files[export.PagePath(lang)])
		var stack []string
		ids := map[string]int{}
		h1 := 0
		for _, m := range tagRE.FindAllStringSubmatchIndex(page, -1) {
			closing, name := page[m[2]:m[3]] == "/", strings.ToLower(page[m[4]:m[5]])
			if len(stack) > 0 && rawText[stack[len(stack)-1]] && !(closing && name == stack[len(stack)-1]) {
				continue
			}
			if closing {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					t.Errorf("%s: </%s> at byte %d closes %v", lang, name, m[0], stack)
					return
				}
				stack = stack[:len(stack)-1]
				continue
			}
			if blockInP[name] {
				for _, open := range stack {
					if open == "p" {
						t.Errorf("%s: <%s> inside <p> at byte %d", lang, name, m[0])
					}
				}
			}
			if name == "h1" {
				h1++
			}
			for _, id := range idRE.FindAllStringSubmatch(page[m[6]:m[7]], -1) {
				ids[id[1]]++
			}
			if !void[name] {
				stack = append(stack, name)
			}
		}
		if len(stack) != 0 {
			t.Errorf("%s: unclosed %v", lang, stack)
		}
		for id, n := range ids {
			if n > 1 {
				t.Errorf("%s: id %q used %d times", lang, id, n)
			}
		}
		for _, f := range fragRE.FindAllStringSubmatch(page, -1) {
			if ids[f[1]] == 0 {
				t.Errorf("%s: link to #%s, which is not on the page", lang, f[1])
			}
		}
		if h1 != 1 || !strings.Contains(page, "<title>") || !strings.HasPrefix(page, "<!DOCTYPE html>\n<html lang=\""+lang+"\">") {
			t.Errorf("%s: %d <h1>, title %v, doctype/lang %v", lang, h1, strings.Contains(page, "<title>"), strings.HasPrefix(page, "<!DOCTYPE html>"))
		}
	}
}
