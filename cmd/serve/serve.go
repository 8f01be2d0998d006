// Package serve is `tunduk serve`: the supplier-check gateway for the
// procurement portal, run against the participant's real security server
// as configured in the YAML file (securityServer and gateway sections).
package serve

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/internal/stack"
	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
	"github.com/tunduk-kg/tunduk/internal/secretfile"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// ServeOptions are the flags of tunduk serve.
type ServeOptions struct {
	IO cli.IOStreams
	// Context (SIGINT/SIGTERM), the configuration and the signed message
	// log come from the Factory.
	Context    func() context.Context
	Config     func() (*config.Config, error)
	ConfigPath func() (string, bool)
	MessageLog func(context.Context, prometheus.Registerer, *zap.Logger) (*msglog.Log, func() error, error)
	// Evidence is the receipts of the log MessageLog opened.
	Evidence func() *evidence.Log
	// Check reports every problem of the configuration (tunduk config
	// check) and exits instead of serving.
	Check bool
}

// NewCmdServe is the root's noun entry.
func NewCmdServe(f *cli.Factory) *cobra.Command { return NewCmdServeWith(f, nil) }

// NewCmdServeWith takes runF for tests (nil runs for real).
func NewCmdServeWith(f *cli.Factory, runF func(*ServeOptions) error) *cobra.Command {
	o := newServeOptions(f)
	cmd := &cobra.Command{
		Use:   "serve [--config FILE]",
		Short: "Run the supplier-check gateway against the security server",
		Long: `Run the procurement portal's supplier-check gateway: the portal API
(/v1/suppliers/{inn}/…, /v1/supplier-checks, /openapi.json) translated into
Tunduk X-Road requests through the security server in the configuration,
with /metrics, /healthz and /readyz. SIGINT/SIGTERM shut it down gracefully:
in-flight checks finish and are journalled. The configuration is --config,
else $TUNDUK_CONFIG, else /etc/tunduk/tunduk.yaml.`,
		Example: "  tunduk serve --config /etc/tunduk/tunduk.yaml",
		Args:    cli.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(o)
			}
			return serveRun(o.Context(), o)
		},
	}
	f.AddConfigFlag(cmd.Flags())
	cmd.Flags().BoolVar(&o.Check, "check", false, "report every problem of the configuration and the files it names, then exit (tunduk config check)")
	return cmd
}

func newServeOptions(f *cli.Factory) *ServeOptions {
	return &ServeOptions{IO: f.IO, Context: f.Context, Config: f.Config, ConfigPath: f.ConfigPath, MessageLog: f.MessageLog, Evidence: f.Evidence}
}

func serveRun(ctx context.Context, o *ServeOptions) error {
	path, _ := o.ConfigPath()
	if done, err := checkConfig(ctx, o, path); done {
		return err
	}
	cfg, err := o.Config()
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	if !cfg.Gateway.Configured() {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: path + ": no gateway section (callers and mappingsDir); see configs/tunduk.yaml"}
	}
	log, err := observe.NewLogger(observe.LogOptions{Level: cfg.Log.Level, Format: cfg.Log.Format, Out: o.IO.ErrOut})
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // stderr
	reg := prometheus.NewRegistry()
	signed, closeLog, err := o.MessageLog(ctx, reg, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if signed == nil {
		return &cli.ExitError{Code: cli.ExitInvalid, Msg: path + ": messageLog.signingKey is empty; the gateway records every exchange in the signed message log (see configs/tunduk.yaml)"}
	}
	defer closeLog()
	return stack.Serve(ctx, stack.ServeOptions{Config: cfg, BaseDir: filepath.Dir(path), Log: signed, Receipts: stack.Receipts(o.Evidence()),
		Registry: reg, Logger: log, Reload: func() (*config.Config, error) { return config.Load(path) }})
}

// checkConfig runs the same checks as tunduk config check, reporting every
// problem at once instead of one per restart; done says serve stops here
// (problems found, or --check), with err its exit.
func checkConfig(ctx context.Context, o *ServeOptions, path string) (done bool, err error) {
	co := config.CheckOptions{Account: secretfile.Current()} // the account serving
	if o.Check {
		// Like tunduk config check: for the tunduk user, keys opened.
		co = config.CheckOptions{OpenKeys: true}
	}
	rep := config.Check(ctx, path, co)
	if !o.Check && rep.OK() {
		return false, nil
	}
	rep.Fprint(o.IO.ErrOut)
	if !rep.OK() {
		return true, &cli.ExitError{Code: cli.ExitInvalid, Msg: fmt.Sprintf("%s: %d problems; tunduk does not start until they are fixed", path, len(rep.Errors))}
	}
	return true, nil
}
