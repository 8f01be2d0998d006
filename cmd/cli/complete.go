package cli

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
)

// CompletionFunc is what cobra calls to complete an argument or a flag.
type CompletionFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

// complete returns a completion function offering the names list gives
// for the configuration in effect (--config, $TUNDUK_CONFIG, the default).
// A configuration that cannot be read offers nothing rather than an error:
// completion must never print into the operator's shell line.
func (f *Factory) complete(list func(*config.Config) []string) CompletionFunc {
	return func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := f.OptionalConfig()
		if err != nil || cfg == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, s := range list(cfg) {
			if strings.HasPrefix(s, prefix) {
				out = append(out, s)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteKeyNames completes the key names of the keys section.
func (f *Factory) CompleteKeyNames() CompletionFunc {
	return f.complete(func(c *config.Config) []string { return c.Keys.Names() })
}

// CompleteRoles completes the archive access roles
// (messageLog.access.roles).
func (f *Factory) CompleteRoles() CompletionFunc {
	return f.complete(func(c *config.Config) []string {
		var out []string
		for _, r := range c.MessageLog.Access.Roles {
			out = append(out, r.Name)
		}
		return out
	})
}

// CompletePurposes completes the purposes of the role already given with
// --role (all roles' purposes when none is).
func (f *Factory) CompletePurposes(role *string) CompletionFunc {
	return f.complete(func(c *config.Config) []string {
		var out []string
		for _, r := range c.MessageLog.Access.Roles {
			if *role == "" || r.Name == *role {
				out = append(out, r.Purposes...)
			}
		}
		return out
	})
}

// CompleteServiceIDs completes X-Road service identifiers
// (INSTANCE/CLASS/MEMBER/SUBSYSTEM/CODE/VERSION) the configuration knows:
// the services the gateway's mappings call and the services the provider
// offers.
func (f *Factory) CompleteServiceIDs() CompletionFunc {
	return f.complete(func(c *config.Config) []string {
		var out []string
		rel := func(p string) string {
			if p == "" || filepath.IsAbs(p) {
				return p
			}
			return filepath.Join(f.ConfigDir(), p)
		}
		var ms []*mapping.Mapping
		if c.Gateway.MappingsDir != "" {
			ms, _ = mapping.LoadDir(rel(c.Gateway.MappingsDir))
		} else if len(c.Gateway.Mappings) > 0 {
			files := make([]string, len(c.Gateway.Mappings))
			for i, m := range c.Gateway.Mappings {
				files[i] = rel(m)
			}
			ms, _ = mapping.LoadFiles(files)
		}
		for _, m := range ms {
			out = append(out, m.Service.String())
		}
		if c.Provider.ID != "" {
			for _, s := range c.Provider.Services {
				id := c.Provider.ID + "/" + s.Code
				if s.Version != "" {
					id += "/" + s.Version
				}
				out = append(out, id)
			}
		}
		sort.Strings(out)
		return slices.Compact(out)
	})
}

// Complete registers completion for a flag; a flag that does not exist is
// a programming error caught by the command tests.
func Complete(cmd *cobra.Command, flag string, fn CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, fn); err != nil {
		panic(err)
	}
}

// FirstArg limits a completion to the first positional argument.
func FirstArg(fn CompletionFunc) CompletionFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, prefix)
	}
}
