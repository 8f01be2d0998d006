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
	// Dir is the catalog directory.
	Dir string
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
		Use:   "wsdl SERVICE",
		Short: "Print the WSDL of a SOAP service of the catalog",
		Long: `Print the WSDL 1.1 (document/literal, X-Road headers) of a SOAP service.
SERVICE is its code, code/version, subsystem/code/version or X-Road id.
The soap:address is the service's backend URL (what the security server
calls) unless --address or --public is given.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Service = args[0]
			if opts.Public && opts.Address != "" {
				return cli.UsageError("--public and --address exclude each other")
			}
			if runF != nil {
				return runF(opts)
			}
			return wsdlRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "configs/catalog", "catalog directory")
	cmd.ValidArgsFunction = catalogflags.CompleteServices(&opts.Dir)
	cmd.Flags().StringVar(&opts.Address, "address", "", "soap:address location to write")
	cmd.Flags().BoolVar(&opts.Public, "public", false, "write a placeholder address instead of the internal backend URL")
	return cmd
}

func wsdlRun(opts *WsdlOptions) error {
	c, err := catalogflags.LoadValid(opts.IO, opts.Dir)
	if err != nil {
		return err
	}
	s, err := c.FindService(opts.Service)
	if err != nil {
		return cli.UsageError("%v", err)
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
