package root

import (
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
