// Package config is tunduk's one typed configuration: a YAML file decoded
// strictly (unknown keys are errors), defaults applied, then validated as a
// whole. Every problem is reported with the file, the line and what to fix.
//
// Each section lives in its own file (gateway.go, msglog.go, catalog.go,
// keys.go) and is handed to its package as that package's own Options after
// loading; library packages never import this one.
package config

import (
	"fmt"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/yamlpos"
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
	// Monitoring reads the security server's operational monitoring.
	Monitoring Monitoring `yaml:"monitoring"`
	// Notices configures `tunduk notice` channels.
	Notices Notices `yaml:"notices"`
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

// Problem is one thing wrong with a configuration file, printed as
// FILE:LINE: path: what is wrong; what to do.
type Problem = yamlpos.Problem

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
	data, err := yamlpos.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for bytes already read; name is used in messages. It
// reports every problem of the file at once: syntax, unknown keys, values
// of the wrong type, and what Validate finds in the values that decoded.
func Parse(name string, data []byte) (*Config, error) {
	cfg, _, ps := parse(name, data)
	if len(ps) > 0 {
		return nil, &Error{Problems: ps}
	}
	return cfg, nil
}

// parse is Parse keeping what Check needs: the configuration as far as it
// decoded (nil only when the file is not YAML) and the document for lines.
func parse(name string, data []byte) (*Config, *yamlpos.Doc, yamlpos.Problems) {
	doc, ps := yamlpos.Parse(name, data)
	if len(ps) > 0 {
		return nil, doc, ps
	}
	cfg := Default()
	ps = doc.Decode(cfg)
	var is Issues
	cfg.Validate(&is)
	for _, p := range is.list {
		if !ps.Covers(p.Path) {
			ps = append(ps, doc.Problemf(p.Path, "%s", p.Msg))
		}
	}
	ps.Sort()
	return cfg, doc, ps
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
		Monitoring:     DefaultMonitoring(),
		Notices:        DefaultNotices(),
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
	for _, v := range []Validator{&c.SecurityServer, &c.Gateway, &c.MessageLog, &c.Catalog, &c.Keys, &c.Provider, &c.Monitoring, &c.Notices} {
		v.Validate(is)
	}
	c.MessageLog.ValidateKeys(c.Keys, is)
}
