// Package notice is the `tunduk notice` noun: outage and maintenance
// notices to the Tunduk operator, recorded in the signed administrative log
// and sent to the configured channels (package internal/adapter/notice).
package notice

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	issuecmd "github.com/tunduk-kg/tunduk/cmd/notice/issue"
	lscmd "github.com/tunduk-kg/tunduk/cmd/notice/ls"
	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
)

// NewCmdNotice returns the notice command group.
func NewCmdNotice(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notice <command>",
		Short: "Notify the Tunduk operator of outages and planned works",
		Long: `Participants must notify the Tunduk operator at once of outages and planned
works. A notice names the services concerned, the period and a text; it is
recorded in the signed administrative log (when messageLog.signingKey is set)
and sent by e-mail (SMTP with STARTTLS) and to webhooks, as configured in the
notices section, with retries.`,
	}
	// One line per verb.
	cmd.AddCommand(issuecmd.NewCmdIssue(f, notice.Outage, nil))
	cmd.AddCommand(issuecmd.NewCmdIssue(f, notice.Maintenance, nil))
	cmd.AddCommand(lscmd.NewCmdLs(f, nil))
	return cmd
}
