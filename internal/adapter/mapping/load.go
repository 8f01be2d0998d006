package mapping

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
	"github.com/tunduk-kg/tunduk/internal/yamlpos"
	"github.com/tunduk-kg/tunduk/soap"
)

// file is the YAML shape of a mapping.
type file struct {
	Check     string               `yaml:"check"`
	Style     Style                `yaml:"style"`
	Service   string               `yaml:"service"`
	Public    *bool                `yaml:"public"`
	Discover  string               `yaml:"discover"`
	Namespace string               `yaml:"namespace"`
	Timeout   string               `yaml:"timeout"`
	MaxAnswer string               `yaml:"maxAnswerBytes"`
	Vars      map[string]string    `yaml:"vars"`
	Request   string               `yaml:"request"`
	Method    string               `yaml:"method"`
	Path      string               `yaml:"path"`
	Status    []statusYAML         `yaml:"status"`
	NotFound  []int                `yaml:"notFound"`
	ErrorCode string               `yaml:"errorCode"`
	Fields    map[string]fieldYAML `yaml:"fields"`
}

type statusYAML struct {
	Path      string             `yaml:"path"`
	Codes     map[string]Outcome `yaml:"codes"`
	Otherwise Outcome            `yaml:"otherwise"`
	Missing   Outcome            `yaml:"missing"`
}

type fieldYAML struct {
	Path   string               `yaml:"path"` // "a/b", or alternatives "a/pin|a/inn"
	True   []string             `yaml:"true"`
	Fields map[string]fieldYAML `yaml:"fields"`
	// Value is a constant answer instead of a path (e.g. currency: KGS).
	Value *string `yaml:"value"`
	// Format is a date's format in the producer's answer: YYYY, MM, DD,
	// hh, mm, ss and literal characters ("DD.MM.YYYY"); default YYYY-MM-DD.
	Format string `yaml:"format"`
	// Values map the producer's wording of an enum to API values.
	Values map[string]string `yaml:"values"`
	// Otherwise is the API value for wording not under values; without it
	// such an answer is refused as malformed.
	Otherwise string `yaml:"otherwise"`
}

// Problem is one thing wrong in a mapping file, printed as
// FILE:LINE: path: what is wrong; what to do.
type Problem = yamlpos.Problem

// Error lists every problem found while loading mappings.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return "mapping: invalid:\n  " + strings.Join(s, "\n  ")
}

// LoadFile reads and validates one mapping file.
func LoadFile(path string) (*Mapping, error) {
	data, err := yamlpos.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return Parse(path, data)
}

// LoadDir loads every *.yaml / *.yml file in dir. Two mappings for the same
// check are an error. Problems of all files are reported together.
func LoadDir(dir string) ([]*Mapping, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	var paths []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	return LoadFiles(paths)
}

// LoadFS loads every *.yaml / *.yml file in dir of fsys (an embedded
// copy of the shipped mappings, for the demo); see LoadDir.
func LoadFS(fsys fs.FS, dir string) ([]*Mapping, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	var out []*Mapping
	var all Error
	for _, e := range entries {
		if ext := path.Ext(e.Name()); e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		name := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("mapping: %w", err)
		}
		m, err := Parse(name, data)
		var me *Error
		if errors.As(err, &me) {
			all.Problems = append(all.Problems, me.Problems...)
			continue
		}
		out = append(out, m)
	}
	if len(all.Problems) > 0 {
		return nil, &all
	}
	return out, nil
}

// LoadFiles loads the given mapping files; see LoadDir.
func LoadFiles(paths []string) ([]*Mapping, error) {
	var out []*Mapping
	var all Error
	seen := map[string]string{}
	for _, p := range paths {
		m, err := LoadFile(p)
		var me *Error
		switch {
		case errors.As(err, &me):
			all.Problems = append(all.Problems, me.Problems...)
			continue
		case err != nil:
			all.Problems = append(all.Problems, Problem{File: p, Msg: err.Error()})
			continue
		}
		if prev, dup := seen[m.Check.Name]; dup {
			all.Problems = append(all.Problems, Problem{File: p, Msg: fmt.Sprintf("check %q is already mapped in %s", m.Check.Name, prev)})
			continue
		}
		seen[m.Check.Name] = p
		out = append(out, m)
	}
	if len(all.Problems) > 0 {
		return nil, &all
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Check.Name < out[j].Check.Name })
	return out, nil
}

