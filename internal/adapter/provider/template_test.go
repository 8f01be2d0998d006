package provider

import (
	"strings"
	"testing"
)

func TestBackendTemplateEscapesByPosition(t *testing.T) {
	tm, err := parseBackend("https://be.local/api/{inn}/x?kind={kind}&fixed=1")
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]string{"inn": "a/b?c#d", "kind": "x&admin=1 +", "other": "kept"}
	got, err := tm.expand(vals)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://be.local/api/a%2Fb%3Fc%23d/x?kind=x%26admin%3D1+%2B&fixed=1"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, ok := vals["inn"]; ok || vals["other"] != "kept" {
		t.Errorf("used values must be removed, others kept: %v", vals)
	}
	for _, v := range []string{"..", ".", ""} {
		if _, err := tm.expand(map[string]string{"inn": v, "kind": "k"}); err == nil {
			t.Errorf("path value %q accepted", v)
		}
	}
}

func TestBackendTemplateRefusesAmbiguousPlaceholders(t *testing.T) {
	for raw, want := range map[string]string{
		"https://{host}/api":           "scheme or host",
		"https://be.local:{port}/api":  "backend",
		"https://{u}@be.local/api":     "scheme or host",
		"https://be.local/api?{k}=1":   "query parameter",
		"https://be.local/api?a=1&{k}": "query parameter",
		"https://be.local/api#{frag}":  "fragment",
		"https://be.local/api/{a{b}}":  "braces",
		"https://be.local/api/{a b}":   "parameter name",
		"ftp://be.local/{x}":           "http(s)",
	} {
		if _, err := parseBackend(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want …%s…", raw, err, want)
		}
	}
	for _, ok := range []string{"http://be.local/{inn}", "https://be.local/a/{x}-{y}.json?q={q}&r=2", "https://be.local"} {
		if _, err := parseBackend(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
