// Package root assembles the tunduk command tree.
package root

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// Version is set at build time with -ldflags "-X github.com/tunduk-kg/tunduk/cmd/root.Version=…".
var Version = "dev"

// NewCmdRoot returns the root command with every noun attached.
func NewCmdRoot(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tunduk",
		Short: "Tunduk (X-Road) adapter and security-server companion",
		Long: `tunduk translates the procurement portal's supplier checks into Tunduk X-Road
services, serves a participant's backend as a Tunduk provider, keeps signed and
verifiable exchange logs, and registers services on the security server.`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return cli.UsageError("%v", err)
	})
	for _, sub := range commands {
		cmd.AddCommand(sub(f))
	}
	usageOnBadArgs(cmd)
	return cmd
}

// usageOnBadArgs makes every command's argument errors, and unknown nouns
// and verbs, exit with ExitUsage as flag errors do.
func usageOnBadArgs(c *cobra.Command) {
	if !c.Runnable() && c.HasSubCommands() {
		// A noun group: an unknown verb is a usage error, no verb shows help.
		c.Args = cobra.NoArgs
		c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return cli.UsageError("%v", err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageOnBadArgs(sub)
	}
}

// commands lists the top-level nouns; see commands.go.
var commands []func(*cli.Factory) *cobra.Command

// Main runs the CLI with the process's streams and returns the exit code.
func Main(args []string) cli.ExitCode {
	f := cli.New(cli.System())
	defer f.Stop()
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err != nil {
		var ee *cli.ExitError
		if !errors.As(err, &ee) || ee.Msg != "" {
			fmt.Fprintln(f.IO.ErrOut, "tunduk:", err)
		}
		if cli.CodeOf(err) == cli.ExitUsage {
			fmt.Fprintln(f.IO.ErrOut, "Run 'tunduk --help' for usage.")
		}
	}
	return cli.CodeOf(err)
}
