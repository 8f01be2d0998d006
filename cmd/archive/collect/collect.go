// Package collect is `tunduk archive collect`: copy the security server's
// message-log archives to long-term storage, verifying each and alerting
// on gaps in the chain.
package collect

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/archive/archiveflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/collect"
)

// CollectOptions are the verb's inputs; unset values come from the
// configuration's messageLog.collect.
type CollectOptions struct {
	IO             cli.IOStreams
	Source, Target string
	Interval       time.Duration
	Once           bool
	// Verifier is --verificationconf and --gpg-key; without the key
	// encrypted archives are copied unverified.
	archiveflags.Verifier
	// Context and Config come from the Factory.
	Context func() context.Context
	Config  func() (*config.Config, error)
}

// NewCmdCollect returns the collect verb; runF nil runs it for real.
func NewCmdCollect(f *cli.Factory, runF func(*CollectOptions) error) *cobra.Command {
	opts := &CollectOptions{IO: f.IO, Context: f.Context, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "collect [--source DIR] [--target DIR] [--once]",
		Short: "Verify the security server's new archives and copy them to long-term storage",
		Long: `Watch the security server's archive directory (default /var/lib/xroad), verify
every new mlog-*.zip with the independent verifier, check that it links to the
last archive collected, and copy it to the target. Gaps (a missing archive) and
invalid archives are logged as errors and counted in the
tunduk_msglog_collect_gaps_total and _invalid_total metrics; invalid archives
are kept under TARGET/invalid/. With --once, scan once and exit 1 on a gap or
an invalid archive. Without --gpg-key, encrypted archives (*.zip.gpg) are
copied unverified.`,
		Example: `  tunduk archive collect --once --source /var/lib/xroad --target /srv/tunduk/ss-archive`,
		Args:    cli.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return cli.Run(opts, runF, collectRun)
		},
	}
	fs := cmd.Flags()
	f.AddConfigFlag(fs) // not read when --source and --target are given
	fs.StringVar(&opts.Source, "source", "", "security server archive directory (messageLog.collect.sourceDir)")
	fs.StringVar(&opts.Target, "target", "", "long-term storage directory (messageLog.collect.targetDir)")
	fs.DurationVar(&opts.Interval, "interval", 0, "scan interval (messageLog.collect.interval)")
	fs.BoolVar(&opts.Once, "once", false, "scan once and exit")
	opts.Verifier.Add(fs)
	return cmd
}

func collectRun(opts *CollectOptions) error {
	if err := opts.complete(); err != nil {
		return err
	}
	vo, err := opts.Verifier.Options()
	if err != nil {
		return err
	}
	log, _ := zap.NewProduction()
	c, err := collect.New(collect.Options{SourceDir: opts.Source, TargetDir: opts.Target, Verify: vo, Logger: log})
	if err != nil {
		return err
	}
	rep := &reporter{w: opts.IO.Out}
	if !opts.Once {
		// Until SIGINT/SIGTERM: the Factory's context ends the loop cleanly.
		return c.Run(opts.Context(), opts.Interval, rep.print)
	}
	out, err := c.Scan(opts.Context())
	rep.print(out)
	if err != nil {
		return err
	}
	if rep.bad {
		return cli.Invalid()
	}
	return nil
}

// complete fills what the flags leave unset from messageLog.collect.
func (opts *CollectOptions) complete() error {
	if opts.Source == "" || opts.Target == "" {
		cfg, err := opts.Config()
		if err != nil {
			return err
		}
		c := cfg.MessageLog.Collect
		opts.Source, opts.Target = or(opts.Source, c.SourceDir), or(opts.Target, c.TargetDir)
		opts.VerificationConf = or(opts.VerificationConf, c.VerificationConf)
		if opts.Interval == 0 {
			opts.Interval = c.Interval
		}
	}
	if opts.Source == "" || opts.Target == "" {
		return cli.UsageError("give --source and --target, or set messageLog.collect")
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Minute
	}
	return nil
}

// reporter prints one line per archive and remembers gaps and invalid
// archives.
type reporter struct {
	w   io.Writer
	bad bool
}

func (r *reporter) print(out []collect.Outcome) {
	for _, o := range out {
		status := "OK     "
		switch {
		case o.Invalid:
			status, r.bad = "INVALID", true
		case o.Gap:
			status, r.bad = "GAP    ", true
		case o.Unverified:
			status = "COPIED (encrypted, not verified)"
		}
		fmt.Fprintf(r.w, "%s %s -> %s\n", status, o.Name, o.Copied)
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
