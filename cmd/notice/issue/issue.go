// Package issue is `tunduk notice outage` and `tunduk notice maintenance`:
// issue a notice, record it in the signed log, send it.
package issue

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// IssueOptions are the verb's inputs.
type IssueOptions struct {
	IO       cli.IOStreams
	Kind     notice.Kind
	Services []string
	From, To string // RFC 3339; From "" ⇒ now
	Text     string
	Now      func() time.Time
	// Context, Config, ConfigDir and AdminLog come from the Factory.
	Context   func() context.Context
	Config    func() (*config.Config, error)
	ConfigDir func() string
	AdminLog  func(context.Context) (*msglog.Log, func() error, error)
}

// NewCmdIssue returns the verb for kind (outage or maintenance); runF nil
// runs it for real.
func NewCmdIssue(f *cli.Factory, kind notice.Kind, runF func(*IssueOptions) error) *cobra.Command {
	opts := &IssueOptions{IO: f.IO, Kind: kind, Now: time.Now, Context: f.Context, Config: f.Config, ConfigDir: f.ConfigDir, AdminLog: f.AdminLog}
	what := "an outage"
	if kind == notice.Maintenance {
		what = "planned works"
	}
	cmd := &cobra.Command{
		Use:   string(kind) + " --services ID[,ID…] [--from TIME] [--to TIME] --text TEXT [--config FILE]",
		Short: "Notify the Tunduk operator of " + what,
		Long: `Record a notice of ` + what + ` in the signed administrative log and send it to
the channels of the notices section (e-mail with STARTTLS, webhooks), retrying
failures; then list it in notices.journal (see tunduk notice ls). Times are
RFC 3339 (2026-12-05T02:00:00+06:00); --from defaults to now. Exits 1 when a
channel could not be reached after its retries (the notice is still recorded).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if len(opts.Services) == 0 || opts.Text == "" {
				return cli.UsageError("--services and --text are required")
			}
			return cli.Run(opts, runF, issueRun)
		},
	}
	f.AddConfigFlag(cmd.Flags())
	cmd.Flags().StringSliceVar(&opts.Services, "services", nil, "X-Road services concerned (slash form), comma-separated")
	cmd.Flags().StringVar(&opts.From, "from", "", "start, RFC 3339 (default now)")
	cmd.Flags().StringVar(&opts.To, "to", "", "end, RFC 3339 (default open-ended)")
	cmd.Flags().StringVar(&opts.Text, "text", "", "what happens and what users should do")
	return cmd
}

func issueRun(opts *IssueOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	n, err := build(opts)
	if err != nil {
		return cli.UsageError("%v", err)
	}
	to, err := cfg.Notices.Issuing(opts.ConfigDir())
	if err != nil {
		return err
	}
	ctx := opts.Context()
	l, closeLog, err := opts.AdminLog(ctx)
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: "the notice is recorded in the signed log, which could not be opened: " + err.Error()}
	}
	if l != nil {
		to.Log, to.Release = l, closeLog
	} else {
		fmt.Fprintln(opts.IO.ErrOut, "warning: messageLog.signingKey is not set: the notice is not recorded in a signed log")
	}
	entry, err := notice.Issue(ctx, n, to)
	return report(opts.IO, entry, err)
}

// report says where the notice is recorded and how each channel went, and
// ends with exit code 3 when a channel was not reached (the notice is
// still recorded); an error before that is returned as it is.
func report(io cli.IOStreams, e notice.Entry, err error) error {
	if err != nil && !errors.Is(err, notice.ErrNotDelivered) {
		return err
	}
	fmt.Fprintf(io.Out, "notice %s (%s) recorded", e.Notice.ID, e.Notice.Kind)
	if e.SignedSeq > 0 {
		fmt.Fprintf(io.Out, " in the signed log as mlog:%d", e.SignedSeq)
	}
	fmt.Fprintln(io.Out)
	for _, d := range e.Deliveries {
		status := "sent"
		if d.Error != "" {
			status = "FAILED: " + d.Error
		}
		fmt.Fprintf(io.Out, "  %s: %s (%d attempts)\n", d.Channel, status, d.Attempts)
	}
	if len(e.Deliveries) == 0 {
		fmt.Fprintln(io.ErrOut, "warning: no channels configured (notices.smtp, notices.webhooks): nobody was notified")
	}
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure}
	}
	return nil
}

func build(opts *IssueOptions) (notice.Notice, error) {
	now := opts.Now()
	n := notice.Notice{Kind: opts.Kind, Services: opts.Services, Text: opts.Text, From: now}
	var err error
	if opts.From != "" {
		if n.From, err = time.Parse(time.RFC3339, opts.From); err != nil {
			return n, fmt.Errorf("--from %q: want RFC 3339, e.g. 2026-12-05T02:00:00+06:00", opts.From)
		}
	}
	if opts.To != "" {
		if n.To, err = time.Parse(time.RFC3339, opts.To); err != nil {
			return n, fmt.Errorf("--to %q: want RFC 3339, e.g. 2026-12-05T04:00:00+06:00", opts.To)
		}
	}
	if u, err := user.Current(); err == nil {
		n.Author = u.Username
	}
	n = notice.New(n, now)
	return n, n.Validate()
}
