// Package search is `tunduk archive search`: find log records by INN/PIN,
// officer, issue, message id and time, under a configured role and a
// stated purpose; the search itself is recorded as a signed log record.
package search

import (
	"context"
	"encoding/json"
	"fmt"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/msglog/access"
)

// SearchOptions are the verb's inputs.
type SearchOptions struct {
	IO         cli.IOStreams
	ConfigPath string
	// User is the OS account (not a flag: the role is checked against it).
	User    string
	Role    string
	Purpose string
	Query   access.Query
	Output  string
	Limit   int
}

// QueryFlags are the record-selection flags search and export share.
type QueryFlags struct {
	Subject, Officer, Issue, MessageID, Type, Group, From, To string
}

// Add registers the flags.
func (q *QueryFlags) Add(fs *pflag.FlagSet) {
	fs.StringVar(&q.Subject, "inn", "", "INN or PIN the exchange is about")
	fs.StringVar(&q.Officer, "officer", "", "officer: the PIN as the portal sent it or the X-Road userId (KG+PIN); either finds the same records")
	fs.StringVar(&q.Issue, "issue", "", "X-Road issue (tender/lot reference)")
	fs.StringVar(&q.MessageID, "message-id", "", "X-Road message id")
	fs.StringVar(&q.Type, "type", "", "record type: exchange, archive-read, catalog-apply, key-operation, retention")
	fs.StringVar(&q.Group, "group", "", "archive group directory")
	fs.StringVar(&q.From, "from", "", "records at or after this time (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&q.To, "to", "", "records before this time (RFC 3339 or YYYY-MM-DD)")
}

// Query converts the flags, reporting bad times as usage errors.
func (q *QueryFlags) Query() (access.Query, error) {
	out := access.Query{Subject: q.Subject, Officer: q.Officer, Issue: q.Issue, MessageID: q.MessageID, Type: msglog.Type(q.Type), Group: q.Group}
	var err error
	if out.From, err = parseTime("--from", q.From); err != nil {
		return out, err
	}
	if out.To, err = parseTime("--to", q.To); err != nil {
		return out, err
	}
	if !out.From.IsZero() && !out.To.IsZero() && !out.To.After(out.From) {
		return out, cli.UsageError("--to must be after --from")
	}
	return out, nil
}

func parseTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, cli.UsageError("%s %q: want RFC 3339 (2026-03-01T10:00:00Z) or YYYY-MM-DD", flag, s)
}

// AddAccessFlags registers --config, --role and --purpose.
func AddAccessFlags(fs *pflag.FlagSet, configPath, role, purpose *string) {
	fs.StringVar(configPath, "config", "", "configuration file (default $"+keyref.ConfigEnv+" or "+keyref.DefaultConfig+")")
	fs.StringVar(role, "role", "", "role to read in (messageLog.access.roles); required")
	fs.StringVar(purpose, "purpose", "", "stated purpose of this read (one of the role's purposes); required")
}

// CheckAccessFlags reports missing --role/--purpose as usage errors.
func CheckAccessFlags(role, purpose string) error {
	if role == "" || purpose == "" {
		return cli.UsageError("reading archives needs --role and --purpose; both are recorded in the signed access log")
	}
	return nil
}

// CurrentUser is the OS account name, "" when unknown.
func CurrentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// NewCmdSearch returns the search verb; runF nil runs it for real.
func NewCmdSearch(f *cli.Factory, runF func(*SearchOptions) error) *cobra.Command {
	opts := &SearchOptions{IO: f.IO, User: CurrentUser()}
	var qf QueryFlags
	cmd := &cobra.Command{
		Use:   "search --role ROLE --purpose PURPOSE [--inn N] [--officer ID] [--issue REF] [--message-id ID] [--from T] [--to T]",
		Short: "Search the message-log archives (every search is itself logged and signed)",
		Example: `  tunduk archive search --role auditor --purpose audit --inn 01234567890123 --from 2026-01-01
  tunduk archive search --role auditor --purpose court-order --issue tender-2026-0042 --output json`,
		Args: NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := CheckAccessFlags(opts.Role, opts.Purpose); err != nil {
				return err
			}
			if opts.Output != "text" && opts.Output != "json" {
				return cli.UsageError("--output must be text or json")
			}
			q, err := qf.Query()
			if err != nil {
				return err
			}
			opts.Query = q
			if runF != nil {
				return runF(opts)
			}
			return searchRun(opts)
		},
	}
	AddAccessFlags(cmd.Flags(), &opts.ConfigPath, &opts.Role, &opts.Purpose)
	qf.Add(cmd.Flags())
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "stop after this many records (0: all)")
	return cmd
}

// hit is one search result as printed.
type hit struct {
	ID      string         `json:"id"`
	Archive string         `json:"archive"`
	Entry   string         `json:"entry"`
	Record  *msglog.Record `json:"record"`
}

var errLimit = fmt.Errorf("limit reached")

func searchRun(opts *SearchOptions) error {
	cfg, err := config.Load(keyref.ConfigPath(opts.ConfigPath))
	if err != nil {
		return err
	}
	ctx := context.Background()
	rd, closeRd, err := cfg.OpenArchiveReader(ctx, zap.NewNop())
	if err != nil {
		return err
	}
	defer closeRd()
	var hits []hit
	req := access.Request{User: opts.User, Role: opts.Role, Purpose: opts.Purpose}
	readID, err := rd.Search(ctx, req, opts.Query, func(h *access.Hit) error {
		hits = append(hits, hit{ID: msglog.ID(h.Record.Seq), Archive: h.Archive.Name, Entry: h.Entry, Record: h.Record})
		if opts.Limit > 0 && len(hits) >= opts.Limit {
			return errLimit
		}
		return nil
	})
	if readID != "" {
		fmt.Fprintf(opts.IO.ErrOut, "this read is recorded in the access log as %s\n", readID)
	}
	if err != nil && err != errLimit {
		return err
	}
	if err := closeRd(); err != nil {
		return err
	}
	return printHits(opts, hits)
}

func printHits(opts *SearchOptions, hits []hit) error {
	if opts.Output == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(hits)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 2, 4, 2, ' ', 0)
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

// NoArgs rejects positional arguments as a usage error (exit 2).
func NoArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cli.UsageError("unexpected argument %q", args[0])
	}
	return nil
}
