package problem

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/adapter/portalapi"
)

func TestNegotiate(t *testing.T) {
	for in, want := range map[string]string{
		"": "en", "ru": "ru", "ru-RU": "ru", "KY-kg": "ky", "en-US,en;q=0.9": "en", "de": "en", "*": "en",
		"fr;q=1, ru;q=0.2, ky;q=0.3": "ky", "ru;q=0": "en", "ru;q=abc, ky": "ky", "ky;q=0.5, ru": "ru",
	} {
		if got := Negotiate(in); got != want {
			t.Errorf("Negotiate(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEveryTypeHasStatusTitleAndURI(t *testing.T) {
	seen := map[string]bool{}
	for _, ty := range Types() {
		if ty.Title() == "" || ty.Status() < 400 || seen[ty.URI()] {
			t.Errorf("%s: title %q status %d", ty, ty.Title(), ty.Status())
		}
		seen[ty.URI()] = true
	}
	// The OpenAPI document lists exactly these types.
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum        []string `json:"enum"`
					Description string   `json:"description"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(portalapi.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Components.Schemas["Problem"].Properties
	if len(p["type"].Enum) != len(seen) {
		t.Errorf("openapi.json lists %d problem types, the package %d", len(p["type"].Enum), len(seen))
	}
	for _, u := range p["type"].Enum {
		if !seen[u] {
			t.Errorf("openapi.json type %s is not a problem.Type", u)
		}
	}
	// Every documented code has Russian and Kyrgyz detail, all distinct.
	codes := regexp.MustCompile(`[a-z_]+`).FindAllString(strings.SplitN(p["code"].Description, ":", 2)[1], -1)
	if len(codes) < 40 {
		t.Fatalf("codes in openapi.json: %v", codes)
	}
	for _, c := range codes {
		d, ok := details[c]
		if !ok || d[0] == "" || d[1] == "" || d[0] == d[1] {
			t.Errorf("code %s: ru/ky detail %q", c, d)
		}
	}
}

func TestWriteLocalizes(t *testing.T) {
	p := New(InvalidInput, "invalid_inn", "inn is not a valid INN: must be 14 digits", "inn")
	p.Field = "inn"
	for lang, want := range map[string]string{"en": "inn is not a valid INN: must be 14 digits", "ru": "inn: недопустимый ИНН (14 цифр).", "ky": "inn: ИНН туура эмес (14 сан)."} {
		w := httptest.NewRecorder()
		if st := Write(w, p, lang); st != 400 {
			t.Fatalf("status %d", st)
		}
		var got Problem
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Detail != want || got.Type != InvalidInput.URI() || got.Title != "Invalid input" || got.Field != "inn" ||
			w.Header().Get("Content-Type") != ContentType || w.Header().Get("Content-Language") != lang {
			t.Errorf("%s: %+v %v", lang, got, w.Header())
		}
	}
	w := httptest.NewRecorder()
	r := New(RateLimited, "rate_limited", "slow down")
	r.RetryAfterSeconds = 3
	Write(w, r, "")
	if w.Code != 429 || w.Header().Get("Retry-After") != "3" {
		t.Errorf("429: %d %v", w.Code, w.Header())
	}
}

// BenchmarkWrite is the cost of rendering a problem against encoding the
// same fields as a plain JSON object, the baseline in the same run.
func BenchmarkWrite(b *testing.B) {
	p := New(ProviderError, "provider_error", "the producer reported an internal error")
	p.Check, p.ProviderCode, p.RequestID = "tax-debt", "INTERNAL_ERROR", "3f2c0a9e8b7d4c1a9e0f1b2c3d4e5f60"
	b.Run("problem-ru", func(b *testing.B) {
		for range b.N {
			Write(httptest.NewRecorder(), p, "ru")
		}
	})
	b.Run("plain-json-baseline", func(b *testing.B) {
		for range b.N {
			w := httptest.NewRecorder()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(502)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": p.Code, "message": p.Detail, "providerCode": p.ProviderCode}, "check": p.Check})
		}
	})
}
