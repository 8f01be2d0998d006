// Package check is `tunduk config check`: every problem of a configuration
// and of what it refers to, in one pass, without starting the daemon. The
// checks themselves are config.Check; this command prints them.
package check

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/secretfile"
)

// CheckOptions are the verb's inputs.
type CheckOptions struct {
	IO         cli.IOStreams
	Context    func() context.Context
	ConfigPath func() (string, bool)
	User       string // the service user whose access is checked
	SkipKeys   bool
}

// NewCmdConfig returns the `config` noun with its check verb.
func NewCmdConfig(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config <command>",
		Short: "Check tunduk's configuration",
	}
	cmd.AddCommand(NewCmdCheck(f, nil))
	return cmd
}

// NewCmdCheck returns the check verb; runF nil runs it for real.
func NewCmdCheck(f *cli.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, Context: f.Context, ConfigPath: f.ConfigPath}
	cmd := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "Report every problem of the configuration and the files it names",
		Long: `Check the configuration file and everything it refers to, in one pass:
YAML syntax, unknown keys (with "did you mean"), values of the wrong type,
every referenced file (exists, readable by the service user; API keys, TLS
keys, key files and PINs under the one rule for secrets: mode 0600 or 0640,
owned by the service user or by root with its group), certificates (parse,
validity, key matches), the check mappings, the catalog and the keys on
their token (with their PIN; --skip-keys leaves the token alone).

Each problem is printed as FILE:LINE: path: what is wrong; what to do.
Exits 0 when there is no error (warnings allowed), 1 otherwise. tunduk serve
runs the same checks at start.`,
		Example: "  tunduk config check --config /etc/tunduk/tunduk.yaml",
		Args:    cli.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return checkRun(opts.Context(), opts)
		},
	}
	f.AddConfigFlag(cmd.Flags())
	cmd.Flags().StringVar(&opts.User, "user", "", "the service user whose access is checked (default "+secretfile.ServiceName+" when it exists, else you)")
	cmd.Flags().BoolVar(&opts.SkipKeys, "skip-keys", false, "do not open the keys on their token or files")
	return cmd
}

func checkRun(ctx context.Context, o *CheckOptions) error {
	co := config.CheckOptions{OpenKeys: !o.SkipKeys}
	if o.User != "" {
		a, err := secretfile.Lookup(o.User, "")
		if err != nil {
			return cli.UsageError("--user: %v", err)
		}
		co.Account = a
	}
	path, _ := o.ConfigPath()
	r := config.Check(ctx, path, co)
	return Print(o.IO, path, r)
}

// Print writes a report's problems, errors then warnings, and a summary;
// it returns cli.Invalid() when there are errors.
func Print(io cli.IOStreams, path string, r *config.Report) error {
	r.Fprint(io.Out)
	if !r.OK() {
		fmt.Fprintf(io.ErrOut, "%s: %d errors, %d warnings\n", path, len(r.Errors), len(r.Warnings))
		return cli.Invalid()
	}
	fmt.Fprintf(io.ErrOut, "%s: OK (%d warnings)\n", path, len(r.Warnings))
	return nil
}
