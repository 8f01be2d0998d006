package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/config"
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

// CompleteServiceCodes completes service codes: those the portal checks are
// mapped to (gateway mappings) and those the provider serves.
func (f *Factory) CompleteServiceCodes(codes func(*config.Config) []string) CompletionFunc {
	return f.complete(codes)
}

// Complete registers completion for a flag; a flag that does not exist is
// a programming error caught by the command tests.
func Complete(cmd *cobra.Command, flag string, fn CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, fn); err != nil {
		panic(err)
	}
}
