package list

import (
	"bytes"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantCode cli.ExitCode
		output   string
		warn     int
	}{
		{nil, cli.ExitOK, "text", 30},
		{[]string{"--output", "json", "--warn-days", "60", "--config", "c.yaml"}, cli.ExitOK, "json", 60},
		{[]string{"-o", "yaml"}, cli.ExitUsage, "", 0},
		{[]string{"extra"}, cli.ExitFailure, "", 0},
	} {
		var got *ListOptions
		f := &cli.Factory{IO: cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
		cmd := NewCmdList(f, func(o *ListOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if err == nil && (got.Output != tc.output || got.WarnDays != tc.warn) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
