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
	catalogflags.Describe
	// Options are --address, the soap:address to write.
	wsdl.Options
	// Public writes the placeholder address instead of the internal
	// backend URL.
	Public bool
}

// NewCmdWsdl returns the wsdl verb; runF nil runs it for real.
func NewCmdWsdl(f *cli.Factory, runF func(*WsdlOptions) error) *cobra.Command {
	opts := &WsdlOptions{}
	cmd := catalogflags.NewDescribeCmd(f, &cobra.Command{
		Use:   "wsdl SERVICE [DIR]",
		Short: "Print the WSDL of a SOAP service of the catalog",
		Long: `Print the WSDL 1.1 (document/literal, X-Road headers) of a SOAP service.
SERVICE is its code, code/version, subsystem/code/version or X-Road id.
DIR is the catalog directory (default: catalog.dir of the configuration).
The soap:address is the service's backend URL (what the security server
calls) unless --address or --public is given.`,
	}, &opts.Describe, func() error {
		if opts.Public && opts.Address != "" {
			return cli.UsageError("--public and --address exclude each other")
		}
		return nil
	}, func() error { return cli.Run(opts, runF, wsdlRun) })
	cmd.Flags().StringVar(&opts.Address, "address", "", "soap:address location to write")
	cmd.Flags().BoolVar(&opts.Public, "public", false, "write a placeholder address instead of the internal backend URL")
	return cmd
}

func wsdlRun(opts *WsdlOptions) error {
	s, err := opts.Load(catalog.SOAP)
	if err != nil {
		return err
	}
	o := opts.Options
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
