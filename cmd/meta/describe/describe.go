// Package describe is `tunduk meta get-wsdl` and `tunduk meta get-openapi`:
// a service's description as the security server hands it out (PR-META
// getWsdl, PR-MREST getOpenAPI).
package describe

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/soap"
)

// Options are the inputs of both verbs.
type Options struct {
	IO      cli.IOStreams
	Conn    cli.SSConn
	Service soap.ServiceID
}

// fetcher is the metaservice a verb calls.
type fetcher func(c *ssclient.Client, ctx context.Context, service soap.ServiceID, o ssclient.MetaOptions) ([]byte, error)

// NewCmdGetWSDL returns `get-wsdl`; runF nil runs it for real.
func NewCmdGetWSDL(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	return newCmd(f, runF, "get-wsdl", "Print the WSDL of a SOAP service",
		"central-server/GOV/70000002/gns-service/getTaxArrearsByINN/v1", (*ssclient.Client).GetWSDL)
}

// NewCmdGetOpenAPI returns `get-openapi`; runF nil runs it for real.
func NewCmdGetOpenAPI(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	return newCmd(f, runF, "get-openapi", "Print the OpenAPI description of a REST service",
		"central-server/GOV/70000024/minjust-inn-services/founders", (*ssclient.Client).GetOpenAPI)
}

func newCmd(f *cli.Factory, runF func(*Options) error, verb, short, example string, fetch fetcher) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:     verb + " SERVICE",
		Short:   short,
		Example: "  tunduk meta " + verb + " " + example,
		Args:    cli.ExactArgs(1, "SERVICE"),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := cli.ParseArg(args[0], "SERVICE", soap.ParseServiceID, &opts.Service); err != nil {
				return err
			}
			return cli.Run(opts, runF, func(o *Options) error { return run(o, verb, fetch) })
		},
	}
	f.AddSSConn(cmd.Flags(), &opts.Conn)
	cmd.ValidArgsFunction = cli.FirstArg(f.CompleteServiceIDs())
	return cmd
}

func run(opts *Options, verb string, fetch fetcher) error {
	c, err := opts.Conn.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	doc, err := fetch(c, opts.Conn.Context(), opts.Service, ssclient.MetaOptions{})
	if err != nil {
		return cli.Failed(verb, err)
	}
	_, err = opts.IO.Out.Write(doc)
	return err
}
