package config

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEmptyGivesDefaults(t *testing.T) {
	cfg, err := Parse("empty.yaml", nil)
	if err != nil {
		t.Fatalf("Parse(empty) = %v", err)
	}
	if cfg.Log.Level != "info" || cfg.Log.Format != "json" {
		t.Errorf("defaults not applied: %+v", cfg.Log)
	}
}

func TestParseReportsLines(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "log:\n  level: info\n  colour: red\n", `bad.yaml:3: log.colour: unknown key; remove it, or use one of: format, level`},
		{"bad value", "log:\n  format: json\n  level: loud\n", `bad.yaml:3: log.level: unknown level "loud"`},
		{"syntax", "log: [\n", "bad.yaml:1: YAML syntax"},
		{"wrong type", "gateway:\n  maxInFlight: lots\n", `bad.yaml:2: gateway.maxInFlight: the text "lots" is not a whole number`},
		{"typo", "gateway:\n  mappingDir: m\n", `bad.yaml:2: gateway.mappingDir: unknown key; did you mean "mappingsDir"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tt.yaml))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want *config.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSecretIsHidden(t *testing.T) {
	s := Secret("hunter2")
	for _, got := range []string{s.String(), s.GoString()} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("secret leaked: %q", got)
		}
	}
	if s.Value() != "hunter2" {
		t.Errorf("Value() = %q", s.Value())
	}
}
