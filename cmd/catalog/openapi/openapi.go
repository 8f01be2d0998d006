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
	IO cli.IOStreams
	// Dir is the catalog directory (the DIR argument, else catalog.dir).
	Dir  string
	dirs catalogflags.Dir
	// Service names the service: code, code/version, subsystem/code/version or its X-Road id.
	Service string
	// Server overrides servers[0].url (default: the backend URL).
	Server string
	// JSON prints JSON instead of YAML.
	JSON bool
}

// NewCmdOpenapi returns the openapi verb; runF nil runs it for real.
func NewCmdOpenapi(f *cli.Factory, runF func(*OpenapiOptions) error) *cobra.Command {
	opts := &OpenapiOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "openapi SERVICE [DIR]",
		Short: "Print the OpenAPI 3.0 description of a REST service of the catalog",
		Long: `Print the OpenAPI 3.0.3 description of a REST service, as the security
server's OPENAPI3 service description takes it. SERVICE is its code,
code/version, subsystem/code/version or X-Road id. DIR is the catalog
directory (default: catalog.dir of the configuration). servers[0].url is the
service's backend URL unless --server is given.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Service = args[0]
			if err := opts.dirs.ResolveArg(&opts.Dir, args, 1, "catalog openapi "+args[0]); err != nil {
				return err
			}
			return cli.Run(opts, runF, openapiRun)
		},
	}
	catalogflags.AddDirFlags(f, cmd, &opts.dirs)
	cmd.ValidArgsFunction = catalogflags.CompleteServices(&opts.dirs)
	cmd.Flags().StringVar(&opts.Server, "server", "", "servers[0].url to write (default: the backend URL)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON instead of YAML")
	return cmd
}

func openapiRun(opts *OpenapiOptions) error {
	s, err := catalogflags.LoadService(opts.IO, opts.Dir, opts.Service, catalog.REST)
	if err != nil {
		return err
	}
	b, err := openapi.Generate(s, openapi.Options{ServerURL: opts.Server, JSON: opts.JSON})
	if err != nil {
		return cli.UsageError("%v", err)
	}
	_, err = opts.IO.Out.Write(b)
	return err
}
