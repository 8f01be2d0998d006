package catalogflags

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	open := func(config string) (*Target, error) {
		f, _ := clitest.New()
		f.ConfigFlag = config
		return (&Flags{f: f}).Open(f.IO, false)
	}

	noAPI := write("noapi.yaml", "catalog:\n  dir: "+dir+"\n")
	if _, err := open(noAPI); cli.CodeOf(err) != cli.ExitUsage {
		t.Errorf("Open without management API = %v, want a usage error", err)
	}
	catDir := filepath.Join(dir, "cat")
	if err := os.Mkdir(catDir, 0o700); err != nil {
		t.Fatal(err)
	}
	write("cat/organisation.yaml", "organisation:\n  memberClass: GOV\n  memberCode: \"1\"\n")
	cfg := write("bad.yaml", "catalog:\n  dir: "+catDir+"\n  descriptionBaseURL: http://a/d\n  managementAPI:\n    url: https://ss:4000/api/v1\n"+
		"    apiKeyEnv: NOPE\n    pinnedCertSHA256: "+strings.Repeat("ab", 32)+"\n")
	f, s := clitest.New()
	f.ConfigFlag = cfg
	if _, err := (&Flags{f: f}).Open(f.IO, false); cli.CodeOf(err) != cli.ExitInvalid || !strings.Contains(s.ErrOut.String(), "organisation.yaml") ||
		!strings.Contains(s.ErrOut.String(), "tunduk catalog validate "+catDir) {
		t.Errorf("Open with an invalid catalog = %v\n%s", err, s.ErrOut.String())
	}
}

// The flags of plan and diff: the optional DIR argument or the hidden
// --dir (not both), --config through the Factory, --output and --json.
func TestCompareFlags(t *testing.T) {
	newCmd := func(f *cli.Factory, runF func(*Compare) error) *cobra.Command {
		return NewCompareCmd(f, &cobra.Command{Use: "plan"}, runF, nil)
	}
	for _, tc := range []struct {
		args    []string
		config  string // --config as the Factory holds it
		want    Compare
		wantErr bool
	}{
		{nil, "", Compare{Output: "table"}, false},
		{[]string{"--config", "c.yaml", "--dir", "d", "--json"}, "c.yaml", Compare{Target: Flags{Dir: "d"}, Output: "json"}, false},
		{[]string{"--dir", "d", "-o", "json"}, "", Compare{Target: Flags{Dir: "d"}, Output: "json"}, false},
		{[]string{"a", "b"}, "", Compare{}, true},
		{[]string{"cat", "--dir", "d"}, "", Compare{}, true}, // the directory given twice
		{[]string{"cat"}, "", Compare{Target: Flags{Arg: "cat"}, Output: "table"}, false},
		{[]string{"--api-key", "k"}, "", Compare{}, true},
	} {
		got, f, err := clitest.Parse(newCmd, tc.args...)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil && (f.ConfigFlag != tc.config || got.Target.Dir != tc.want.Target.Dir || got.Target.Arg != tc.want.Target.Arg || got.Output != tc.want.Output) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
