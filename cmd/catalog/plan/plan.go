// Package plan is `tunduk catalog plan`: show what `apply` would change on
// the security server to match the catalog.
package plan

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/catalog/register"
)

// PlanOptions are the verb's inputs.
type PlanOptions = catalogflags.Compare

// NewCmdPlan returns the plan verb; runF nil runs it for real.
func NewCmdPlan(f *cli.Factory, runF func(*PlanOptions) error) *cobra.Command {
	return catalogflags.NewCompareCmd(f, &cobra.Command{
		Use:   "plan [DIR] [--config FILE] [--output table|json]",
		Short: "Show what apply would change on the security server",
		Long: `Compare the catalog with the security server (through its Management REST API)
and list, in the order apply would make them, the changes needed: subsystem
clients, service descriptions, service URLs/timeouts/TLS checks, endpoints,
access rights for allowed consumers, and enabling. Nothing is changed.

The API key is read from catalog.managementAPI.apiKeyFile or apiKeyEnv, never
from the command line; the SS certificate is pinned.

With --output json the result is an array of changes {kind, client, target,
from, to}, in the order apply would make them.`,
	}, runF, planRun)
}

func planRun(opts *PlanOptions) error {
	t, o, err := opts.Observe()
	if err != nil {
		return err
	}
	p := register.MakePlan(t.Desired, o)
	return cli.Print(opts.IO.Out, opts.Output, append([]register.Change{}, p.Changes...), func(io.Writer) error {
		catalogflags.PrintPlan(opts.IO, t, p)
		return nil
	})
}
