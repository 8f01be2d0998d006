// Package plan is `tunduk catalog plan`: show what `apply` would change on
// the security server to match the catalog. It also holds Open, which the
// plan, apply and diff verbs share to load the configuration and catalog
// and connect to the SS Management API.
package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/register"
	"github.com/tunduk-kg/tunduk/catalog/ssapi"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
)

// DefaultConfig is the configuration file read unless --config names another.
const DefaultConfig = "/etc/tunduk/tunduk.yaml"

// PlanOptions are the verb's inputs.
type PlanOptions struct {
	IO         cli.IOStreams
	ConfigPath string
	Dir        string // overrides catalog.dir
	JSON       bool
}

// NewCmdPlan returns the plan verb; runF nil runs it for real.
func NewCmdPlan(f *cli.Factory, runF func(*PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "plan [--config FILE] [--dir DIR] [--json]",
		Short: "Show what apply would change on the security server",
		Long: `Compare the catalog with the security server (through its Management REST API)
and list, in the order apply would make them, the changes needed: subsystem
clients, service descriptions, service URLs/timeouts/TLS checks, endpoints,
access rights for allowed consumers, and enabling. Nothing is changed.

The API key is read from catalog.managementAPI.apiKeyFile or apiKeyEnv, never
from the command line; the SS certificate is pinned.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return planRun(opts)
		},
	}
	AddTargetFlags(cmd, &opts.ConfigPath, &opts.Dir)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the changes as JSON")
	return cmd
}

// AddTargetFlags adds --config and --dir, shared by plan, apply and diff.
func AddTargetFlags(cmd *cobra.Command, configPath, dir *string) {
	cmd.Flags().StringVar(configPath, "config", DefaultConfig, "tunduk configuration file (catalog section)")
	cmd.Flags().StringVar(dir, "dir", "", "catalog directory (default: catalog.dir from the configuration)")
}

func planRun(opts *PlanOptions) error {
	t, err := Open(opts.IO, opts.ConfigPath, opts.Dir, false)
	if err != nil {
		return err
	}
	ctx := context.Background()
	o, err := register.Observe(ctx, t.Client, t.Desired)
	if err != nil {
		return err
	}
	p := register.MakePlan(t.Desired, o)
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(append([]register.Change{}, p.Changes...))
	}
	PrintPlan(opts.IO, t, p)
	return nil
}

// PrintPlan writes a numbered plan.
func PrintPlan(io cli.IOStreams, t *Target, p *register.Plan) {
	if p.Empty() {
		fmt.Fprintf(io.Out, "%s matches the catalog: no changes.\n", t.Section.ManagementAPI.URL)
		return
	}
	fmt.Fprintf(io.Out, "%d change(s) to %s for %s:\n", len(p.Changes), t.Section.ManagementAPI.URL, t.Desired.Owner)
	for i, c := range p.Changes {
		fmt.Fprintf(io.Out, "%3d. %s\n", i+1, c)
	}
}

// Target is what the registration verbs work on.
type Target struct {
	// Config is the whole configuration (apply opens the signed log with it).
	Config  *config.Config
	Section config.Catalog
	Catalog *catalog.Catalog
	Desired *register.Desired
	Client  *ssapi.Client
}

// Open loads the configuration and the catalog, refuses a catalog with
// errors (printing them as validate does), converts it to the desired
// state and connects to the management API.
func Open(io cli.IOStreams, configPath, dir string, acceptWarnings bool) (*Target, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, err
	}
	sec := cfg.Catalog
	if dir != "" {
		sec.Dir = dir
	}
	if sec.ManagementAPI.URL == "" {
		return nil, cli.UsageError("%s: catalog.managementAPI.url is not set; registration needs the SS Management API", configPath)
	}
	c, err := catalog.Load(sec.Dir)
	var probs catalog.Problems
	if errors.As(err, &probs) || err == nil {
		if err == nil {
			probs = c.Validate().Errors()
		}
		if len(probs) > 0 {
			for _, p := range probs {
				fmt.Fprintln(io.ErrOut, p)
			}
			fmt.Fprintf(io.ErrOut, "%s: the catalog has %d error(s); fix them (tunduk catalog validate) before registering\n", sec.Dir, len(probs))
			return nil, cli.Invalid()
		}
	} else {
		return nil, err
	}
	fo := register.FromCatalogOptions{DescriptionBaseURL: sec.DescriptionBaseURL}
	if p := cfg.Provider; p.Listen != "" {
		// Services the provider serves are registered at its listener, so
		// the security server cannot bypass it.
		if fo.ProviderURL = p.ServiceURL(); fo.ProviderURL == "" {
			return nil, cli.UsageError("%s: provider.listen %s listens on every interface; set provider.url to the address the security server calls", configPath, p.Listen)
		}
		fo.Provided = p.Serves
	}
	d, err := register.FromCatalog(c, fo)
	if err != nil {
		return nil, err
	}
	if sec.Owner != "" && sec.Owner != d.Owner.String() {
		return nil, fmt.Errorf("the catalog describes member %s but the security server's owner is %s (catalog.owner)", d.Owner, sec.Owner)
	}
	co, err := sec.ClientOptions(acceptWarnings)
	if err != nil {
		return nil, err
	}
	client, err := ssapi.New(co)
	if err != nil {
		return nil, err
	}
	return &Target{Config: cfg, Section: sec, Catalog: c, Desired: d, Client: client}, nil
}