// Parse validates a mapping held in memory; name is used in messages.
// Every problem is reported: syntax, unknown keys, values of the wrong
// type, and what validation finds in the values that decoded.
func Parse(name string, data []byte) (*Mapping, error) {
	var f file
	doc, ps := yamlpos.Parse(name, data)
	if len(ps) > 0 {
		return nil, &Error{Problems: ps}
	}
	if doc.Empty() {
		return nil, &Error{Problems: []Problem{{File: name, Msg: "empty mapping; write one (see configs/mappings/ for examples)"}}}
	}
	decoded := doc.Decode(&f)
	v := validator{doc: doc}
	m := v.build(&f)
	for _, p := range v.problems {
		if !decoded.Covers(p.Path) {
			decoded = append(decoded, p)
		}
	}
	if len(decoded) > 0 {
		decoded.Sort()
		return nil, &Error{Problems: decoded}
	}
	m.File = name
	return m, nil
}

type validator struct {
	doc      *yamlpos.Doc
	problems []Problem
}

func (v *validator) addf(path, format string, args ...any) {
	v.problems = append(v.problems, v.doc.Problemf(path, format, args...))
}

// goTypeRE matches the Go type text/template names in its errors, which
// means nothing to the person writing the mapping.
var goTypeRE = regexp.MustCompile(` in type [\w.*\[\]]+`)

var segment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)

func (v *validator) build(f *file) *Mapping {
	m := &Mapping{Style: f.Style, Discover: f.Discover, Namespace: f.Namespace, vars: f.Vars, notFound: f.NotFound}
	c, ok := checks.Lookup(f.Check)
	switch {
	case f.Check == "":
		v.addf("check", "check is required; one of %s", strings.Join(checks.Names(), ", "))
	case !ok:
		v.addf("check", "unknown check %q; one of %s", f.Check, strings.Join(checks.Names(), ", "))
	}
	m.Check = c

	switch f.Style {
	case Legacy, WCF, REST:
	case "":
		v.addf("style", "style is required: legacy, wcf or rest")
	default:
		v.addf("style", "unknown style %q; use legacy, wcf or rest", f.Style)
	}

	if f.Service == "" {
		v.addf("service", "service is required, e.g. central-server/GOV/70000002/gns-service/serviceCode/v1")
	} else if sid, err := soap.ParseServiceID(f.Service); err != nil {
		v.addf("service", "not a service id (%v)", err)
	} else {
		m.Service = sid
	}
	m.Public = f.Public == nil || *f.Public
	if !m.Public && strings.TrimSpace(f.Discover) == "" {
		v.addf("public", "a non-public service code needs 'discover:' saying how to find it, e.g. tunduk meta list-methods SUBSYSTEM")
	}
	if f.Timeout != "" {
		d, err := time.ParseDuration(f.Timeout)
		if err != nil || d <= 0 {
			v.addf("timeout", "timeout %q is not a positive duration such as 10s", f.Timeout)
		}
		m.Timeout = d
	}
	m.MaxAnswerBytes = DefaultMaxAnswerBytes
	if f.MaxAnswer != "" {
		n, err := parseSize(f.MaxAnswer)
		if err != nil || n <= 0 || n > MaxMaxAnswerBytes {
			v.addf("maxAnswerBytes", "maxAnswerBytes %q is not a size between 1 and 64MiB, such as 256KiB or 2MiB", f.MaxAnswer)
		}
		m.MaxAnswerBytes = n
	}
	for k := range f.Vars {
		if !segment.MatchString(k) {
			v.addf("vars."+k, "variable name %q must be a simple identifier", k)
		}
	}

	sample := sampleData(m.vars)
	if f.Style == REST {
		if f.Request != "" {
			v.addf("request", "rest mappings take no request body; use path")
		}
		if f.Namespace != "" {
			v.addf("namespace", "rest mappings take no namespace")
		}
		m.Method = strings.ToUpper(f.Method)
		if m.Method == "" {
			m.Method = http.MethodGet
		}
		if m.Method != http.MethodGet {
			v.addf("method", "only GET is supported for rest checks (reads must be safe to retry)")
		}
		if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
			v.addf("path", "path must start with /")
		}
		m.path = v.template("path", f.Path, sample, false)
		for i, s := range f.NotFound {
			if s < 200 || s > 599 {
				v.addf(fmt.Sprintf("notFound[%d]", i), "%d is not an HTTP status", s)
			}
		}
		if f.ErrorCode != "" {
			m.errorCode = v.path("errorCode", f.ErrorCode)
		}
		if len(f.NotFound) == 0 {
			m.notFound = []int{http.StatusNoContent, http.StatusNotFound}
		}
	} else if f.Style != "" {
		if f.Method != "" || f.Path != "" || len(f.NotFound) > 0 || f.ErrorCode != "" {
			v.addf("style", "method, path, notFound and errorCode apply to rest mappings only")
		}
		if strings.TrimSpace(f.Request) == "" {
			v.addf("request", "request is required: the body wrapper's content (the wrapper <%s> is added from the service code)", m.Service.ServiceCode)
		}
		m.request = v.template("request", f.Request, sample, true)
		m.compiled = compileSimple(m.request, m.vars)
		if f.Style == Legacy && m.request != nil {
			if root := fragmentRoot(m.request, sample); root != "request" {
				v.addf("request", "legacy style wraps the input in <request>…</request>; the template's top element is <%s>", root)
			}
		}
	}

	for i, s := range f.Status {
		p := fmt.Sprintf("status[%d]", i)
		r := statusRule{path: v.path(p+".path", s.Path), codes: s.Codes, otherwise: s.Otherwise, missing: s.Missing}
		if len(s.Codes) == 0 {
			v.addf(p+".codes", "codes is required: business code → ok, not-found, rejected or provider-error")
		}
		for code, o := range s.Codes {
			if !validOutcome(o) {
				v.addf(p+".codes."+code, "unknown outcome %q; use ok, not-found, rejected or provider-error", o)
			}
		}
		if r.otherwise == "" {
			r.otherwise = ProviderError
		} else if !validOutcome(r.otherwise) {
			v.addf(p+".otherwise", "unknown outcome %q", r.otherwise)
		}
		if r.missing != "" && !validOutcome(r.missing) {
			v.addf(p+".missing", "unknown outcome %q", r.missing)
		}
		if f.Style == Legacy && len(r.path) > 0 && r.path[0] != "response" {
			v.addf(p+".path", "legacy answers carry their data under response/; path %q does not", s.Path)
		}
		m.status = append(m.status, r)
	}
	if len(f.Status) == 0 && f.Style != REST {
		v.addf("status", "SOAP mappings need at least one status rule (e.g. CauseOfError or response/status)")
	}

	if ok {
		m.fields = v.fields("fields", f.Fields, c.Fields, f.Style)
	}
	return m
}

