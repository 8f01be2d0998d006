// Package diff is `tunduk catalog diff`: report drift between the catalog
// and the security server both ways, above all a service live on the SS
// that the catalog does not describe.
package diff

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/catalog/register"
)

// DiffOptions are the verb's inputs.
type DiffOptions = catalogflags.Compare

// NewCmdDiff returns the diff verb; runF nil runs it for real.
func NewCmdDiff(f *cli.Factory, runF func(*DiffOptions) error) *cobra.Command {
	return catalogflags.NewCompareCmd(f, &cobra.Command{
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
	}, runF, diffRun)
}

func diffRun(opts *DiffOptions) error {
	t, o, err := opts.Observe()
	if err != nil {
		return err
	}
	drift := register.Diff(t.Desired, o)
	if err := cli.Print(opts.IO.Out, opts.Output, append([]register.Drift{}, drift...), func(w io.Writer) error {
		for _, d := range drift {
			fmt.Fprintln(w, d)
		}
		return nil
	}); err != nil {
		return err
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
