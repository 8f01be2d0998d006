// Package diff is `tunduk catalog diff`: report drift between the catalog
// and the security server both ways, above all a service live on the SS
// that the catalog does not describe.
package diff

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/catalog/register"
)

// DiffOptions are the verb's inputs.
type DiffOptions struct {
	IO     cli.IOStreams
	Target catalogflags.Flags
	Output string // table or json
	// Context comes from the Factory.
	Context func() context.Context
}

// NewCmdDiff returns the diff verb; runF nil runs it for real.
func NewCmdDiff(f *cli.Factory, runF func(*DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IO, Context: f.Context}
	cmd := &cobra.Command{
		Use:   "diff [DIR] [--config FILE] [--output table|json]",
		Short: "Report drift between the catalog and the security server",
		Long: `Compare the catalog with the security server both ways:
  ss-only       what the SS has that the catalog does not describe (services,
                descriptions, subsystems, access rights, endpoints); a service
                LIVE on the SS without a catalog entry is marked "!" and listed first
  catalog-only  what the catalog describes that the SS lacks or has differently
                (what apply would change)
Exits 0 when there is no drift, 1 when there is.

With --output json the result is an array of {direction, critical, kind,
subject, detail}.`,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return diffRun(opts)
		},
	}
	catalogflags.AddTargetFlags(f, cmd, &opts.Target)
	cli.AddOutputFlag(cmd, &opts.Output)
	catalogflags.AddJSONAlias(cmd, &opts.Output)
	return cmd
}

func diffRun(opts *DiffOptions) error {
	t, err := opts.Target.Open(opts.IO, false)
	if err != nil {
		return err
	}
	o, err := register.Observe(opts.Context(), t.Client, t.Desired)
	if err != nil {
		return err
	}
	drift := register.Diff(t.Desired, o)
	if opts.Output == cli.OutputJSON {
		if err := cli.WriteJSON(opts.IO.Out, append([]register.Drift{}, drift...)); err != nil {
			return err
		}
	} else {
		for _, d := range drift {
			fmt.Fprintln(opts.IO.Out, d)
		}
	}
	if len(drift) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "%s matches the catalog: no drift\n", t.Section.ManagementAPI.URL)
		return nil
	}
	critical := 0
	for _, d := range drift {
		if d.Critical {
			critical++
		}
	}
	fmt.Fprintf(opts.IO.ErrOut, "%d difference(s), %d critical (a live service the catalog does not describe)\n", len(drift), critical)
	return cli.Invalid()
}
