package issue

import (
	"testing"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
)

func TestFlags(t *testing.T) {
	svc := "central-server/GOV/70000002/gns-service/tp/v1"
	outage := func(f *cli.Factory, runF func(*IssueOptions) error) *cobra.Command {
		return NewCmdIssue(f, notice.Outage, runF)
	}
	parsed := func(services int, from string) func(*IssueOptions) bool {
		return func(o *IssueOptions) bool {
			return len(o.Services) == services && o.From == from && o.Kind == notice.Outage
		}
	}
	clitest.CheckParse(t, outage, []clitest.ParseCase[IssueOptions]{
		{Args: []string{"--services", svc + "," + svc, "--text", "x", "--from", "2026-12-05T02:00:00+06:00"}, Code: cli.ExitOK, OK: parsed(2, "2026-12-05T02:00:00+06:00")},
		{Args: []string{"--services", svc}, Code: cli.ExitUsage},
		{Args: []string{"--text", "x"}, Code: cli.ExitUsage},
		{Args: []string{"--services", svc, "--text", "x", "extra"}, Code: cli.ExitFailure},
	})
}
