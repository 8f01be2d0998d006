package provider

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// backendTemplate is a backend URL with {name} placeholders, each escaped
// by where it stands: a path placeholder as one path segment (url.PathEscape:
// '/', '?', '#' and '%' are escaped, "." and ".." refused), a query
// placeholder as a query value (url.QueryEscape: '&', '=' and '+' are
// escaped), so a caller can neither add backend parameters nor leave the
// path. Placeholders anywhere else (scheme, host, user info, fragment, a
// query parameter's name) are ambiguous and refused when the service is
// loaded.
type backendTemplate struct {
	parts []tmplPart
}

type tmplPart struct {
	lit   string // literal text, used as is
	name  string // placeholder name when lit is empty
	query bool   // the placeholder is in the query string
}

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// parseBackend checks a backend URL template and returns it parsed.
func parseBackend(raw string) (*backendTemplate, error) {
	u, err := url.Parse(placeholderRE.ReplaceAllString(raw, "x"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("backend %q is not an http(s) URL", raw)
	}
	if strings.Count(raw, "{") != strings.Count(raw, "}") || len(placeholderRE.FindAllString(raw, -1)) != strings.Count(raw, "{") {
		return nil, fmt.Errorf("backend %q: unbalanced or nested braces; write placeholders as {name}", raw)
	}
	// Where the path starts: after scheme://authority.
	rest := raw[strings.Index(raw, "://")+3:]
	pathStart := len(raw) - len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		pathStart += i
	} else {
		pathStart = len(raw)
	}
	queryStart := strings.IndexByte(raw, '?')
	fragStart := strings.IndexByte(raw, '#')
	t := &backendTemplate{}
	last := 0
	for _, m := range placeholderRE.FindAllStringSubmatchIndex(raw, -1) {
		name := raw[m[2]:m[3]]
		if !paramNameRE.MatchString(name) {
			return nil, fmt.Errorf("backend %q: placeholder {%s} is not a parameter name", raw, name)
		}
		switch {
		case m[0] < pathStart:
			return nil, fmt.Errorf("backend %q: placeholder {%s} in the scheme or host is not allowed; put it in the path or the query", raw, name)
		case fragStart >= 0 && m[0] > fragStart:
			return nil, fmt.Errorf("backend %q: placeholder {%s} in the fragment is not allowed", raw, name)
		}
		query := queryStart >= 0 && m[0] > queryStart
		if query {
			// Only a value position (after '=') is unambiguous.
			before := raw[queryStart+1 : m[0]]
			if i := strings.LastIndexByte(before, '&'); i >= 0 {
				before = before[i+1:]
			}
			if !strings.Contains(before, "=") {
				return nil, fmt.Errorf("backend %q: placeholder {%s} names a query parameter; placeholders may only stand for values (key={%s})", raw, name, name)
			}
		}
		if m[0] > last {
			t.parts = append(t.parts, tmplPart{lit: raw[last:m[0]]})
		}
		t.parts = append(t.parts, tmplPart{name: name, query: query})
		last = m[1]
	}
	if last < len(raw) {
		t.parts = append(t.parts, tmplPart{lit: raw[last:]})
	}
	return t, nil
}

var paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)

// expand fills the placeholders from values and removes the values it
// used from the map (the rest go to the query string or the JSON body).
// A value that cannot stand in its position is an error the consumer can
// fix.
func (t *backendTemplate) expand(values map[string]string) (string, error) {
	var b strings.Builder
	used := map[string]bool{}
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		v, ok := values[p.name]
		if !ok || v == "" {
			return "", fmt.Errorf("parameter %s is required", p.name)
		}
		if p.query {
			b.WriteString(url.QueryEscape(v))
		} else {
			if v == "." || v == ".." {
				return "", fmt.Errorf("parameter %s: %q cannot be a path segment", p.name, v)
			}
			b.WriteString(url.PathEscape(v))
		}
		used[p.name] = true
	}
	for k := range used {
		delete(values, k)
	}
	return b.String(), nil
}

// CheckBackend reports whether a backend URL template is acceptable: an
// http(s) URL whose {placeholders} stand only in the path or for query
// values. The configuration loader calls it to point at the bad line.
func CheckBackend(raw string) error {
	_, err := parseBackend(raw)
	return err
}
