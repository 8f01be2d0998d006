// Package export is `tunduk catalog export --out DIR`: write the public
// catalog (catalog.json, index.html and its stylesheet) without personal data or internal
// addresses.
package export

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/catalog/export"
)

// ExportOptions are the verb's inputs.
type ExportOptions struct {
	catalogflags.Local
	// Out is where catalog.json, the pages and style.css are written.
	Out string
	// WriteOptions are --force: overwrite an output directory changed since
	// the last export.
	export.WriteOptions
}

// NewCmdExport returns the export verb; runF nil runs it for real.
func NewCmdExport(f *cli.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{}
	cmd := catalogflags.NewLocalCmd(f, &cobra.Command{
		Use:   "export [DIR] --out OUT [--force]",
		Short: "Write the public catalog: catalog.json and the page in ky, ru and en",
		Long: `Write the public catalog: the organisation, its information systems, services
and classifiers, WITHOUT authorised persons, personal-data fields, backend
addresses or database kinds. The gateway serves the same at /catalog.
DIR is the catalog directory (default: catalog.dir of the configuration).

OUT keeps a list of what was written (` + export.ManifestName + `); an OUT
changed since (a file edited or added by hand, or any files without that
list) is not overwritten unless --force is given.`,
		Args: cobra.MaximumNArgs(1),
	}, &opts.Local, 0, func([]string) (string, error) {
		if opts.Out == "" {
			return "", cli.UsageError("--out is required: the directory to write the public catalog into")
		}
		return "catalog export --out " + opts.Out, nil
	}, func() error { return cli.Run(opts, runF, exportRun) })
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an output directory changed since the last export")
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
	var changed *export.ChangedError
	if err := pub.Write(opts.Out, opts.WriteOptions); errors.As(err, &changed) {
		return cli.UsageError("%s changed since the last export: %s\npass --force to overwrite it, or export to a new directory",
			opts.Out, strings.Join(changed.Files, ", "))
	} else if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote %s: catalog.json and the page in Kyrgyz (index.html), Russian (ru/) and English (en/) with style.css: %d service(s)\n",
		opts.Out, len(pub.Services))
	return nil
}
