// Package methods is `tunduk meta list-methods` and `tunduk meta
// allowed-methods`: the two metaservices that list a provider's services
// (PR-META listMethods/allowedMethods, PR-MREST for REST).
package methods

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/meta/metaflags"
	"github.com/tunduk-kg/tunduk/soap"
)

// Options are the inputs of both verbs.
type Options struct {
	IO       cli.IOStreams
	Conn     cli.SSConn
	Provider soap.ClientID
	REST     bool
	Output   string
}

// lister is the metaservice a verb calls.
type lister func(c *ssclient.Client, ctx context.Context, provider soap.ClientID, o ssclient.MetaOptions) ([]ssclient.Method, error)

// NewCmdListMethods returns `list-methods`; runF nil runs it for real.
func NewCmdListMethods(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	return newCmd(f, runF, "list-methods", "List the services a provider offers", (*ssclient.Client).ListMethods)
}

// NewCmdAllowedMethods returns `allowed-methods`; runF nil runs it for real.
func NewCmdAllowedMethods(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	return newCmd(f, runF, "allowed-methods", "List the provider's services our client subsystem may call", (*ssclient.Client).AllowedMethods)
}

func newCmd(f *cli.Factory, runF func(*Options) error, verb, short string, list lister) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   verb + " PROVIDER",
		Short: short,
		Long: `PROVIDER is a member or subsystem, e.g. central-server/GOV/70000002/gns-service.
SOAP services are listed by default (PR-META); --rest lists REST services with
their endpoints (PR-MREST).

With --output json the result is an array of {service, type, endpoints:
[{method, path}]}.`,
		Example: "  tunduk meta " + verb + " central-server/GOV/70000002/gns-service\n" +
			"  tunduk meta " + verb + " --rest central-server/GOV/70000024/minjust-inn-services",
		Args: cli.ExactArgs(1, "PROVIDER"),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := cli.ParseArg(args[0], "PROVIDER", soap.ParseClientID, &opts.Provider); err != nil {
				return err
			}
			return cli.Run(opts, runF, func(o *Options) error { return run(o, verb, list) })
		},
	}
	f.AddSSConn(cmd.Flags(), &opts.Conn)
	cli.AddOutputFlag(cmd, &opts.Output)
	cmd.Flags().BoolVar(&opts.REST, "rest", false, "use the REST metaservice (lists REST services)")
	return cmd
}

func run(opts *Options, verb string, list lister) error {
	c, err := opts.Conn.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	ms, err := list(c, opts.Conn.Context(), opts.Provider, ssclient.MetaOptions{REST: opts.REST})
	if err != nil {
		return cli.Failed(verb, err)
	}
	return metaflags.PrintMethods(opts.IO.Out, opts.Output, ms)
}
