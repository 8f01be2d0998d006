package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func run(t *testing.T, args ...string) (string, string, cli.ExitCode) {
	t.Helper()
	r := clitest.Verb(NewCmdValidate, "", args...)
	return r.Out, r.ErrOut, r.Code
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantRole soap.Role
		wantCT   string
		wantErr  bool
	}{
		{args: []string{"a.xml"}, wantRole: soap.RoleRequest},
		{args: []string{"--role", "response", "--content-type", "text/xml", "a", "b"}, wantRole: soap.RoleResponse, wantCT: "text/xml"},
		{args: []string{"--role", "both", "a"}, wantErr: true},
		{args: []string{}, wantErr: true},
	} {
		got, _, err := clitest.Parse(NewCmdValidate, tc.args...)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%v: accepted", tc.args)
			}
			continue
		}
		if err != nil || got.Role != tc.wantRole || got.ContentType != tc.wantCT {
			t.Errorf("%v: %+v, %v", tc.args, got, err)
		}
	}
}

// TestNegativeCorpus runs `tunduk soap validate` on every negative corpus
// message whose fault comes from the file and its content type, and checks
// the printed fault code; and on every accepted message, which must pass.
func TestNegativeCorpus(t *testing.T) {
	dir := corpus.Dir(t, "soap")
	neg, pos := 0, 0
	for _, r := range corpus.Expectations(t, dir) {
		path := filepath.Join(dir, r.File)
		if _, err := os.Stat(path); err != nil || r.HTTPExtras != "-" || !strings.HasPrefix(r.Scope, "proxy-suite") || strings.Contains(r.Scope, "dummy-serverproxy") {
			continue
		}
		if strings.Contains(r.Scope, "direct-to-serverproxy") || r.Detect == "no" {
			continue
		}
		if r.Verdict == "reject" && r.Detect == "yes" && r.FaultCodeOld != "Server.ClientProxy.ServiceFailed.InconsistentResponse" {
			neg++
			out, errOut, code := run(t, "--role", r.Role, "--content-type", r.ContentType, path)
			want := path + ": " + r.FaultCodeOld + ": "
			if code != cli.ExitInvalid || !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 1 {
				t.Errorf("%s as %s (%s): exit %d, out %q, err %q; want %q…", r.File, r.Role, r.ContentType, code, out, errOut, want)
			}
		}
		if r.Verdict == "accept" && r.Detect == "n/a" && !strings.Contains(string(mustRead(t, path)), "<xroad:id></xroad:id>") {
			pos++
			out, errOut, code := run(t, "--role", r.Role, "--content-type", r.ContentType, path)
			if code != cli.ExitOK || out != "" {
				t.Errorf("%s as %s: exit %d, out %q, err %q; want valid", r.File, r.Role, code, out, errOut)
			}
		}
	}
	t.Logf("%d negative and %d accepted corpus messages checked through the CLI", neg, pos)
	if neg < 20 {
		t.Errorf("only %d negative messages found", neg)
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMixedFilesAndDetection(t *testing.T) {
	dir := corpus.Dir(t, "soap")
	good := filepath.Join(dir, "getstate.query")
	bad := filepath.Join(dir, "no-header.query")
	multi := filepath.Join(dir, "attachm.query") // boundary detected from the first line
	out, _, code := run(t, good, bad, multi)
	if code != cli.ExitInvalid || out != bad+": Client.MissingHeader: the message has no SOAP Header\n" {
		t.Errorf("exit %d, out %q", code, out)
	}
	_, errOut, code := run(t, filepath.Join(dir, "does-not-exist"))
	if code != cli.ExitFailure || !strings.Contains(errOut, "does-not-exist") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
}

// --output json gives one camelCase verdict per file with the fault code.
func TestOutputJSON(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(bad, []byte(`<?xml version="1.0"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body/></Envelope>`), 0o600)
	out, _, code := run(t, "-o", "json", bad)
	var got []Result
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != cli.ExitInvalid {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if len(got) != 1 || got[0].File != bad || got[0].Valid || !strings.HasPrefix(got[0].FaultCode, "Client.") || !strings.Contains(out, `"faultCode"`) {
		t.Errorf("verdict %+v\n%s", got, out)
	}
}
