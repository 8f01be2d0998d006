// Package search is `tunduk archive search`: find log records by INN/PIN,
// officer, issue, message id and time, under a configured role and a
// stated purpose; the search itself is recorded as a signed log record.
package search

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/archive/archiveflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/access"
)

// SearchOptions are the verb's inputs.
type SearchOptions struct {
	archiveflags.Select
	Output string
	Limit  int
}

// NewCmdSearch returns the search verb; runF nil runs it for real.
func NewCmdSearch(f *cli.Factory, runF func(*SearchOptions) error) *cobra.Command {
	opts := &SearchOptions{}
	cmd := archiveflags.NewSelectCmd(f, &cobra.Command{
		Use:   "search --role ROLE --purpose PURPOSE [--inn N] [--officer ID] [--issue REF] [--message-id ID] [--from T] [--to T]",
		Short: "Search the message-log archives (every search is itself logged and signed)",
		Long: `Search the message-log archives under a configured role and a stated purpose.
Every search is recorded in the signed access log.

With --output json the result is an array of {id, archive, entry, record},
record being the signed log record with camelCase keys.`,
		Example: `  tunduk archive search --role auditor --purpose audit --inn 01234567890123 --from 2026-01-01
  tunduk archive search --role auditor --purpose court-order --issue tender-2026-0042 --output json`,
	}, &opts.Select, nil, func() error { return cli.Run(opts, runF, searchRun) })
	cli.AddOutputFlag(cmd, &opts.Output)
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "stop after this many records (0: all)")
	return cmd
}

// Hit is one search result as printed.
type Hit struct {
	ID      string         `json:"id"`
	Archive string         `json:"archive"`
	Entry   string         `json:"entry"`
	Record  *msglog.Record `json:"record"`
}

var errLimit = errors.New("limit reached")

func searchRun(opts *SearchOptions) error {
	ctx := opts.Context()
	rd, closeRd, err := opts.ArchiveReader(ctx)
	if err != nil {
		return err
	}
	defer closeRd()
	var hits []Hit
	readID, err := rd.Search(ctx, opts.Access.Request(), opts.Query, func(h *access.Hit) error {
		hits = append(hits, Hit{ID: msglog.ID(h.Record.Seq), Archive: h.Archive.Name, Entry: h.Entry, Record: h.Record})
		if opts.Limit > 0 && len(hits) >= opts.Limit {
			return errLimit
		}
		return nil
	})
	opts.Recorded(readID)
	if err != nil && err != errLimit {
		return err
	}
	if err := closeRd(); err != nil {
		return err
	}
	return cli.Print(opts.IO.Out, opts.Output, hits, func(w io.Writer) error { return printHits(w, hits) })
}

func printHits(w io.Writer, hits []Hit) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tTYPE\tMESSAGE ID\tSERVICE\tUSER\tISSUE\tOUTCOME\tARCHIVE")
	for _, h := range hits {
		r := h.Record
		var mid, svc, uid, issue, outcome string
		if ex := r.Exchange; ex != nil {
			mid, svc, uid, issue, outcome = ex.MessageID, ex.Service, ex.UserID, ex.Issue, ex.Outcome
		} else if ev := r.Event; ev != nil {
			svc, uid, outcome = ev.Action, ev.Actor, ev.Outcome
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, r.Time.UTC().Format(time.RFC3339), r.Type, mid, svc, uid, issue, outcome, h.Archive)
	}
	return tw.Flush()
}
