package yamlpos

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Decode decodes the document into v (a pointer) strictly, and returns
// every problem: each unknown key (with a "did you mean" or the keys
// allowed there), each key given twice, each value of the wrong type
// (in plain words), each value a custom type refuses. Fields with no
// problem are decoded even when others have one, so a caller may go on
// validating; an empty document leaves v untouched.
func (d *Doc) Decode(v any) Problems {
	if d.root == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic("yamlpos: Decode needs a non-nil pointer")
	}
	c := checker{doc: d}
	c.check(d.root, rv.Type().Elem(), "")
	err := d.root.Decode(v)
	if len(c.ps) == 0 && err != nil {
		// The checks above should have found it; report yaml's own words
		// rather than lose the problem.
		c.ps = append(c.ps, decodeProblems(d.File, err)...)
	}
	return c.ps
}

type checker struct {
	doc *Doc
	ps  Problems
}

func (c *checker) add(line int, path, format string, args ...any) {
	c.ps = append(c.ps, Problem{File: c.doc.File, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	nodeType        = reflect.TypeFor[yaml.Node]()
	durationType    = reflect.TypeFor[time.Duration]()
)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// check compares node n with the Go type t it will be decoded into.
func (c *checker) check(n *yaml.Node, t reflect.Type, path string) {
	if t == nodeType || t.Kind() == reflect.Interface {
		return // raw: anything goes
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		// The type decides; ask it, on this node alone.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			c.add(n.Line, path, "%s", plainError(err))
		}
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the default
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.check(n, t.Elem(), path)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.wrongType(n, t, path)
			return
		}
		fields := structFields(t)
		c.entries(n, path, func(k, val *yaml.Node, kp string) {
			ft, ok := fields.byKey[k.Value]
			if !ok && fields.rest != nil {
				ft, ok = fields.rest, true
			}
			if !ok {
				c.add(k.Line, kp, "unknown key; %s", suggest(k.Value, fields.keys))
				return
			}
			c.check(val, ft, kp)
		})
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.wrongType(n, t, path)
			return
		}
		c.entries(n, path, func(k, val *yaml.Node, kp string) {
			c.check(k, t.Key(), kp)
			c.check(val, t.Elem(), kp)
		})
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			c.wrongType(n, t, path)
			return
		}
		for i, it := range n.Content {
			c.check(it, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	default:
		if n.Kind != yaml.ScalarNode {
			c.wrongType(n, t, path)
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			c.wrongType(n, t, path)
		}
	}
}

// entries calls f for each key of mapping node n with the key's path,
// reporting a key given twice instead.
func (c *checker) entries(n *yaml.Node, path string, f func(k, val *yaml.Node, kp string)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if prev, dup := seen[k.Value]; dup {
			c.add(k.Line, kp, "given twice (also on line %d); keep one", prev)
			continue
		}
		seen[k.Value] = k.Line
		f(k, val, kp)
	}
}

func (c *checker) wrongType(n *yaml.Node, t reflect.Type, path string) {
	what, how := describeType(t)
	c.add(n.Line, path, "%s is not %s; %s", describeNode(n), what, how)
}

type fieldSet struct {
	byKey map[string]reflect.Type
	keys  []string
	rest  reflect.Type // the value type of an inline map, which takes any other key
}

// structFields lists the YAML keys of a struct as yaml.v3 decodes them:
// the tag's name or the lower-cased field name, inline structs merged.
func structFields(t reflect.Type) fieldSet {
	fs := fieldSet{byKey: map[string]reflect.Type{}}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",inline,") {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Map {
					fs.rest = ft.Elem()
				} else if ft.Kind() == reflect.Struct {
					add(ft)
				}
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fs.byKey[name] = f.Type
			fs.keys = append(fs.keys, name)
		}
	}
	add(t)
	return fs
}

// suggest says what to write instead of an unknown key: the closest known
// key when one is close enough to be a typo, else the keys allowed here.
func suggest(key string, known []string) string {
	best, bestD := "", 1<<30
	lk := strings.ToLower(key)
	for _, k := range known {
		if d := distance(lk, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && (bestD <= 2 || bestD <= len(key)/3) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	if len(known) == 0 {
		return "nothing may be set here; remove it"
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	return "remove it, or use one of: " + strings.Join(sorted, ", ")
}

// distance is the Levenshtein edit distance between a and b (in bytes;
// keys are ASCII).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// describeType names what a Go type accepts and how to write it, in the
// operator's words.
func describeType(t reflect.Type) (what, how string) {
	if t == durationType {
		return "a duration", "write one such as 30s, 5m or 1h30m"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.String:
		return "text", "write text here"
	case reflect.Bool:
		return "true or false", "write true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number", "write a whole number such as 64"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number of 0 or more", "write a whole number such as 64"
	case reflect.Float32, reflect.Float64:
		return "a number", "write a number such as 0.5"
	case reflect.Slice, reflect.Array:
		return "a list", "write [a, b] or one \"- item\" line per item"
	case reflect.Map, reflect.Struct:
		return "a mapping", "write \"key: value\" lines indented below it"
	}
	return "a value of this kind", "see the documented example"
}

// describeNode names what the file holds, in the operator's words.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value lines)"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	switch n.Tag {
	case "!!int", "!!float":
		return "the number " + v
	case "!!bool":
		return "the value " + v
	case "!!null":
		return "an empty value"
	}
	return fmt.Sprintf("the text %q", v)
}

// plainError strips yaml.v3's "line N:" prefixes and Go type names from a
// custom type's error.
func plainError(err error) string {
	msgs := []string{err.Error()}
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	}
	for i, m := range msgs {
		if sm := lineRE.FindStringSubmatch(m); sm != nil {
			m = sm[2]
		}
		msgs[i] = strings.TrimPrefix(m, "yaml: ")
	}
	return strings.Join(msgs, "; ")
}

// unmarshalRE matches yaml.v3's "cannot unmarshal !!str `x` into T",
// whose tag and Go type name mean nothing to an operator.
var unmarshalRE = regexp.MustCompile("^cannot unmarshal !!\\w+ `([^`]*)` into ")

// decodeProblems converts a yaml.v3 decoding error the checks missed.
func decodeProblems(file string, err error) Problems {
	msgs := []string{err.Error()}
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	}
	var ps Problems
	for _, m := range msgs {
		p := Problem{File: file, Msg: strings.TrimPrefix(m, "yaml: ")}
		if sm := lineRE.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Msg = sm[2]
		}
		if um := unmarshalRE.FindStringSubmatch(p.Msg); um != nil {
			p.Msg = fmt.Sprintf("the value %q is not of the kind wanted here; see the documented example", um[1])
		}
		ps = append(ps, p)
	}
	return ps
}
