// Package listmethods is `tunduk meta list-methods`.
package listmethods

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/meta/ssconn"
	"github.com/tunduk-kg/tunduk/soap"
)

// ListMethodsOptions are the verb's inputs.
type ListMethodsOptions struct {
	IO       cli.IOStreams
	Conn     ssconn.Flags
	Provider soap.ClientID
	REST     bool
}

// NewCmdListMethods returns the verb; runF nil runs it for real.
func NewCmdListMethods(f *cli.Factory, runF func(*ListMethodsOptions) error) *cobra.Command {
	opts := &ListMethodsOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "list-methods PROVIDER",
		Short: "List the services a provider offers",
		Long: `PROVIDER is a member or subsystem, e.g. central-server/GOV/70000002/gns-service.
SOAP services are listed by default (PR-META); --rest lists REST services with
their endpoints (PR-MREST).`,
		Example: `  tunduk meta list-methods central-server/GOV/70000002/gns-service
  tunduk meta list-methods --rest central-server/GOV/70000024/minjust-inn-services`,
		Args: ssconn.ExactArgs(1, "PROVIDER"),
		RunE: func(_ *cobra.Command, args []string) error {
			p, err := soap.ParseClientID(args[0])
			if err != nil {
				return cli.UsageError("PROVIDER: %v", err)
			}
			opts.Provider = p
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	opts.Conn.Register(cmd.Flags())
	cmd.Flags().BoolVar(&opts.REST, "rest", false, "use the REST metaservice (lists REST services)")
	return cmd
}

func run(opts *ListMethodsOptions) error {
	c, err := opts.Conn.NewClient()
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	defer c.Close()
	ms, err := c.ListMethods(context.Background(), opts.Provider, ssclient.MetaOptions{REST: opts.REST})
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: "list-methods: " + ssconn.Describe(err)}
	}
	ssconn.PrintMethods(opts.IO.Out, ms)
	return nil
}
