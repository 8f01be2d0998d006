// Package getwsdl is `tunduk meta get-wsdl`.
package getwsdl

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/meta/ssconn"
	"github.com/tunduk-kg/tunduk/soap"
)

// GetWSDLOptions are the verb's inputs.
type GetWSDLOptions struct {
	IO      cli.IOStreams
	Conn    ssconn.Flags
	Service soap.ServiceID
}

// NewCmdGetWSDL returns the verb; runF nil runs it for real.
func NewCmdGetWSDL(f *cli.Factory, runF func(*GetWSDLOptions) error) *cobra.Command {
	opts := &GetWSDLOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:     "get-wsdl SERVICE",
		Short:   "Print the WSDL of a SOAP service",
		Example: "  tunduk meta get-wsdl central-server/GOV/70000002/gns-service/getTaxArrearsByINN/v1",
		Args:    ssconn.ExactArgs(1, "SERVICE"),
		RunE: func(_ *cobra.Command, args []string) error {
			s, err := soap.ParseServiceID(args[0])
			if err != nil {
				return cli.UsageError("SERVICE: %v", err)
			}
			opts.Service = s
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	opts.Conn.Register(cmd.Flags())
	return cmd
}

func run(opts *GetWSDLOptions) error {
	c, err := opts.Conn.NewClient()
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	defer c.Close()
	doc, err := c.GetWSDL(context.Background(), opts.Service, ssclient.MetaOptions{})
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: "get-wsdl: " + ssconn.Describe(err)}
	}
	_, err = opts.IO.Out.Write(doc)
	return err
}
