// Package repair is `tunduk msglog repair`: the operator's documented way
// out when the message-log journal is damaged and the daemon refuses to
// start (fail closed). It quarantines the damaged tail (nothing is
// deleted), keeps the lost records' numbers from being reused, and records
// the repair as a signed log record.
package repair

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/user"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// RepairOptions are the verb's inputs.
type RepairOptions struct {
	IO    cli.IOStreams
	Actor string
	JSON  bool
	// Repair runs the repair with the configured log and key.
	Repair func(actor string) (*msglog.RepairReport, error)
}

// NewCmdRepair returns the repair verb; runF nil runs it for real.
func NewCmdRepair(f *cli.Factory, runF func(*RepairOptions) error) *cobra.Command {
	opts := &RepairOptions{IO: f.IO}
	opts.Repair = func(actor string) (rep *msglog.RepairReport, err error) {
		ctx := f.Context()
		closeKey, err := f.WithLogKey(ctx, zap.NewNop(), func(signer crypto.Signer, cert *x509.Certificate) (io.Closer, error) {
			cfg, err := f.Config()
			if err != nil {
				return nil, err
			}
			if cfg.MessageLog.Backend == "postgres" {
				return nil, errors.New("messageLog.backend is postgres: there is no journal file to repair (PostgreSQL keeps the records; restore the database from its backup if it is damaged)")
			}
			lo, err := cfg.MessageLog.LogOptions(signer, cert, zap.NewNop())
			if err != nil {
				return nil, err
			}
			rep, err = msglog.Repair(ctx, lo, actor)
			return io.NopCloser(nil), err
		})
		if err != nil {
			return rep, err
		}
		return rep, closeKey()
	}
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
			return cli.Run(opts, runF, repairRun)
		},
	}
	f.AddConfigFlag(cmd.Flags())
	cmd.Flags().StringVar(&opts.Actor, "actor", opts.Actor, "who runs the repair (recorded; default the OS user)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

func repairRun(opts *RepairOptions) error {
	rep, err := opts.Repair(opts.Actor)
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
