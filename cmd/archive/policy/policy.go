// Package policy is `tunduk archive policy`: print the archiving-procedure
// document (what is archived, retention, who may read and on what
// conditions) generated from the configuration.
package policy

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/archive/search"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/signing/msglog/access"
)

// PolicyOptions are the verb's inputs.
type PolicyOptions struct {
	IO         cli.IOStreams
	ConfigPath string
}

// NewCmdPolicy returns the policy verb; runF nil runs it for real.
func NewCmdPolicy(f *cli.Factory, runF func(*PolicyOptions) error) *cobra.Command {
	opts := &PolicyOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Print the archiving-procedure document generated from the configuration",
		Long: `Print, as Markdown, the archiving procedure a Tunduk participant must hold:
the archived fields, retention per group, the roles that may read the archives
with their purposes and conditions, and how every read is recorded. It is
generated from the messageLog section, so it always matches what runs.`,
		Example: `  tunduk archive policy --config /etc/tunduk/tunduk.yaml > archiving-procedure.md`,
		Args:    search.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return policyRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.ConfigPath, "config", "", "configuration file (default $"+keyref.ConfigEnv+" or "+keyref.DefaultConfig+")")
	return cmd
}

func policyRun(opts *PolicyOptions) error {
	cfg, err := config.Load(keyref.ConfigPath(opts.ConfigPath))
	if err != nil {
		return err
	}
	return access.WriteProcedure(opts.IO.Out, cfg.MessageLog.Procedure())
}
