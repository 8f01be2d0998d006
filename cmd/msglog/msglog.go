// Package msglog is the `tunduk msglog` noun: operator maintenance of the
// signed message log's journal.
package msglog

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	repaircmd "github.com/tunduk-kg/tunduk/cmd/msglog/repair"
)

// NewCmdMsglog returns the `msglog` command group.
func NewCmdMsglog(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "msglog <command>",
		Short: "Maintain the signed message log's journal",
	}
	cmd.AddCommand(repaircmd.NewCmdRepair(f, nil))
	return cmd
}
