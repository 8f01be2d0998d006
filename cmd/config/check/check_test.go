package check

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
)

func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewCmdConfig(cli.New(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}))
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("gateway:\n  mappingDir: m\n  callers: [{name: p, apiKeyFile: nokey, checks: [founders]}]\n"), 0o600)
	out, errOut, err := run(t, "check", "--config", bad, "--skip-keys")
	var ee *cli.ExitError
	if !errors.As(err, &ee) || ee.Code != cli.ExitInvalid {
		t.Fatalf("err = %v, want exit 1", err)
	}
	for _, w := range []string{
		bad + `:2: gateway.mappingDir: unknown key; did you mean "mappingsDir"?`,
		bad + `:3: gateway.callers[0].apiKeyFile: file ` + filepath.Join(dir, "nokey") + ` does not exist`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output:\n%s\nwant %q", out, w)
		}
	}
	if !strings.Contains(errOut, "errors") {
		t.Errorf("no summary: %q", errOut)
	}

	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("log: {level: debug}\n"), 0o600)
	if out, errOut, err := run(t, "check", "--config", good); err != nil || out != "" || !strings.Contains(errOut, "OK") {
		t.Errorf("good config: %v, %q, %q", err, out, errOut)
	}
	if _, _, err := run(t, "check", "--config", good, "--user", "no-such-user-here"); cli.CodeOf(err) != cli.ExitUsage {
		t.Errorf("unknown --user: %v", err)
	}
}
