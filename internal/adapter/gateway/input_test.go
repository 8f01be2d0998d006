package gateway

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzScanKeys: scanKeys never panics; what it accepts is one JSON object
// whose keys are unique ignoring case at every level, so encoding/json
// reads it one way.
func FuzzScanKeys(f *testing.F) {
	for _, s := range []string{`{"inn":"1","checks":["a"]}`, `{"inn":1,"INN":2}`, `null`, `{"a":{"b":[{"c":1,"C":2}]}}`, `{}{}`, `{"a":[1,{"b":{}}],"c":"d"}`, `[`, `{"a"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := scanKeys(body, batchKeys)
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		var v map[string]any
		if derr := dec.Decode(&v); derr != nil || v == nil {
			t.Fatalf("accepted %q, which is not one JSON object: %v", body, derr)
		}
		if dec.More() {
			t.Fatalf("accepted trailing data: %q", body)
		}
		var walk func(any)
		walk = func(x any) {
			switch x := x.(type) {
			case map[string]any:
				seen := map[string]bool{}
				for k, e := range x {
					if seen[strings.ToLower(k)] {
						t.Fatalf("accepted case-variant keys in %q", body)
					}
					seen[strings.ToLower(k)] = true
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		walk(v)
		// Duplicates collapse in a map: count keys in the token stream too.
		if n, m := countKeys(body), countMapKeys(v); n != m {
			t.Fatalf("accepted %q with %d keys in the text but %d distinct", body, n, m)
		}
	})
}

func countKeys(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	type fr struct{ obj, key bool }
	var st []*fr
	n := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		if len(st) > 0 && st[len(st)-1].obj && st[len(st)-1].key {
			if _, ok := tok.(string); ok {
				n++
				st[len(st)-1].key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(st) > 0 && st[len(st)-1].obj {
				st[len(st)-1].key = true
			}
			st = append(st, &fr{obj: tok == json.Delim('{'), key: tok == json.Delim('{')})
		case json.Delim('}'), json.Delim(']'):
			st = st[:len(st)-1]
		default:
			if len(st) > 0 && st[len(st)-1].obj {
				st[len(st)-1].key = true
			}
		}
	}
}

func countMapKeys(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := len(x)
		for _, e := range x {
			n += countMapKeys(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += countMapKeys(e)
		}
		return n
	}
	return 0
}
