// Package ls is `tunduk notice ls`: the notices issued, newest first.
package ls

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
)

// LsOptions are the verb's inputs.
type LsOptions struct {
	IO     cli.IOStreams
	Output string
	// Config and ConfigDir come from the Factory.
	Config    func() (*config.Config, error)
	ConfigDir func() string
}

// NewCmdLs returns the ls verb; runF nil runs it for real.
func NewCmdLs(f *cli.Factory, runF func(*LsOptions) error) *cobra.Command {
	opts := &LsOptions{IO: f.IO, Config: f.Config, ConfigDir: f.ConfigDir}
	cmd := &cobra.Command{
		Use:   "ls [--config FILE] [--output table|json]",
		Short: "List the notices issued, newest first",
		Long: `List the notices of notices.journal, newest first: id, kind, period, services,
where each is in the signed log and whether every channel was reached.

With --output json the result is an array of {notice: {id, kind, services,
from, to, text, author, created}, signedSeq, deliveries: [{channel, attempts,
error}]}.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cli.Run(opts, runF, lsRun)
		},
	}
	f.AddConfigFlag(cmd.Flags())
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func lsRun(opts *LsOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	entries, err := cfg.Notices.JournalAt(opts.ConfigDir()).List()
	if err != nil {
		return err
	}
	slices.Reverse(entries)
	if entries == nil {
		entries = []notice.Entry{}
	}
	return cli.Print(opts.IO.Out, opts.Output, entries, func(w io.Writer) error { return writeTable(w, entries) })
}

// writeTable writes one line per notice: id, kind, period, services,
// where it is signed and how many channels were reached.
func writeTable(w io.Writer, entries []notice.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tFROM\tTO\tSERVICES\tSIGNED\tDELIVERED")
	for _, e := range entries {
		n := e.Notice
		to, signed := "-", "no"
		if !n.To.IsZero() {
			to = n.To.UTC().Format(time.RFC3339)
		}
		if e.SignedSeq > 0 {
			signed = fmt.Sprintf("mlog:%d", e.SignedSeq)
		}
		ok := 0
		for _, d := range e.Deliveries {
			if d.Error == "" {
				ok++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\n", n.ID, n.Kind, n.From.UTC().Format(time.RFC3339), to, strings.Join(n.Services, ","), signed, ok, len(e.Deliveries))
	}
	return tw.Flush()
}
