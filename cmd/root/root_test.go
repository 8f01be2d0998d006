package root

import (
	"github.com/spf13/cobra"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func run(args ...string) (cli.ExitCode, string) {
	f, _ := clitest.New()
	r := clitest.Run(f, NewCmdRoot(f), args...)
	return r.Code, r.String()
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"no-such-noun"},
		{"archive", "no-such-verb"},
		{"--no-such-flag"},
		{"soap", "inspect", "a", "b", "c"}, // too many arguments
	} {
		if code, out := run(args...); code != cli.ExitUsage {
			t.Errorf("tunduk %s: exit %d, want %d (%s)", strings.Join(args, " "), code, cli.ExitUsage, out)
		}
	}
}

func TestEveryNounIsRegistered(t *testing.T) {
	cmd := NewCmdRoot(cli.New(cli.System()))
	have := map[string]bool{}
	for _, c := range cmd.Commands() {
		have[c.Name()] = true
	}
	for _, noun := range []string{"soap", "meta", "call", "serve", "demo", "archive", "catalog", "keys"} {
		if !have[noun] {
			t.Errorf("tunduk %s is not registered", noun)
		}
	}
}

// Every command with --output says in its help what the JSON holds, and
// every --role, --purpose and --key flag (archive roles, key names) has
// completion.
func TestOutputDocumentedAndCompletion(t *testing.T) {
	root := NewCmdRoot(cli.New(cli.System()))
	var walk func(c *cobra.Command)
	outputs := 0
	walk = func(c *cobra.Command) {
		if fl := c.Flags().Lookup("output"); fl != nil && c.Name() != "completion" {
			outputs++
			if !strings.Contains(c.Long, "--output json") {
				t.Errorf("%s: --output but its help does not describe the JSON", c.CommandPath())
			}
		}
		for _, name := range []string{"role", "purpose"} {
			if c.Flags().Lookup(name) != nil && c.Parent() != nil && c.Parent().Name() == "archive" {
				if _, ok := c.GetFlagCompletionFunc(name); !ok {
					t.Errorf("%s --%s has no completion", c.CommandPath(), name)
				}
			}
		}
		if c.Parent() != nil && c.Parent().Name() == "keys" && c.Flags().Lookup("key") != nil {
			if _, ok := c.GetFlagCompletionFunc("key"); !ok {
				t.Errorf("%s --key has no completion", c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if outputs < 12 {
		t.Errorf("only %d commands take --output", outputs)
	}
}
