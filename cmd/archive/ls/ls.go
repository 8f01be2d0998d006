// Package ls is `tunduk archive ls`: list the message-log archives (and
// retention tombstones) under a configured role and a stated purpose; the
// listing is recorded as a signed log record.
package ls

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/archive/archiveflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/access"
)

// LsOptions are the verb's inputs.
type LsOptions struct {
	IO     cli.IOStreams
	Access archiveflags.Access
	Output string
	// Context and ArchiveReader come from the Factory.
	Context       func() context.Context
	ArchiveReader func(context.Context) (*access.Reader, func() error, error)
}

// NewCmdLs returns the ls verb; runF nil runs it for real.
func NewCmdLs(f *cli.Factory, runF func(*LsOptions) error) *cobra.Command {
	opts := &LsOptions{IO: f.IO, Context: f.Context, ArchiveReader: f.ArchiveReader}
	cmd := &cobra.Command{
		Use:   "ls --role ROLE --purpose PURPOSE",
		Short: "List message-log archives (the listing is itself logged and signed)",
		Long: `List the message-log archives and retention tombstones under a configured role
and a stated purpose. The listing is recorded in the signed access log.

With --output json the result is an array of {group, name, path, bytes,
modified, kind} objects, kind being "archive" or "tombstone".`,
		Example: `  tunduk archive ls --role auditor --purpose audit`,
		Args:    cli.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := opts.Access.Check(); err != nil {
				return err
			}
			return cli.Run(opts, runF, lsRun)
		},
	}
	archiveflags.AddAccess(f, cmd, &opts.Access)
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
	if readID != "" {
		fmt.Fprintf(opts.IO.ErrOut, "this read is recorded in the access log as %s\n", readID)
	}
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
	if opts.Output == cli.OutputJSON {
		return cli.WriteJSON(opts.IO.Out, rows)
	}
	return printRows(opts.IO.Out, rows)
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
