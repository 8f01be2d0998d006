package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    PlanOptions
		wantErr bool
	}{
		{nil, PlanOptions{ConfigPath: DefaultConfig}, false},
		{[]string{"--config", "c.yaml", "--dir", "d", "--json"}, PlanOptions{ConfigPath: "c.yaml", Dir: "d", JSON: true}, false},
		{[]string{"extra"}, PlanOptions{}, true},
		{[]string{"--api-key", "k"}, PlanOptions{}, true},
	} {
		var got *PlanOptions
		f := &cli.Factory{IO: cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
		cmd := NewCmdPlan(f, func(o *PlanOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil && (got.ConfigPath != tc.want.ConfigPath || got.Dir != tc.want.Dir || got.JSON != tc.want.JSON) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var errOut bytes.Buffer
	io := cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &errOut}

	noAPI := write("noapi.yaml", "catalog:\n  dir: "+dir+"\n")
	if _, err := Open(io, noAPI, "", false); cli.CodeOf(err) != cli.ExitUsage {
		t.Errorf("Open without management API = %v, want a usage error", err)
	}
	catDir := filepath.Join(dir, "cat")
	if err := os.Mkdir(catDir, 0o700); err != nil {
		t.Fatal(err)
	}
	write("cat/organisation.yaml", "organisation:\n  memberClass: GOV\n  memberCode: \"1\"\n")
	cfg := write("bad.yaml", "catalog:\n  dir: "+catDir+"\n  descriptionBaseURL: http://a/d\n  managementAPI:\n    url: https://ss:4000/api/v1\n"+
		"    apiKeyEnv: NOPE\n    pinnedCertSHA256: "+strings.Repeat("ab", 32)+"\n")
	if _, err := Open(io, cfg, "", false); cli.CodeOf(err) != cli.ExitInvalid || !strings.Contains(errOut.String(), "organisation.yaml") {
		t.Errorf("Open with an invalid catalog = %v\n%s", err, errOut.String())
	}
}
