package ls_test

import (
	"bytes"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/archive/ls"
	"github.com/tunduk-kg/tunduk/cmd/cli"
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
		cmd := ls.NewCmdLs(&cli.Factory{IO: cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}, func(o *ls.LsOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		if c := cli.CodeOf(cmd.Execute()); c != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.args, c, tt.code)
		}
		if tt.code == cli.ExitOK && (got == nil || got.Role != "auditor" || got.Purpose != "audit") {
			t.Errorf("%v: options %+v", tt.args, got)
		}
	}
}