func (v *validator) fields(at string, got map[string]fieldYAML, want []checks.Field, style Style) []fieldSpec {
	var out []fieldSpec
	for _, w := range want {
		g, ok := got[w.Name]
		p := at + "." + w.Name
		if w.Derived {
			if ok {
				v.addf(p, "%s is derived by the check from the other fields; do not map it", w.Name)
			}
			continue
		}
		if !ok {
			if w.Required {
				v.addf(at, "required result field %q is not mapped", w.Name)
			}
			continue
		}
		fs := fieldSpec{name: w.Name, typ: w.Type, required: w.Required}
		switch {
		case g.Value != nil && g.Path != "":
			v.addf(p, "give either path: or value:, not both")
		case g.Value != nil:
			if w.Type == checks.List || w.Type == checks.Object {
				v.addf(p+".value", "%s is a %s; value: applies to single values", w.Name, w.Type)
			}
		case g.Path == "":
			v.addf(p+".path", "path is required (or value: for a constant)")
		}
		for _, alt := range strings.Split(g.Path, "|") {
			if g.Path == "" {
				break
			}
			path := v.path(p+".path", alt)
			if at == "fields" && style == Legacy && len(path) > 0 && path[0] != "response" {
				v.addf(p+".path", "legacy answers carry their data under response/; path %q does not", alt)
			}
			fs.paths = append(fs.paths, path)
		}
		if len(g.True) > 0 {
			if w.Type != checks.Bool {
				v.addf(p+".true", "true: applies to bool fields only; %s is %s", w.Name, w.Type)
			}
			fs.truthy = map[string]bool{}
			for _, t := range g.True {
				fs.truthy[t] = true
			}
		}
		if w.Type == checks.Date {
			f := g.Format
			if f == "" {
				f = "YYYY-MM-DD"
			}
			layout, err := dateLayout(f)
			if err != nil {
				v.addf(p+".format", "format %q: %v", f, err)
			}
			fs.layout = layout
		} else if g.Format != "" {
			v.addf(p+".format", "format: applies to date fields only; %s is %s", w.Name, w.Type)
		}
		if w.Type == checks.Enum {
			v.enum(p, g, w, &fs)
		} else if len(g.Values) > 0 || g.Otherwise != "" {
			v.addf(p+".values", "values: and otherwise: apply to enum fields only; %s is %s", w.Name, w.Type)
		}
		switch {
		case w.Type == checks.List || w.Type == checks.Object:
			fs.fields = v.fields(p+".fields", g.Fields, w.Fields, "")
		case len(g.Fields) > 0:
			v.addf(p+".fields", "%s is a %s, not a list or object", w.Name, w.Type)
		}
		if g.Value != nil && w.Type != checks.List && w.Type != checks.Object {
			c, err := convert(fs, *g.Value)
			if err != nil {
				v.addf(p+".value", "value %q does not fit %s field %s: %v", *g.Value, w.Type, w.Name, err)
			}
			fs.constant = c
		}
		out = append(out, fs)
	}
	names := make([]string, 0, len(got))
	for k := range got {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		found := false
		for _, w := range want {
			found = found || w.Name == k
		}
		if !found {
			var known []string
			for _, w := range want {
				if !w.Derived {
					known = append(known, w.Name)
				}
			}
			v.addf(at+"."+k, "unknown result field %q; known: %s", k, strings.Join(known, ", "))
		}
	}
	return out
}

