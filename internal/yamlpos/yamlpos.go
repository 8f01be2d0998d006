// Package yamlpos is tunduk's one loader for hand-written YAML files — the
// configuration (tunduk.yaml), the check mappings and the catalog — with
// every problem reported where the operator must fix it:
//
//	tunduk.yaml:12: gateway.mappingDir: unknown key; did you mean "mappingsDir"?
//
// Decoding is strict: one document per file, no anchors or aliases, no
// unknown keys (with a "did you mean" from the known ones), values of the
// wrong type named in plain words (never a Go type name), size and depth
// bounded. It collects every problem of a file, not only the first.
//
// The package is internal: its problems format is tunduk's, not an API.
package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits of one file. Hand-written configuration is small; anything larger
// or deeper is a mistake or an attack on the parser.
const (
	MaxBytes = 4 << 20
	MaxDepth = 64
)

// Problem is one thing wrong in a YAML file: where, and what to do.
type Problem struct {
	File string
	Line int    // 0 when unknown
	Path string // dotted YAML path, e.g. gateway.callers[1].apiKeyFile; may be empty
	Msg  string // what is wrong; what to do
}

// String is FILE:LINE: path: what is wrong; what to do.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one or more files.
type Problems []Problem

// Error lists the problems, one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders problems by file, then line; problems without a line keep
// their order at the top of their file.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

// Covers reports whether path is at or below the path of one of the
// problems: a value that did not decode need not be validated again.
func (ps Problems) Covers(path string) bool {
	for _, p := range ps {
		if p.Path != "" && (path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[")) {
			return true
		}
	}
	return false
}

// Doc is one parsed YAML file.
type Doc struct {
	// File names the file in problems.
	File string
	root *yaml.Node // the document's top node; nil for an empty file
}

// ReadFile reads a file of at most MaxBytes.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes; configuration files are small, is it the right file?", path, MaxBytes)
	}
	return b, nil
}

// Load parses data and decodes it into v (a pointer); see Parse and
// Doc.Decode. The Doc is returned even with problems, for line look-ups.
func Load(file string, data []byte, v any) (*Doc, Problems) {
	d, ps := Parse(file, data)
	if len(ps) > 0 {
		return d, ps
	}
	return d, d.Decode(v)
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Parse checks a file's syntax and shape: at most MaxBytes, exactly one
// document (an empty file is an empty document), no anchors or aliases,
// nesting at most MaxDepth deep.
func Parse(file string, data []byte) (*Doc, Problems) {
	d := &Doc{File: file}
	if len(data) > MaxBytes {
		return d, Problems{{File: file, Msg: fmt.Sprintf("larger than %d bytes; configuration files are small, is it the right file?", MaxBytes)}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return d, nil
		}
		return d, Problems{syntaxProblem(file, err)}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return d, Problems{syntaxProblem(file, err)}
	default:
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		return d, Problems{{File: file, Line: line, Msg: "a second YAML document starts here (after ---); keep one document per file"}}
	}
	if len(doc.Content) > 0 && !(doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
		d.root = doc.Content[0]
	}
	var ps Problems
	walk(d.root, 0, func(n *yaml.Node, depth int) bool {
		if depth > MaxDepth {
			ps = append(ps, Problem{File: file, Line: n.Line, Msg: fmt.Sprintf("nested more than %d levels deep; flatten the structure", MaxDepth)})
			return false
		}
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			ps = append(ps, Problem{File: file, Line: n.Line, Msg: "YAML anchors (&) and aliases (*) are not allowed; write each value out"})
			return false
		}
		return true
	})
	return d, ps
}

func walk(n *yaml.Node, depth int, f func(*yaml.Node, int) bool) {
	if n == nil || !f(n, depth) {
		return
	}
	for _, c := range n.Content {
		walk(c, depth+1, f)
	}
}

func syntaxProblem(file string, err error) Problem {
	p := Problem{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
	}
	p.Msg = "YAML syntax: " + p.Msg + "; check the indentation, colons and quotes on this line and the one before"
	return p
}

// Empty reports whether the file holds no document (or only comments).
func (d *Doc) Empty() bool { return d.root == nil }

// Root returns the document's top node, nil when empty. Callers that keep
// positions of their own (the catalog) walk it.
func (d *Doc) Root() *yaml.Node { return d.root }

// Problemf makes a problem at path, on the line Line finds for it.
func (d *Doc) Problemf(path, format string, args ...any) Problem {
	return Problem{File: d.File, Line: d.Line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Has reports whether the file sets the dotted path itself (rather than
// leaving it to a default).
func (d *Doc) Has(path string) bool {
	_, rest := d.locate(path)
	return d.root != nil && rest == ""
}

// Line returns the line of a dotted path ("gateway.callers[1].name",
// "retention.groups.central-server/GOV/70000001.x"): the key's line for a
// mapping entry, the item's line for a list item. When the path goes
// beyond what the file holds (a missing key), it returns the line of the
// deepest part that exists, where the missing key belongs; 0 for an empty
// file. Keys may contain dots: the longest key that matches wins.
func (d *Doc) Line(path string) int {
	line, _ := d.locate(path)
	return line
}

// locate walks path as far as the file goes: the line reached and what
// of the path is left.
func (d *Doc) locate(path string) (line int, rest string) {
	n := d.root
	if n == nil {
		return 0, path
	}
	line, rest = n.Line, path
	for rest != "" {
		if rest[0] == '[' {
			j := strings.IndexByte(rest, ']')
			if j < 0 {
				return line, rest
			}
			i, err := strconv.Atoi(rest[1:j])
			if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return line, rest
			}
			n, line, rest = n.Content[i], n.Content[i].Line, strings.TrimPrefix(rest[j+1:], ".")
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line, rest
		}
		best := -1
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if (rest == k || strings.HasPrefix(rest, k+".") || strings.HasPrefix(rest, k+"[")) && (best < 0 || len(k) > len(n.Content[best].Value)) {
				best = i
			}
		}
		if best < 0 {
			return line, rest
		}
		k := n.Content[best]
		n, line, rest = n.Content[best+1], k.Line, strings.TrimPrefix(rest[len(k.Value):], ".")
	}
	return line, ""
}
