// Package repair is `tunduk msglog repair`: the operator's documented way
// out when the message-log journal is damaged and the daemon refuses to
// start (fail closed). It quarantines the damaged tail (nothing is
// deleted), keeps the lost records' numbers from being reused, and records
// the repair as a signed log record.
package repair

import (
	"context"
	"encoding/json"
	"fmt"
	"os/user"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/signing/msglog"
)

// RepairOptions are the verb's inputs.
type RepairOptions struct {
	IO         cli.IOStreams
	ConfigPath string
	Actor      string
	JSON       bool
}

// NewCmdRepair returns the repair verb; runF nil runs it for real.
func NewCmdRepair(f *cli.Factory, runF func(*RepairOptions) error) *cobra.Command {
	opts := &RepairOptions{IO: f.IO}
	if u, err := user.Current(); err == nil {
		opts.Actor = u.Username
	}
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Quarantine a damaged journal tail so the message log can start again (the repair is logged and signed)",
		Long: `When the message-log journal is damaged (the daemon stops with "corrupt segment"),
repair moves everything from the first damaged record on into
<journal>/quarantine-<time>/ (nothing is deleted), truncates the damaged
segment, keeps the lost records' numbers (mlog:<seq>) from being given to new
records, and appends a signed journal-repair record naming you, the damage and
the records lost. Stop the daemon first. Records in the quarantine are not in
the archives: keep the directory for forensic recovery.`,
		Example: `  systemctl stop tunduk && tunduk msglog repair --config /etc/tunduk/tunduk.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Actor == "" {
				return cli.UsageError("cannot tell who runs the repair: give --actor")
			}
			if runF != nil {
				return runF(opts)
			}
			return repairRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.ConfigPath, "config", "", "configuration file (default $TUNDUK_CONFIG or "+keyref.DefaultConfig+")")
	cmd.Flags().StringVar(&opts.Actor, "actor", opts.Actor, "who runs the repair (recorded; default the OS user)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

func repairRun(opts *RepairOptions) error {
	cfg, err := config.Load(keyref.ConfigPath(opts.ConfigPath))
	if err != nil {
		return err
	}
	ctx := context.Background()
	signer, cert, closeKey, err := cfg.MessageLogSigner(ctx, zap.NewNop())
	if err != nil {
		return err
	}
	defer closeKey()
	lo, err := cfg.MessageLog.LogOptions(signer, cert, zap.NewNop())
	if err != nil {
		return err
	}
	rep, err := msglog.Repair(ctx, lo, opts.Actor)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if !rep.Damaged {
		fmt.Fprintf(opts.IO.Out, "journal is sound (records up to %s); nothing to repair\n", msglog.ID(rep.KeptUpTo))
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "damaged: %s at offset %d (%s)\nkept: records up to %s\nlost: %s..%s, %d bytes quarantined in %s\nrecorded as %s\n",
		rep.Segment, rep.Offset, rep.Reason, msglog.ID(rep.KeptUpTo), msglog.ID(rep.KeptUpTo+1), msglog.ID(rep.LostTo), rep.Bytes, rep.Quarantine, rep.RecordID)
	return nil
}
