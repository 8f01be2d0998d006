// Package catalogflags holds what the registration verbs (`tunduk catalog
// plan|apply|diff`) share: the target flags (--config through the Factory,
// --dir) and Open, which loads the configuration and the catalog and
// connects to the SS Management API.
package catalogflags

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/catalog/register"
	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
)

// Flags are the target flags; Open reads them.
type Flags struct {
	// Dir overrides catalog.dir (--dir, kept for scripts).
	Dir string
	// Arg is the DIR argument; it overrides catalog.dir too.
	Arg string
	f   *cli.Factory
}

// Args is the positional-argument rule of plan, apply and diff: an
// optional catalog directory, stored in t.Arg.
func (t *Flags) Args(_ *cobra.Command, args []string) error {
	if len(args) > 1 {
		return cli.UsageError("too many arguments %q: the only argument is the catalog directory", args)
	}
	if len(args) == 1 {
		if t.Dir != "" && t.Dir != args[0] {
			return cli.UsageError("the catalog directory is given twice (%s and --dir %s); pass it once, as an argument", args[0], t.Dir)
		}
		t.Arg = args[0]
	}
	return nil
}

// AddTargetFlags adds --config and --dir, shared by plan, apply and diff,
// and makes the optional DIR argument set t.Arg.
func AddTargetFlags(f *cli.Factory, cmd *cobra.Command, t *Flags) {
	t.f = f
	f.AddConfigFlag(cmd.Flags())
	cmd.Flags().StringVar(&t.Dir, "dir", "", "catalog directory (same as the DIR argument)")
	_ = cmd.Flags().MarkHidden("dir")
	cmd.Args = t.Args
}

// Compare are the inputs of the verbs that compare the catalog with the
// security server and print the result (plan, diff).
type Compare struct {
	IO     cli.IOStreams
	Target Flags
	Output string // table or json
	// Context comes from the Factory.
	Context func() context.Context
}

// NewCompareCmd completes cmd (its Use and help) as such a verb: the target
// flags, --output (and the older --json), and a RunE that calls runF when
// set, else run.
func NewCompareCmd(f *cli.Factory, cmd *cobra.Command, runF, run func(*Compare) error) *cobra.Command {
	opts := &Compare{IO: f.IO, Context: f.Context}
	cmd.RunE = func(*cobra.Command, []string) error { return cli.Run(opts, runF, run) }
	AddTargetFlags(f, cmd, &opts.Target)
	cli.AddOutputFlag(cmd, &opts.Output)
	AddJSONAlias(cmd, &opts.Output)
	return cmd
}

// Observe opens the target (see Flags.Open) and reads what the security
// server has.
func (o *Compare) Observe() (*Target, *register.Observed, error) {
	t, err := o.Target.Open(o.IO, false)
	if err != nil {
		return nil, nil, err
	}
	obs, err := register.Observe(o.Context(), t.Client, t.Desired)
	if err != nil {
		return nil, nil, err
	}
	return t, obs, nil
}

// AddJSONAlias keeps --json, the older spelling of --output json, working
// (hidden from help).
func AddJSONAlias(cmd *cobra.Command, output *string) {
	var asJSON bool
	cmd.Flags().BoolVar(&asJSON, "json", false, "same as --output json")
	_ = cmd.Flags().MarkHidden("json")
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if asJSON {
			*output = cli.OutputJSON
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
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

// Plan reads what the security server has and returns the changes that
// make it match the catalog, in the order apply makes them.
func (t *Target) Plan(ctx context.Context) (*register.Plan, error) {
	obs, err := register.Observe(ctx, t.Client, t.Desired)
	if err != nil {
		return nil, err
	}
	return register.MakePlan(t.Desired, obs), nil
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
func (t *Flags) Open(io cli.IOStreams, acceptWarnings bool) (*Target, error) {
	cfg, err := t.f.Config()
	if err != nil {
		return nil, err
	}
	sec := cfg.Catalog
	path, _ := t.f.ConfigPath()
	switch {
	case t.Arg != "":
		sec.Dir = t.Arg
	case t.Dir != "":
		sec.Dir = t.Dir
	case sec.Dir == "":
		return nil, cli.UsageError("%s: catalog.dir is not set; pass the catalog directory as the argument", path)
	case !filepath.IsAbs(sec.Dir):
		sec.Dir = filepath.Join(filepath.Dir(path), sec.Dir)
	}
	if sec.ManagementAPI.URL == "" {
		return nil, cli.UsageError("%s: catalog.managementAPI.url is not set; registration needs the SS Management API", path)
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
			fmt.Fprintf(io.ErrOut, "%s: the catalog has %d error(s); fix them before registering (tunduk catalog validate %[1]s)\n", sec.Dir, len(probs))
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
			configPath, _ := t.f.ConfigPath()
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

// CompleteServices completes the services of the catalog d names (the DIR
// argument is second, so --dir or catalog.dir) as SUBSYSTEM/CODE[/VERSION],
// the reference `catalog openapi|wsdl` take. A catalog that does not load
// offers nothing.
func CompleteServices(d *Dir) cli.CompletionFunc {
	return cli.FirstArg(func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		dir, err := d.Resolve("", "catalog")
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := catalog.Load(dir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, s := range c.Services {
			ref := s.Subsystem + "/" + s.Code
			if s.Version != "" {
				ref += "/" + s.Version
			}
			if strings.HasPrefix(ref, prefix) {
				out = append(out, ref)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// LoadValid loads the catalog in dir for the verbs that generate from it
// (export, openapi, wsdl): a catalog with errors is refused, its problems
// printed to stderr as validate prints them, with exit code 1.
func LoadValid(io cli.IOStreams, dir string) (*catalog.Catalog, error) {
	c, _, err := catalog.LoadValid(dir)
	var ps catalog.Problems
	if err == nil || !errors.As(err, &ps) {
		return c, err
	}
	for _, p := range ps {
		fmt.Fprintln(io.ErrOut, p)
	}
	fmt.Fprintf(io.ErrOut, "%s: the catalog is invalid; fix it first (tunduk catalog validate %[1]s)\n", dir)
	return nil, cli.Invalid()
}

// describers are the verb and the kind of description for each protocol.
var describers = map[catalog.Protocol]struct{ verb, kind string }{
	catalog.SOAP: {"wsdl", "WSDL"},
	catalog.REST: {"openapi", "OpenAPI"},
}

// LoadService is what the describing verbs (wsdl, openapi) start with:
// the valid catalog in dir (see LoadValid) and its service ref (see
// FindService), which must speak proto; a service of the other protocol is
// a usage error naming the verb that describes it.
func LoadService(io cli.IOStreams, dir, ref string, proto catalog.Protocol) (*catalog.Service, error) {
	c, err := LoadValid(io, dir)
	if err != nil {
		return nil, err
	}
	s, err := FindService(c, ref)
	if err != nil {
		return nil, err
	}
	if s.Protocol != proto {
		other := describers[s.Protocol]
		return nil, cli.UsageError("%s is a %s service, described by %s, not %s: tunduk catalog %s %s %s",
			ref, s.Protocol, other.kind, describers[proto].kind, other.verb, ref, dir)
	}
	return s, nil
}
