// Package diff is `tunduk catalog diff`: report drift between the catalog
// and the security server both ways, above all a service live on the SS
// that the catalog does not describe.
package diff

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog/register"
	"github.com/tunduk-kg/tunduk/cmd/catalog/plan"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// DiffOptions are the verb's inputs.
type DiffOptions struct {
	IO         cli.IOStreams
	ConfigPath string
	Dir        string
	JSON       bool
}

// NewCmdDiff returns the diff verb; runF nil runs it for real.
func NewCmdDiff(f *cli.Factory, runF func(*DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "diff [--config FILE] [--dir DIR] [--json]",
		Short: "Report drift between the catalog and the security server",
		Long: `Compare the catalog with the security server both ways:
  ss-only       what the SS has that the catalog does not describe (services,
                descriptions, subsystems, access rights, endpoints); a service
                LIVE on the SS without a catalog entry is marked "!" and listed first
  catalog-only  what the catalog describes that the SS lacks or has differently
                (what apply would change)
Exits 0 when there is no drift, 1 when there is.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return diffRun(opts)
		},
	}
	plan.AddTargetFlags(cmd, &opts.ConfigPath, &opts.Dir)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the drift as JSON")
	return cmd
}

func diffRun(opts *DiffOptions) error {
	t, err := plan.Open(opts.IO, opts.ConfigPath, opts.Dir, false)
	if err != nil {
		return err
	}
	o, err := register.Observe(context.Background(), t.Client, t.Desired)
	if err != nil {
		return err
	}
	drift := register.Diff(t.Desired, o)
	if opts.JSON {
		if err := json.NewEncoder(opts.IO.Out).Encode(append([]register.Drift{}, drift...)); err != nil {
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
