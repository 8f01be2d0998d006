// Package export is `tunduk catalog export --out DIR`: write the public
// catalog (catalog.json and index.html) without personal data or internal
// addresses.
package export

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog/export"
	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// ExportOptions are the verb's inputs.
type ExportOptions struct {
	IO cli.IOStreams
	// Dir is the catalog directory.
	Dir string
	// Out is where catalog.json and index.html are written.
	Out string
}

// NewCmdExport returns the export verb; runF nil runs it for real.
func NewCmdExport(f *cli.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "export --out DIR",
		Short: "Write the public catalog as catalog.json and index.html",
		Long: `Write the public catalog: the organisation, its information systems, services
and classifiers, WITHOUT authorised persons, personal-data fields, backend
addresses or database kinds. The gateway serves the same at /catalog.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if opts.Out == "" {
				return cli.UsageError("--out is required")
			}
			if runF != nil {
				return runF(opts)
			}
			return exportRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "configs/catalog", "catalog directory")
	cmd.Flags().StringVar(&opts.Out, "out", "", "output directory")
	return cmd
}

func exportRun(opts *ExportOptions) error {
	c, err := catalogflags.LoadValid(opts.IO, opts.Dir)
	if err != nil {
		return err
	}
	pub, err := export.Build(c)
	if err != nil {
		return err
	}
	if err := pub.Write(opts.Out); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote %s/catalog.json and %s/index.html: %d service(s)\n", opts.Out, opts.Out, len(pub.Services))
	return nil
}
