package catalogflags

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// Dir is where a catalog verb finds the catalog: the DIR argument, else the
// older --dir flag, else catalog.dir of the configuration (the Factory's
// lookup rule: --config, $TUNDUK_CONFIG, /etc/tunduk/tunduk.yaml). Nothing
// is assumed when none of them names one: in particular not
// configs/catalog, which exists only in a checkout.
type Dir struct {
	// Flag is the value of --dir (hidden, kept for scripts).
	Flag string
	f    *cli.Factory
}

// AddDirFlags registers --config and the hidden --dir on cmd.
func AddDirFlags(f *cli.Factory, cmd *cobra.Command, d *Dir) {
	d.f = f
	f.AddConfigFlag(cmd.Flags())
	cmd.Flags().StringVar(&d.Flag, "dir", "", "catalog directory (same as the DIR argument)")
	_ = cmd.Flags().MarkHidden("dir")
}

// Resolve returns the catalog directory: arg (the positional DIR, may be
// empty), then --dir, then catalog.dir of the configuration, relative to
// the configuration file's directory as serve reads it. verb is the whole
// command (e.g. "catalog validate") for the message naming what to pass.
func (d *Dir) Resolve(arg, verb string) (string, error) {
	switch {
	case arg != "" && d.Flag != "" && arg != d.Flag:
		return "", cli.UsageError("the catalog directory is given twice (%s and --dir %s); pass it once, as an argument", arg, d.Flag)
	case arg != "":
		return arg, nil
	case d.Flag != "":
		return d.Flag, nil
	}
	return ConfigDir(d.f, verb)
}

// ResolveArg is Resolve with arg the optional DIR argument args[i] (none
// when args is shorter), storing the directory in *path.
func (d *Dir) ResolveArg(path *string, args []string, i int, verb string) error {
	var arg string
	if i < len(args) {
		arg = args[i]
	}
	dir, err := d.Resolve(arg, verb)
	*path = dir
	return err
}

// ConfigDir is catalog.dir of the configuration, resolved against the
// configuration file's directory. Without a configuration (none named, and
// none at the default path) or without catalog.dir it is a usage error
// that says what to pass.
func ConfigDir(f *cli.Factory, verb string) (string, error) {
	hint := fmt.Sprintf("pass the catalog directory (tunduk %s DIR, e.g. tunduk %[1]s configs/catalog in a checkout)", verb)
	cfg, err := f.OptionalConfig()
	if err != nil {
		return "", err
	}
	path, _ := f.ConfigPath()
	if cfg == nil {
		return "", cli.UsageError("no catalog directory: %s, or set catalog.dir in a configuration file (--config FILE, $%s or %s, which does not exist)",
			hint, cli.ConfigEnv, path)
	}
	if cfg.Catalog.Dir == "" {
		return "", cli.UsageError("no catalog directory: %s: catalog.dir is not set; %s", path, hint)
	}
	dir := cfg.Catalog.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(path), dir)
	}
	return dir, nil
}

// FindService resolves ref in c. Unlike catalog.FindService's bare "no
// service", an unknown reference is a usage error listing the services
// the catalog has, in the form the verbs take them.
func FindService(c *catalog.Catalog, ref string) (*catalog.Service, error) {
	s, err := c.FindService(ref)
	if err == nil {
		return s, nil
	}
	var nf *catalog.NotFoundError
	if !errors.As(err, &nf) || len(nf.Matches) > 1 {
		return nil, cli.UsageError("%v", err)
	}
	known := ServiceRefs(c)
	if len(known) == 0 {
		return nil, cli.UsageError("no service %q: the catalog in %s has no services", ref, c.Dir)
	}
	return nil, cli.UsageError("no service %q in the catalog %s; its services are:\n  %s", ref, c.Dir, strings.Join(known, "\n  "))
}

// ServiceRefs lists the catalog's services as SUBSYSTEM/CODE/VERSION
// (protocol), sorted.
func ServiceRefs(c *catalog.Catalog) []string {
	var out []string
	for _, s := range c.Services {
		ref := s.Subsystem + "/" + s.Code
		if s.Version != "" {
			ref += "/" + s.Version
		}
		out = append(out, fmt.Sprintf("%s (%s)", ref, s.Protocol))
	}
	sort.Strings(out)
	return out
}
