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
	checkRefusals(t, "bad.yaml", []refusal{
		{"unknown key", "log:\n  level: info\n  colour: red\n", `bad.yaml:3: log.colour: unknown key; remove it, or use one of: format, level`},
		{"bad value", "log:\n  format: json\n  level: loud\n", `bad.yaml:3: log.level: unknown level "loud"`},
		{"syntax", "log: [\n", "bad.yaml:1: YAML syntax"},
		{"wrong type", "gateway:\n  maxInFlight: lots\n", `bad.yaml:2: gateway.maxInFlight: the text "lots" is not a whole number`},
		{"typo", "gateway:\n  mappingDir: m\n", `bad.yaml:2: gateway.mappingDir: unknown key; did you mean "mappingsDir"?`},
	})
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

// refusal is a configuration Parse must refuse with an error (a *Error)
// containing want.
type refusal struct{ name, yaml, want string }

// checkRefusals parses each case's yaml as file, in a subtest of its name.
func checkRefusals(t *testing.T, file string, cases []refusal) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(file, []byte(tc.yaml))
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v\nwant a *config.Error containing %q", err, tc.want)
			}
		})
	}
}

// checkProblems parses yaml as file: Parse must refuse it with an error
// naming every one of want (the problems are listed together).
func checkProblems(t *testing.T, file, yaml string, want ...string) {
	t.Helper()
	_, err := Parse(file, []byte(yaml))
	if err == nil {
		t.Fatalf("Parse accepted %s", file)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}
