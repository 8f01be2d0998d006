package yamlpos

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type tls struct {
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
}

type caller struct {
	Name   string   `yaml:"name"`
	Checks []string `yaml:"checks"`
}

type gateway struct {
	Listen      string        `yaml:"listen"`
	MappingsDir string        `yaml:"mappingsDir"`
	TLS         tls           `yaml:"tls"`
	Callers     []caller      `yaml:"callers"`
	MaxInFlight int           `yaml:"maxInFlight"`
	Timeout     time.Duration `yaml:"timeout"`
	Public      *bool         `yaml:"public"`
	Ignored     string        `yaml:"-"`
}

type level string

func (l *level) UnmarshalYAML(n *yaml.Node) error {
	switch n.Value {
	case "debug", "info":
		*l = level(n.Value)
		return nil
	}
	return fmt.Errorf("line %d: level %q: use debug or info", n.Line, n.Value)
}

type root struct {
	Gateway gateway           `yaml:"gateway"`
	Level   level             `yaml:"level"`
	Groups  map[string]string `yaml:"groups"`
	Limits  map[string]int    `yaml:"limits"`
}

func TestDecodeReportsEveryProblemInPlainWords(t *testing.T) {
	src := `gateway:
  listen: 127.0.0.1:8080
  mappingDir: /etc/tunduk/mappings
  tls:
    certfile: a.crt
    colour: red
  callers:
    - name: portal
      checks: founders
    - name: audit
      checks: [a]
  maxInFlight: many
  timeout: 30
  public: maybe
level: loud
limits: {a: 1, b: x}
`
	var r root
	_, ps := Load("tunduk.yaml", []byte(src), &r)
	want := []string{
		`tunduk.yaml:3: gateway.mappingDir: unknown key; did you mean "mappingsDir"?`,
		`tunduk.yaml:5: gateway.tls.certfile: unknown key; did you mean "certFile"?`,
		`tunduk.yaml:6: gateway.tls.colour: unknown key; remove it, or use one of: certFile, keyFile`,
		`tunduk.yaml:9: gateway.callers[0].checks: the text "founders" is not a list; write [a, b] or one "- item" line per item`,
		`tunduk.yaml:12: gateway.maxInFlight: the text "many" is not a whole number; write a whole number such as 64`,
		`tunduk.yaml:13: gateway.timeout: the number 30 is not a duration; write one such as 30s, 5m or 1h30m`,
		`tunduk.yaml:14: gateway.public: the text "maybe" is not true or false; write true or false`,
		`tunduk.yaml:15: level: level "loud": use debug or info`,
		`tunduk.yaml:16: limits.b: the text "x" is not a whole number`,
	}
	got := ps.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("problems:\n%s\nwant a line containing %q", got, w)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(ps), len(want), got)
	}
	for _, goName := range []string{"yamlpos.", "int", "string", "time.Duration", "!!", "[]"} {
		if strings.Contains(got, goName) {
			t.Errorf("a Go or YAML type name %q leaked into the problems:\n%s", goName, got)
		}
	}
	// What had no problem is decoded all the same, for further validation.
	if r.Gateway.Listen != "127.0.0.1:8080" || len(r.Gateway.Callers) != 2 || r.Gateway.Callers[1].Checks[0] != "a" {
		t.Errorf("decoded %+v", r.Gateway)
	}
}

func TestParseRefusesShapes(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2)
	for name, tc := range map[string]struct {
		src, want string
		line      int
	}{
		"syntax":        {"a: 1\nb: [\n", "YAML syntax", 2},
		"tab":           {"a:\n\tb: 1\n", "YAML syntax", 2},
		"two documents": {"a: 1\n---\na: 2\n", "a second YAML document", 3},
		"anchor":        {"a: &x 1\nb: *x\n", "anchors (&) and aliases (*) are not allowed", 1},
		"alias only":    {"a: 1\nb:\n  - *x\n", "YAML syntax", 0},
		"too deep":      {"a: " + deep + "\n", "nested more than", 1},
		"too large":     {"a: " + strings.Repeat("x", MaxBytes) + "\n", "larger than", 0},
	} {
		t.Run(name, func(t *testing.T) {
			_, ps := Parse("f.yaml", []byte(tc.src))
			if len(ps) == 0 {
				t.Fatal("accepted")
			}
			if !strings.Contains(ps[0].Msg, tc.want) || (tc.line > 0 && ps[0].Line != tc.line) {
				t.Errorf("%s, want %q on line %d", ps[0], tc.want, tc.line)
			}
		})
	}
}

