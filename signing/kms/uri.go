package kms

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// URI is a parsed key URI. For pkcs11 (RFC 7512) it holds the path
// attributes (token, object, id, …, separated by ';') and the query
// attributes (module-path, pin-source, pin-value, separated by '&'), all
// percent-decoded. For file it holds the path.
type URI struct {
	Scheme string
	// Opaque is the decoded text after the scheme and before '?': for file
	// URIs the file path, for pkcs11 the raw attribute list.
	Opaque string
	path   []attr
	query  []attr
}

type attr struct{ k, v string }

// ParseURI parses a key URI such as "file:/etc/tunduk/keys/mlog.pem" or
// "pkcs11:token=tunduk;object=mlog-2026?pin-source=/etc/tunduk/pin".
// "file:///abs/path" and "file://localhost/abs/path" are accepted too.
func ParseURI(s string) (*URI, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/\\ ") {
		return nil, fmt.Errorf("kms: %q has no scheme (want file:PATH or pkcs11:…): %w", s, ErrInvalidURI)
	}
	u := &URI{Scheme: strings.ToLower(scheme)}
	raw, q, _ := strings.Cut(rest, "?")
	if u.Scheme == "file" {
		if after, ok := strings.CutPrefix(raw, "//"); ok {
			host, p, _ := strings.Cut(after, "/")
			if host != "" && host != "localhost" {
				return nil, fmt.Errorf("kms: %q: remote file host %q: %w", s, host, ErrInvalidURI)
			}
			raw = "/" + p
		}
	}
	var err error
	if u.Scheme == "pkcs11" {
		if u.path, err = parseAttrs(raw, ";"); err != nil {
			return nil, fmt.Errorf("kms: %q: %v: %w", u.Scheme+":"+raw, err, ErrInvalidURI)
		}
	}
	if u.Opaque, err = url.PathUnescape(raw); err != nil {
		return nil, fmt.Errorf("kms: %q: %v: %w", u.Scheme+":"+raw, err, ErrInvalidURI)
	}
	if q != "" {
		if u.query, err = parseAttrs(q, "&"); err != nil {
			return nil, fmt.Errorf("kms: invalid query in key URI: %v: %w", err, ErrInvalidURI)
		}
	}
	return u, nil
}

func parseAttrs(s, sep string) ([]attr, error) {
	if s == "" {
		return nil, nil
	}
	var out []attr
	for i, part := range strings.Split(s, sep) {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			// The text itself is left out: it may be a mistyped PIN.
			return nil, fmt.Errorf("attribute %d has no '='", i+1)
		}
		dk, err := url.PathUnescape(k)
		if err != nil {
			return nil, err
		}
		dv, err := url.PathUnescape(v)
		if err != nil {
			return nil, err
		}
		out = append(out, attr{dk, dv})
	}
	return out, nil
}

// Path returns a path attribute (token, object, id, …) or "".
func (u *URI) Path(name string) string { return find(u.path, name) }

// Query returns a query attribute (module-path, pin-source, …) or "".
func (u *URI) Query(name string) string { return find(u.query, name) }

// Get returns a path attribute, falling back to the query attribute of the
// same name.
func (u *URI) Get(name string) string {
	if v := u.Path(name); v != "" {
		return v
	}
	return u.Query(name)
}

func find(as []attr, name string) string {
	for _, a := range as {
		if a.k == name {
			return a.v
		}
	}
	return ""
}

// Has reports whether the path or query carries the attribute.
func (u *URI) Has(name string) bool {
	for _, a := range append(append([]attr(nil), u.path...), u.query...) {
		if a.k == name {
			return true
		}
	}
	return false
}

// PIN returns the PIN the URI names: pin-value as is, or the first line of
// the file named by pin-source (a path or a file: URI). It returns "" and
// no error when the URI names no PIN.
func (u *URI) PIN() (string, error) {
	if v := u.Query("pin-value"); v != "" {
		return v, nil
	}
	src := u.Query("pin-source")
	if src == "" {
		return "", nil
	}
	return ReadPINFile(src)
}

// ReadPINFile reads a PIN from a file (a path or a file: URI), taking the
// first line without its line ending. The error never contains the PIN.
func ReadPINFile(src string) (string, error) {
	p := src
	if strings.HasPrefix(src, "file:") {
		fu, err := ParseURI(src)
		if err != nil {
			return "", err
		}
		p = fu.Opaque
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("kms: reading PIN: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// String gives the URI back with attributes re-encoded and any pin-value
// replaced by "[redacted]", so it is safe to log.
func (u *URI) String() string { return u.format(true) }

// Encode gives the URI back with every attribute, pin-value included. Use
// it to hand a key URI on, never to log one.
func (u *URI) Encode() string { return u.format(false) }

func (u *URI) format(redact bool) string {
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteByte(':')
	if u.Scheme != "pkcs11" {
		b.WriteString(u.Opaque)
	} else {
		writeAttrs(&b, u.path, ";", redact)
	}
	if len(u.query) > 0 {
		b.WriteByte('?')
		writeAttrs(&b, u.query, "&", redact)
	}
	return b.String()
}

func writeAttrs(b *strings.Builder, as []attr, sep string, redact bool) {
	for i, a := range as {
		if i > 0 {
			b.WriteString(sep)
		}
		v := a.v
		if redact && a.k == "pin-value" {
			v = "[redacted]"
		}
		b.WriteString(escape(a.k))
		b.WriteByte('=')
		b.WriteString(escape(v))
	}
}

// escape percent-encodes everything outside RFC 7512's unreserved set plus
// the characters it allows unencoded in values ('/', ':', '@', …).
func escape(s string) string {
	const ok = "-._~:[]@!$'()*+,/"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(ok, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// Redact returns a loggable form of a key URI string (pin-value hidden).
// Unparsable input is returned as "[unparsable key URI]".
func Redact(s string) string {
	u, err := ParseURI(s)
	if err != nil {
		return "[unparsable key URI]"
	}
	return u.String()
}

// SetPath sets (or adds) a path attribute, e.g. the id of a key CreateKey
// chose. It is meant for pkcs11 URIs.
func (u *URI) SetPath(name, value string) {
	for i := range u.path {
		if u.path[i].k == name {
			u.path[i].v = value
			return
		}
	}
	u.path = append(u.path, attr{name, value})
}
