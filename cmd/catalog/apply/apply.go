// Package apply is `tunduk catalog apply`: make the security server match
// the catalog, recorded under an authorised person of the catalog.
package apply

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/catalog/register"
	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// ApplyOptions are the verb's inputs.
type ApplyOptions struct {
	IO     cli.IOStreams
	Target catalogflags.Flags
	// As is the catalog id of the authorised person applying (default:
	// catalog.appliedBy).
	As string
	// AcceptWarnings resends with ignore_warnings after the SS raised
	// warnings; without it warnings stop the apply and are shown.
	AcceptWarnings bool
	// Recorder overrides the JSON-lines file of catalog.applyLog (the lead
	// wires the signed message log here).
	Recorder register.Recorder
	// Context and AdminLog come from the Factory.
	Context  func() context.Context
	AdminLog func(context.Context) (*msglog.Log, func() error, error)
}

// NewCmdApply returns the apply verb; runF nil runs it for real.
func NewCmdApply(f *cli.Factory, runF func(*ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{IO: f.IO, Context: f.Context, AdminLog: f.AdminLog}
	cmd := &cobra.Command{
		Use:   "apply [DIR] --as PERSON [--accept-warnings] [--config FILE]",
		Short: "Make the security server match the catalog",
		Long: `Compute the plan (see tunduk catalog plan) and make the changes on the security
server in order, idempotently: a second apply changes nothing. Warnings raised
by the SS (warnings_detected) stop the apply and are shown; re-run with
--accept-warnings to accept them. On a failure midway the report says exactly
which changes were applied and which were not; run apply again to finish.

--as names the authorised person applying; the catalog must give them the
registrar role. Every apply is recorded (who, what, when) in catalog.applyLog.
Nothing is ever removed from the SS; see tunduk catalog diff for drift.`,
		RunE: func(*cobra.Command, []string) error {
			return cli.Run(opts, runF, applyRun)
		},
	}
	catalogflags.AddTargetFlags(f, cmd, &opts.Target)
	cmd.Flags().StringVar(&opts.As, "as", "", "catalog id of the authorised person applying (default catalog.appliedBy)")
	cmd.Flags().BoolVar(&opts.AcceptWarnings, "accept-warnings", false, "accept warnings raised by the security server")
	return cmd
}

func applyRun(opts *ApplyOptions) error {
	t, err := opts.Target.Open(opts.IO, opts.AcceptWarnings)
	if err != nil {
		return err
	}
	actor, err := register.Authorize(t.Catalog, cmp.Or(opts.As, t.Section.AppliedBy))
	if err != nil {
		return &cli.ExitError{Code: cli.ExitUsage, Msg: err.Error()}
	}
	ctx := opts.Context()
	rec, closeRec, err := opts.recorder(ctx, t.Section.ApplyLog)
	if err != nil {
		return err
	}
	defer closeRec()
	p, err := t.Plan(ctx)
	if err != nil {
		return err
	}
	catalogflags.PrintPlan(opts.IO, t, p)
	rep, err := register.Apply(ctx, t.Client, p, register.ApplyOptions{Actor: actor, Recorder: rec, SecurityServer: t.Section.ManagementAPI.URL})
	if rep != nil {
		PrintReport(opts.IO, rep)
	}
	var we *ssapi.WarningsError
	if errors.As(err, &we) {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: "the security server raised warnings (above); nothing after them was applied. " +
			"Review them and re-run with --accept-warnings to accept"}
	}
	return err
}

// recorder is where the apply is recorded: opts.Recorder, else the signed
// administrative log when messageLog.signingKey is set, else the
// JSON-lines file of catalog.applyLog.
func (opts *ApplyOptions) recorder(ctx context.Context, applyLog string) (register.Recorder, func() error, error) {
	none := func() error { return nil }
	if opts.Recorder != nil {
		return opts.Recorder, none, nil
	}
	l, closeLog, err := opts.AdminLog(ctx)
	if err != nil {
		return nil, nil, &cli.ExitError{Code: cli.ExitFailure, Msg: "apply is recorded in the signed log, which could not be opened: " + err.Error()}
	}
	if l == nil {
		return &register.JSONLRecorder{Path: applyLog}, none, nil
	}
	return &signedRecorder{log: l}, closeLog, nil
}

// PrintReport writes each change's outcome and a summary.
func PrintReport(io cli.IOStreams, rep *register.Report) {
	if len(rep.Results) == 0 {
		return
	}
	fmt.Fprintln(io.Out, "Result:")
	for _, r := range rep.Results {
		fmt.Fprintf(io.Out, "  %-15s %s\n", r.Outcome, r.Change)
		for _, w := range r.Warnings {
			fmt.Fprintf(io.Out, "  %-15s   warning: %s\n", "", w)
		}
		if r.Error != "" {
			fmt.Fprintf(io.Out, "  %-15s   error: %s\n", "", r.Error)
		}
	}
	fmt.Fprintf(io.Out, "%d applied, %d already present, %d failed, %d not attempted\n",
		rep.Count(register.Applied), rep.Count(register.AlreadyPresent), rep.Count(register.Failed), rep.Count(register.NotAttempted))
}
