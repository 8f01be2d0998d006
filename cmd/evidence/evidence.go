// Package evidence is the `tunduk evidence` noun: checking the receipts the
// gateway hands out with every check result, without the running service.
package evidence

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	verifycmd "github.com/tunduk-kg/tunduk/cmd/evidence/verify"
)

// NewCmdEvidence returns the `evidence` command group.
func NewCmdEvidence(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence <command>",
		Short: "Verify receipts of message-log records offline",
		Long: `Every check result carries a receipt: a statement of the record signed with
the message-log key and, once the record's batch is sealed, its inclusion proof
to a signed checkpoint of the log's Merkle tree (C2SP tlog-checkpoint).`,
	}
	cmd.AddCommand(verifycmd.NewCmdVerify(f, nil))
	return cmd
}