// enum checks an enum field's values: and otherwise: against the API
// values the check allows.
func (v *validator) enum(p string, g fieldYAML, w checks.Field, fs *fieldSpec) {
	allowed := strings.Join(w.Values, ", ")
	if len(g.Values) == 0 && g.Value == nil {
		v.addf(p, "enum %s needs values: mapping the producer's wording to %s", w.Name, allowed)
	}
	fs.enum = map[string]string{}
	keys := make([]string, 0, len(g.Values))
	for k := range g.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		api := g.Values[k]
		if !slices.Contains(w.Values, api) {
			v.addf(p+".values."+k, "%q is not a value of %s; use one of %s", api, w.Name, allowed)
		}
		fk := foldKey(k)
		if prev, dup := fs.enum[fk]; dup && prev != api {
			v.addf(p+".values."+k, "%q is listed twice (ignoring case and spaces) with different values", k)
		}
		fs.enum[fk] = api
	}
	if g.Otherwise != "" && !slices.Contains(w.Values, g.Otherwise) {
		v.addf(p+".otherwise", "%q is not a value of %s; use one of %s", g.Otherwise, w.Name, allowed)
	}
	fs.otherwise = g.Otherwise
	if g.Value != nil {
		// A constant enum is written as the API value itself.
		fs.enum[foldKey(*g.Value)] = *g.Value
	}
}

// dateLayout turns a date format of YYYY, MM, DD, hh, mm, ss and literal
// characters into a Go time layout.
func dateLayout(f string) (string, error) {
	var b strings.Builder
	seen := map[string]bool{}
	for i := 0; i < len(f); {
		matched := false
		for _, t := range []struct{ tok, layout string }{{"YYYY", "2006"}, {"MM", "01"}, {"DD", "02"}, {"hh", "15"}, {"mm", "04"}, {"ss", "05"}} {
			if strings.HasPrefix(f[i:], t.tok) {
				if seen[t.tok] {
					return "", fmt.Errorf("%s appears twice", t.tok)
				}
				seen[t.tok] = true
				b.WriteString(t.layout)
				i += len(t.tok)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := f[i]
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' && c != 'T' && c != 'Z' || c >= 'a' && c <= 'z' {
			return "", fmt.Errorf("unknown element at %q; use YYYY, MM, DD, hh, mm, ss and separators", f[i:])
		}
		b.WriteByte(c)
		i++
	}
	for _, t := range []string{"YYYY", "MM", "DD"} {
		if !seen[t] {
			return "", fmt.Errorf("a date format needs YYYY, MM and DD; %s is missing", t)
		}
	}
	return b.String(), nil
}

func (v *validator) path(at, s string) []string {
	if s == "" {
		v.addf(at, "path is required")
		return nil
	}
	parts := strings.Split(s, "/")
	for _, p := range parts {
		if !segment.MatchString(p) {
			v.addf(at, "path %q: segment %q is not an element name", s, p)
			return nil
		}
	}
	return parts
}

// template parses a template and runs it on sample data; for XML
// templates the output must be a well-formed fragment.
func (v *validator) template(at, text string, sample tmplData, isXML bool) *template.Template {
	t, err := template.New(at).Option("missingkey=error").Parse(text)
	if err != nil {
		v.addf(at, "template: %v", err)
		return nil
	}
	var b bytes.Buffer
	if err := t.Execute(&b, sample); err != nil {
		v.addf(at, "template: %s (available: .INN .PIN .RepresentativePIN .UserID .OfficerPIN .Issue .Vars.NAME)", goTypeRE.ReplaceAllString(err.Error(), ""))
		return nil
	}
	if isXML {
		if err := wellFormed(b.Bytes()); err != nil {
			v.addf(at, "the request body is not well-formed XML: %v", err)
			return nil
		}
	}
	return t
}

func wellFormed(frag []byte) error {
	d := xml.NewDecoder(io.MultiReader(strings.NewReader("<x>"), bytes.NewReader(frag), strings.NewReader("</x>")))
	d.Strict = true
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.Directive); ok {
			return errors.New("directives (DOCTYPE) are not allowed")
		}
	}
}

// fragmentRoot returns the local name of the first element of the
// rendered fragment.
func fragmentRoot(t *template.Template, sample tmplData) string {
	var b bytes.Buffer
	if t.Execute(&b, sample) != nil {
		return ""
	}
	d := xml.NewDecoder(&b)
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}

// parseSize reads a byte count: digits, optionally followed by KiB, MiB or
// KB, MB (powers of two either way: answers are sized, not marketed).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %s overflows", s)
	}
	return n * mult, nil
}
