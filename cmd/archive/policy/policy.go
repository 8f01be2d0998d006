// Package policy is `tunduk archive policy`: print the archiving-procedure
// document (what is archived, retention, who may read and on what
// conditions) generated from the configuration.
package policy

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/access"
)

// PolicyOptions are the verb's inputs.
type PolicyOptions struct {
	IO cli.IOStreams
	// Config comes from the Factory.
	Config func() (*config.Config, error)
}

// NewCmdPolicy returns the policy verb; runF nil runs it for real.
func NewCmdPolicy(f *cli.Factory, runF func(*PolicyOptions) error) *cobra.Command {
	opts := &PolicyOptions{IO: f.IO, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Print the archiving-procedure document generated from the configuration",
		Long: `Print, as Markdown, the archiving procedure a Tunduk participant must hold:
the archived fields, retention per group, the roles that may read the archives
with their purposes and conditions, and how every read is recorded. It is
generated from the messageLog section, so it always matches what runs.`,
		Example: `  tunduk archive policy --config /etc/tunduk/tunduk.yaml > archiving-procedure.md`,
		Args:    cli.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return cli.Run(opts, runF, policyRun)
		},
	}
	f.AddConfigFlag(cmd.Flags())
	return cmd
}

func policyRun(opts *PolicyOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	return access.WriteProcedure(opts.IO.Out, cfg.MessageLog.Procedure())
}
