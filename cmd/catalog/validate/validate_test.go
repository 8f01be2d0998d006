package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantDir string
		strict  bool
		wantErr bool
	}{
		{nil, "", false, true}, // no DIR, no configuration: nothing assumed
		{[]string{"configs/catalog"}, "configs/catalog", false, false},
		{[]string{"--dir", "x/y"}, "x/y", false, false},
		{[]string{"--strict", "d"}, "d", true, false},
		{[]string{"a", "b"}, "", false, true},
	} {
		var got *ValidateOptions
		t.Setenv(cli.ConfigEnv, filepath.Join(t.TempDir(), "none.yaml"))
		f, _ := clitest.New()
		cmd := NewCmdValidate(f, func(o *ValidateOptions) error { got = o; return nil })
		err := clitest.Run(f, cmd, tc.args...).Err
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil && (got.Dir != tc.wantDir || got.Strict != tc.strict) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}

func run(t *testing.T, args ...string) (string, string, cli.ExitCode) {
	t.Helper()
	r := clitest.Verb(NewCmdValidate, "", args...)
	return r.Out, r.ErrOut, r.Code
}

func TestRun(t *testing.T) {
	// The example catalog is valid.
	out, errOut, code := run(t, "--dir", "../../../configs/catalog")
	if code != cli.ExitOK {
		t.Fatalf("example catalog: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "valid: 2 system(s), 2 service(s)") {
		t.Errorf("summary: %q", errOut)
	}

	// An invalid catalog: exit 1 and FILE:LINE: PATH: message.
	dir := t.TempDir()
	b, err := os.ReadFile("../../../testdata/catalog/invalid/missing-legal-basis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "catalog.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, "--dir", dir)
	if code != cli.ExitInvalid {
		t.Fatalf("exit %d, want %d", code, cli.ExitInvalid)
	}
	want := dir + "/catalog.yaml:30: services[getStatus.v1].legalBasis: no legal basis"
	if !strings.HasPrefix(out, want) {
		t.Errorf("output %q does not start with %q", out, want)
	}
	// The same verdict as JSON, camelCase, for scripts.
	out, _, code = run(t, "--dir", dir, "--output", "json")
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != cli.ExitInvalid {
		t.Fatalf("--output json: exit %d, %v\n%s", code, err, out)
	}
	if rep.Valid || rep.Errors == 0 || rep.Problems[0].Line != 30 || rep.Problems[0].Severity != "error" ||
		!strings.Contains(out, `"severity": "error"`) || !strings.HasPrefix(rep.Problems[0].Message, "no legal basis") {
		t.Errorf("--output json: %+v", rep)
	}

	// A YAML syntax error is reported with its line, exit 1.
	if err := os.WriteFile(filepath.Join(dir, "catalog.yaml"), []byte("services:\n  - code: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, "--dir", dir)
	if code != cli.ExitInvalid || !strings.Contains(out, "catalog.yaml:") {
		t.Errorf("syntax error: exit %d, output %q", code, out)
	}

	// A missing directory is a failure to run, not an invalid catalog.
	_, _, code = run(t, "--dir", filepath.Join(dir, "nope"))
	if code != cli.ExitFailure {
		t.Errorf("missing dir: exit %d, want %d", code, cli.ExitFailure)
	}
}

// `tunduk catalog validate configs/catalog` works, and one run reports
// every problem of every file (two unknown keys in one file, a syntax
// error in another).
func TestEveryProblemOfEveryFile(t *testing.T) {
	if _, errOut, code := run(t, "../../../configs/catalog"); code != cli.ExitOK {
		t.Fatalf("DIR argument: exit %d: %s", code, errOut)
	}
	dir := t.TempDir()
	b, err := os.ReadFile("../../../configs/catalog/organisation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	org := strings.Replace(strings.Replace(string(b), "\n  memberClass:", "\n  memberClas:", 1), "\n  website:", "\n  websit:", 1)
	os.WriteFile(filepath.Join(dir, "organisation.yaml"), []byte(org), 0o644)
	os.WriteFile(filepath.Join(dir, "services.yaml"), []byte("services:\n  - code: [\n"), 0o644)
	out, _, code := run(t, dir)
	if code != cli.ExitInvalid {
		t.Fatalf("exit %d, want %d", code, cli.ExitInvalid)
	}
	for _, want := range []string{`organisation.memberClas: unknown key; did you mean "memberClass"?`,
		`organisation.websit: unknown key; did you mean "website"?`, "services.yaml:2: YAML syntax"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
