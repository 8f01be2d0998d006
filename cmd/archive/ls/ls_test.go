package ls_test

import (
	"github.com/spf13/cobra"

	"testing"

	"github.com/tunduk-kg/tunduk/cmd/archive/ls"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestLsFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code cli.ExitCode
	}{
		{[]string{"--role", "auditor", "--purpose", "audit"}, cli.ExitOK},
		{[]string{"--role", "auditor", "--purpose", "audit", "-o", "json"}, cli.ExitOK},
		{[]string{"--role", "auditor"}, cli.ExitUsage},
		{[]string{"--purpose", "audit"}, cli.ExitUsage},
		{[]string{"--role", "auditor", "--purpose", "audit", "-o", "csv"}, cli.ExitUsage},
		{[]string{"--role", "auditor", "--purpose", "audit", "extra"}, cli.ExitUsage},
	} {
		var got *ls.LsOptions
		r := clitest.Exec(func(f *cli.Factory) *cobra.Command {
			return ls.NewCmdLs(f, func(o *ls.LsOptions) error { got = o; return nil })
		}, tt.args...)
		if c := r.Code; c != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.args, c, tt.code)
		}
		if tt.code == cli.ExitOK && (got == nil || got.Access.Role != "auditor" || got.Access.Purpose != "audit") {
			t.Errorf("%v: options %+v", tt.args, got)
		}
	}
}