func TestEmptyAndDuplicateKeys(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "---\n"} {
		d, ps := Parse("e.yaml", []byte(src))
		if len(ps) > 0 || !d.Empty() || d.Line("a.b") != 0 {
			t.Errorf("%q: %v, empty=%v", src, ps, d.Empty())
		}
		r := root{Level: "info"}
		if ps := d.Decode(&r); len(ps) > 0 || r.Level != "info" {
			t.Errorf("%q: Decode = %v, %+v", src, ps, r)
		}
	}
	var r root
	_, ps := Load("d.yaml", []byte("level: info\nlevel: debug\n"), &r)
	if len(ps) != 1 || ps[0].String() != "d.yaml:2: level: given twice (also on line 1); keep one" {
		t.Errorf("duplicate key: %v", ps)
	}
}

func TestLine(t *testing.T) {
	src := `gateway:
  callers:
    - name: a
    - name: b
      checks: [x, y]
groups:
  central-server/GOV/7000.1: yes
`
	d, ps := Parse("l.yaml", []byte(src))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	for path, want := range map[string]int{
		"gateway":                          1,
		"gateway.callers":                  2,
		"gateway.callers[1]":               4,
		"gateway.callers[1].checks":        5,
		"gateway.callers[1].checks[1]":     5,
		"gateway.callers[1].missing":       4,
		"gateway.callers[7].name":          2,
		"gateway.mappingsDir":              1,
		"groups.central-server/GOV/7000.1": 7,
		"":                                 1,
	} {
		if got := d.Line(path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
	p := d.Problemf("gateway.callers[1].checks", "bad; fix it")
	if p.String() != "l.yaml:5: gateway.callers[1].checks: bad; fix it" {
		t.Errorf("Problemf = %s", p)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"mappingsDir", "mappings", "listen", "opsListen", "uri", "url"}
	for key, want := range map[string]string{
		"mappingDir":   `did you mean "mappingsDir"?`,
		"MappingsDir":  `did you mean "mappingsDir"?`,
		"opslisten":    `did you mean "opsListen"?`,
		"urk":          `did you mean "uri"?`,
		"certificates": "remove it, or use one of: listen, mappings, mappingsDir, opsListen, uri, url",
	} {
		if got := suggest(key, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestProblemsIsAnError(t *testing.T) {
	var err error = Problems{{File: "a", Line: 1, Msg: "x"}}
	var ps Problems
	if !errors.As(err, &ps) || ps[0].Line != 1 {
		t.Fatal("Problems is not usable with errors.As")
	}
}

func FuzzParseDecode(f *testing.F) {
	f.Add([]byte("gateway:\n  listen: x\n  callers: [{name: a}]\n"))
	f.Add([]byte("a: &x 1\nb: *x\n"))
	f.Add([]byte("limits: {a: 1}\ngroups: {b: c}\nlevel: info\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r root
		d, ps := Load("f.yaml", b, &r)
		for _, p := range ps {
			if p.Msg == "" {
				t.Fatalf("empty problem message: %+v", p)
			}
		}
		_ = d.Line("gateway.callers[0].name")
	})
}

func TestDecodeProblemsHideGoTypes(t *testing.T) {
	var n int
	err := yaml.Unmarshal([]byte("a"), &n)
	ps := decodeProblems("f.yaml", err)
	if len(ps) != 1 || ps[0].Line != 1 || strings.Contains(ps[0].Msg, "int") || strings.Contains(ps[0].Msg, "!!") || !strings.Contains(ps[0].Msg, `"a"`) {
		t.Errorf("decodeProblems = %v", ps)
	}
}
