package list

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantCode cli.ExitCode
		output   string
		warn     int
	}{
		{nil, cli.ExitOK, "table", 30},
		{[]string{"--output", "json", "--warn-days", "60", "--config", "c.yaml"}, cli.ExitOK, "json", 60},
		{[]string{"-o", "yaml"}, cli.ExitUsage, "", 0},
		{[]string{"extra"}, cli.ExitFailure, "", 0},
	} {
		got, _, err := clitest.Parse(NewCmdList, tc.args...)
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if err == nil && (got.Output != tc.output || got.WarnDays != tc.warn) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
