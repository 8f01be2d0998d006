// Package wsdl is `tunduk catalog wsdl SERVICE`: print the WSDL of a SOAP
// service of the catalog.
package wsdl

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/wsdl"
	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// WsdlOptions are the verb's inputs.
type WsdlOptions struct {
	IO cli.IOStreams
	// Dir is the catalog directory (the DIR argument, else catalog.dir).
	Dir  string
	dirs catalogflags.Dir
	// Service names the service: code, code/version, subsystem/code/version or its X-Road id.
	Service string
	// Address overrides soap:address; Public writes the placeholder instead
	// of the internal backend URL.
	Address string
	Public  bool
}

// NewCmdWsdl returns the wsdl verb; runF nil runs it for real.
func NewCmdWsdl(f *cli.Factory, runF func(*WsdlOptions) error) *cobra.Command {
	opts := &WsdlOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "wsdl SERVICE [DIR]",
		Short: "Print the WSDL of a SOAP service of the catalog",
		Long: `Print the WSDL 1.1 (document/literal, X-Road headers) of a SOAP service.
SERVICE is its code, code/version, subsystem/code/version or X-Road id.
DIR is the catalog directory (default: catalog.dir of the configuration).
The soap:address is the service's backend URL (what the security server
calls) unless --address or --public is given.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Service = args[0]
			if err := opts.dirs.ResolveArg(&opts.Dir, args, 1, "catalog wsdl "+args[0]); err != nil {
				return err
			}
			if opts.Public && opts.Address != "" {
				return cli.UsageError("--public and --address exclude each other")
			}
			return cli.Run(opts, runF, wsdlRun)
		},
	}
	catalogflags.AddDirFlags(f, cmd, &opts.dirs)
	cmd.ValidArgsFunction = catalogflags.CompleteServices(&opts.dirs)
	cmd.Flags().StringVar(&opts.Address, "address", "", "soap:address location to write")
	cmd.Flags().BoolVar(&opts.Public, "public", false, "write a placeholder address instead of the internal backend URL")
	return cmd
}

func wsdlRun(opts *WsdlOptions) error {
	s, err := catalogflags.LoadService(opts.IO, opts.Dir, opts.Service, catalog.SOAP)
	if err != nil {
		return err
	}
	o := wsdl.Options{Address: opts.Address}
	if opts.Public {
		o.Address = wsdl.PlaceholderAddress
	}
	b, err := wsdl.Generate([]*catalog.Service{s}, o)
	if err != nil {
		return cli.UsageError("%v", err)
	}
	_, err = opts.IO.Out.Write(b)
	return err
}
