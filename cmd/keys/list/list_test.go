package list

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	parsed := func(output string, warn int) func(*ListOptions) bool {
		return func(o *ListOptions) bool { return o.Output == output && o.WarnDays == warn }
	}
	clitest.CheckParse(t, NewCmdList, []clitest.ParseCase[ListOptions]{
		{Args: nil, Code: cli.ExitOK, OK: parsed("table", 30)},
		{Args: []string{"--output", "json", "--warn-days", "60", "--config", "c.yaml"}, Code: cli.ExitOK, OK: parsed("json", 60)},
		{Args: []string{"-o", "yaml"}, Code: cli.ExitUsage},
		{Args: []string{"extra"}, Code: cli.ExitFailure},
	})
}
