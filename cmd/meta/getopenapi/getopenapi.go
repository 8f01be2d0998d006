// Package getopenapi is `tunduk meta get-openapi`.
package getopenapi

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/meta/ssconn"
	"github.com/tunduk-kg/tunduk/soap"
)

// GetOpenAPIOptions are the verb's inputs.
type GetOpenAPIOptions struct {
	IO      cli.IOStreams
	Conn    ssconn.Flags
	Service soap.ServiceID
}

// NewCmdGetOpenAPI returns the verb; runF nil runs it for real.
func NewCmdGetOpenAPI(f *cli.Factory, runF func(*GetOpenAPIOptions) error) *cobra.Command {
	opts := &GetOpenAPIOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:     "get-openapi SERVICE",
		Short:   "Print the OpenAPI description of a REST service",
		Example: "  tunduk meta get-openapi central-server/GOV/70000024/minjust-inn-services/founders",
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

func run(opts *GetOpenAPIOptions) error {
	c, err := opts.Conn.NewClient()
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	defer c.Close()
	doc, err := c.GetOpenAPI(context.Background(), opts.Service, ssclient.MetaOptions{})
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: "get-openapi: " + ssconn.Describe(err)}
	}
	_, err = opts.IO.Out.Write(doc)
	return err
}
