// Package export is `tunduk archive export`: copy the signed containers of
// the records matching a query into a zip an auditor can verify alone,
// under a configured role and a stated purpose; the export is recorded as
// a signed log record.
package export

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/archive/archiveflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// ExportOptions are the verb's inputs.
type ExportOptions struct {
	archiveflags.Select
	// Out is the zip file to write; it must not exist.
	Out string
}

// NewCmdExport returns the export verb; runF nil runs it for real.
func NewCmdExport(f *cli.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{}
	cmd := archiveflags.NewSelectCmd(f, &cobra.Command{
		Use:   "export --role ROLE --purpose PURPOSE --out FILE.zip [query flags]",
		Short: "Export the signed containers of matching records (the export is itself logged and signed)",
		Example: `  tunduk archive export --role auditor --purpose court-order --issue tender-2026-0042 --out evidence.zip
  tunduk archive verify evidence-unzipped/*.asice`,
	}, &opts.Select, func() error {
		if opts.Out == "" {
			return cli.UsageError("--out FILE is required")
		}
		return nil
	}, func() error { return cli.Run(opts, runF, exportRun) })
	cmd.Flags().StringVar(&opts.Out, "out", "", "zip file to write (must not exist)")
	return cmd
}

func exportRun(opts *ExportOptions) error {
	ctx := opts.Context()
	rd, closeRd, err := opts.ArchiveReader(ctx)
	if err != nil {
		return err
	}
	defer closeRd()
	f, err := os.OpenFile(opts.Out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	n, readID, err := rd.Export(ctx, opts.Access.Request(), opts.Query, f)
	opts.Recorded(readID)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(opts.Out)
		return err
	}
	if err := closeRd(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "exported %d signed containers to %s\n", n, opts.Out)
	return nil
}
