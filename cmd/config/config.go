// Package config is tunduk's one typed configuration: a YAML file decoded
// strictly (unknown keys are errors), defaults applied, then validated as a
// whole. Every problem is reported with the file, the line and what to fix.
//
// Each section lives in its own file (gateway.go, msglog.go, catalog.go,
// keys.go) and is handed to its package as that package's own Options after
// loading; library packages never import this one.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the whole tunduk configuration file.
type Config struct {
	// Log configures the process's own logging.
	Log Log `yaml:"log"`
	// SecurityServer is how tunduk reaches the participant's security server.
	SecurityServer SecurityServer `yaml:"securityServer"`
	// Gateway is the portal-facing supplier-check gateway (tunduk serve).
	Gateway Gateway `yaml:"gateway"`
	// MessageLog is the signed exchange log and its archives.
	MessageLog MessageLog `yaml:"messageLog"`
	// Catalog is the service catalog and registration on the security server.
	Catalog Catalog `yaml:"catalog"`
	// Provider serves the participant's backend as a Tunduk provider.
	Provider Provider `yaml:"provider"`
	// Keys names the signing keys and certificates.
	Keys Keys `yaml:"keys"`
}

// Log configures the zap logger.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json or console
}

// Secret is a value that must never be printed or logged: API keys, PINs,
// passwords. It marshals as "[redacted]".
type Secret string

// String hides the value.
func (Secret) String() string { return "[redacted]" }

// GoString hides the value from %#v.
func (Secret) GoString() string { return `config.Secret("[redacted]")` }

// MarshalYAML hides the value.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return "[redacted]", nil
}

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte(`""`), nil
	}
	return []byte(`"[redacted]"`), nil
}

// Value returns the secret itself, for the one place that needs it.
func (s Secret) Value() string { return string(s) }

// Problem is one thing wrong with a configuration file.
type Problem struct {
	File string
	Line int    // 0 when unknown
	Path string // dotted YAML path, e.g. gateway.callers[1].apiKeyFile
	Msg  string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Path, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// Error lists every problem found in a configuration file.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "invalid configuration:\n  " + strings.Join(lines, "\n  ")
}

// Issues collects validation problems by YAML path; Load turns the paths
// into line numbers.
type Issues struct{ list []Problem }

// Addf records a problem at a dotted path.
func (is *Issues) Addf(path, format string, args ...any) {
	is.list = append(is.list, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Validator is implemented by each section.
type Validator interface{ Validate(is *Issues) }

// Load reads, decodes, defaults and validates a configuration file. The
// file's directory is the base for relative paths inside it.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for bytes already read; name is used in messages.
func Parse(name string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(name, err)}}
	}
	cfg := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Problems: yamlProblems(name, err)}
	}
	var is Issues
	cfg.Validate(&is)
	if len(is.list) == 0 {
		return cfg, nil
	}
	for i := range is.list {
		is.list[i].File = name
		is.list[i].Line = lineOf(&root, is.list[i].Path)
	}
	sort.SliceStable(is.list, func(a, b int) bool { return is.list[a].Line < is.list[b].Line })
	return nil, &Error{Problems: is.list}
}

// Default returns the configuration with every default applied.
func Default() *Config {
	return &Config{
		Log:            Log{Level: "info", Format: "json"},
		SecurityServer: DefaultSecurityServer(),
		Gateway:        DefaultGateway(),
		MessageLog:     DefaultMessageLog(),
		Catalog:        DefaultCatalog(),
		Keys:           DefaultKeys(),
		Provider:       DefaultProvider(),
	}
}

// Validate checks every section and the rules that span sections.
func (c *Config) Validate(is *Issues) {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		is.Addf("log.level", "unknown level %q; use debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		is.Addf("log.format", "unknown format %q; use json or console", c.Log.Format)
	}
	for _, v := range []Validator{&c.SecurityServer, &c.Gateway, &c.MessageLog, &c.Catalog, &c.Keys, &c.Provider} {
		v.Validate(is)
	}
	c.MessageLog.ValidateKeys(c.Keys, is)
}

func yamlProblem(name string, err error) Problem {
	return yamlProblems(name, err)[0]
}

// yamlProblems splits yaml.v3's "line N: msg" errors into problems.
func yamlProblems(name string, err error) []Problem {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var out []Problem
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		p := Problem{File: name, Msg: m}
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if n, after, ok := strings.Cut(rest, ":"); ok {
				if line, err := strconv.Atoi(n); err == nil {
					p.Line, p.Msg = line, strings.TrimSpace(after)
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// lineOf finds the line of a dotted path such as "gateway.callers[1].name"
// in a YAML tree; it returns the line of the deepest node it could reach.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range splitPath(path) {
		next := child(n, part)
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}

func splitPath(path string) []string {
	var parts []string
	for _, seg := range strings.Split(path, ".") {
		for {
			i := strings.IndexByte(seg, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				parts = append(parts, seg[:i])
			}
			j := strings.IndexByte(seg, ']')
			if j < i {
				break
			}
			parts = append(parts, seg[i:j+1])
			seg = seg[j+1:]
		}
		if seg != "" {
			parts = append(parts, seg)
		}
	}
	return parts
}

func child(n *yaml.Node, part string) *yaml.Node {
	if strings.HasPrefix(part, "[") {
		i, err := strconv.Atoi(strings.Trim(part, "[]"))
		if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
			return nil
		}
		return n.Content[i]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == part {
			// Point at the value, except for scalars where the key's line is the same.
			return n.Content[i+1]
		}
	}
	return nil
}
