// Package ls is `tunduk archive ls`: list the message-log archives (and
// retention tombstones) under a configured role and a stated purpose; the
// listing is recorded as a signed log record.
package ls

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/archive/archiveflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// LsOptions are the verb's inputs.
type LsOptions struct {
	archiveflags.Read
	Output string
}

// NewCmdLs returns the ls verb; runF nil runs it for real.
func NewCmdLs(f *cli.Factory, runF func(*LsOptions) error) *cobra.Command {
	opts := &LsOptions{}
	cmd := archiveflags.NewReadCmd(f, &cobra.Command{
		Use:   "ls --role ROLE --purpose PURPOSE",
		Short: "List message-log archives (the listing is itself logged and signed)",
		Long: `List the message-log archives and retention tombstones under a configured role
and a stated purpose. The listing is recorded in the signed access log.

With --output json the result is an array of {group, name, path, bytes,
modified, kind} objects, kind being "archive" or "tombstone".`,
		Example: `  tunduk archive ls --role auditor --purpose audit`,
	}, &opts.Read, nil, func() error { return cli.Run(opts, runF, lsRun) })
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func lsRun(opts *LsOptions) error {
	ctx := opts.Context()
	rd, closeRd, err := opts.ArchiveReader(ctx)
	if err != nil {
		return err
	}
	defer closeRd()
	archives, readID, err := rd.List(ctx, opts.Access.Request())
	opts.Recorded(readID)
	if err != nil {
		return err
	}
	if err := closeRd(); err != nil {
		return err
	}
	rows := make([]Row, len(archives))
	for i, a := range archives {
		rows[i] = Row{Group: a.Group, Name: a.Name, Path: a.Path, Bytes: a.Size, Modified: a.ModTime.UTC(), Kind: "archive"}
		if a.Tombstone {
			rows[i].Kind = "tombstone"
		}
	}
	return cli.Print(opts.IO.Out, opts.Output, rows, func(w io.Writer) error { return printRows(w, rows) })
}

func printRows(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tARCHIVE\tBYTES\tKIND")
	for _, r := range rows {
		group := r.Group
		if group == "" {
			group = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", group, r.Name, r.Bytes, r.Kind)
	}
	return tw.Flush()
}

// Row is one archive as printed.
type Row struct {
	Group    string    `json:"group"`
	Name     string    `json:"name"`
	Path     string    `json:"path"`
	Bytes    int64     `json:"bytes"`
	Modified time.Time `json:"modified"`
	Kind     string    `json:"kind"`
}
