// Package openapi is `tunduk catalog openapi SERVICE`: print the OpenAPI 3
// description of a REST service of the catalog.
package openapi

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/openapi"
	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// OpenapiOptions are the verb's inputs.
type OpenapiOptions struct {
	catalogflags.Describe
	// Options are --server (servers[0].url; default: the backend URL) and
	// --json (JSON instead of YAML).
	openapi.Options
}

// NewCmdOpenapi returns the openapi verb; runF nil runs it for real.
func NewCmdOpenapi(f *cli.Factory, runF func(*OpenapiOptions) error) *cobra.Command {
	opts := &OpenapiOptions{}
	cmd := catalogflags.NewDescribeCmd(f, &cobra.Command{
		Use:   "openapi SERVICE [DIR]",
		Short: "Print the OpenAPI 3.0 description of a REST service of the catalog",
		Long: `Print the OpenAPI 3.0.3 description of a REST service, as the security
server's OPENAPI3 service description takes it. SERVICE is its code,
code/version, subsystem/code/version or X-Road id. DIR is the catalog
directory (default: catalog.dir of the configuration). servers[0].url is the
service's backend URL unless --server is given.`,
	}, &opts.Describe, nil, func() error { return cli.Run(opts, runF, openapiRun) })
	cmd.Flags().StringVar(&opts.ServerURL, "server", "", "servers[0].url to write (default: the backend URL)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON instead of YAML")
	return cmd
}

func openapiRun(opts *OpenapiOptions) error {
	s, err := opts.Load(catalog.REST)
	if err != nil {
		return err
	}
	b, err := openapi.Generate(s, opts.Options)
	if err != nil {
		return cli.UsageError("%v", err)
	}
	_, err = opts.IO.Out.Write(b)
	return err
}
