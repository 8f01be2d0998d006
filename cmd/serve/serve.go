// Package serve is `tunduk serve`: the supplier-check gateway for the
// procurement portal, run against the participant's real security server
// as configured in the YAML file (securityServer and gateway sections).
package serve

import (
	"context"
	"fmt"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/tunduk-kg/tunduk/adapter/gateway"
	"github.com/tunduk-kg/tunduk/adapter/journal"
	"github.com/tunduk-kg/tunduk/adapter/observe"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/secretfile"
	"github.com/tunduk-kg/tunduk/signing/msglog/recorder"
)

// ServeOptions are the flags of tunduk serve.
type ServeOptions struct {
	IO         cli.IOStreams
	ConfigPath string
	Check      bool // check the configuration like tunduk config check, and exit
}

// NewCmdServe is the root's noun entry.
func NewCmdServe(f *cli.Factory) *cobra.Command { return NewCmdServeWith(f, nil) }

// NewCmdServeWith takes runF for tests (nil runs for real).
func NewCmdServeWith(f *cli.Factory, runF func(*ServeOptions) error) *cobra.Command {
	o := &ServeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Run the supplier-check gateway against the security server",
		Long: `Run the procurement portal's supplier-check gateway: the portal API
(/v1/suppliers/{inn}/…, /v1/supplier-checks, /openapi.json) translated into
Tunduk X-Road requests through the security server in the configuration,
with /metrics, /healthz and /readyz. SIGINT/SIGTERM shut it down gracefully:
in-flight checks finish and are journalled.`,
		Example: "  tunduk serve --config /etc/tunduk/tunduk.yaml",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if o.ConfigPath == "" {
				return cli.UsageError("--config is required")
			}
			if runF != nil {
				return runF(o)
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return serveRun(ctx, o)
		},
	}
	cmd.Flags().StringVarP(&o.ConfigPath, "config", "c", "", "configuration file (YAML)")
	cmd.Flags().BoolVar(&o.Check, "check", false, "report every problem of the configuration and the files it names, then exit (tunduk config check)")
	return cmd
}

func serveRun(ctx context.Context, o *ServeOptions) error {
	// The same checks as tunduk config check, all reported at once.
	rep := config.Check(ctx, o.ConfigPath, config.CheckOptions{Account: secretfile.Current(), OpenKeys: o.Check})
	if o.Check || !rep.OK() {
		rep.Fprint(o.IO.ErrOut)
		if !rep.OK() {
			return &cli.ExitError{Code: cli.ExitInvalid, Msg: fmt.Sprintf("%s: %d problems; tunduk does not start until they are fixed", o.ConfigPath, len(rep.Errors))}
		}
		return nil
	}
	cfg := rep.Config
	if !cfg.Gateway.Configured() {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: o.ConfigPath + ": no gateway section (callers and mappingsDir); see configs/tunduk.yaml"}
	}
	log, err := observe.NewLogger(observe.LogOptions{Level: cfg.Log.Level, Format: cfg.Log.Format, Out: o.IO.ErrOut})
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // stderr
	reg := prometheus.NewRegistry()
	signed, err := OpenSignedLog(ctx, cfg, reg, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var gwRec, provRec journal.Recorder
	evidence := "journal " + cfg.Gateway.Journal
	if signed != nil {
		defer signed.Close()
		gwRec = &recorder.Recorder{Log: signed.Log, Member: cfg.SecurityServer.Client, Direction: "consumer"}
		provRec = &recorder.Recorder{Log: signed.Log, Member: cfg.Provider.ID, Direction: "provider"}
		evidence = "signed message log " + cfg.MessageLog.Dir
	}
	st, err := Build(BuildOptions{SecurityServer: cfg.SecurityServer, Gateway: cfg.Gateway, BaseDir: filepath.Dir(o.ConfigPath),
		Recorder: gwRec, Registry: reg, Logger: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer st.Close()
	comp, err := BuildCompanions(CompanionOptions{Provider: cfg.Provider, Catalog: cfg.Catalog, BaseDir: filepath.Dir(o.ConfigPath),
		Recorder: provRec, Logger: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer comp.Close()
	log.Info("tunduk gateway starting", zap.String("securityServer", cfg.SecurityServer.URL), zap.Strings("checks", st.Runner.Checks()),
		zap.String("evidence", evidence), zap.Bool("provider", comp.Provider != nil), zap.Bool("catalog", comp.Catalog != nil))
	sopts := st.ServerOptions(cfg.Gateway, log)
	sopts.Handler = comp.Public(sopts.Handler)
	if sopts.OpsListen != "" {
		sopts.Ops = comp.Internal(sopts.Ops)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return gateway.Serve(gctx, sopts) })
	if comp.Provider != nil {
		g.Go(func() error { return comp.ServeProvider(gctx, cfg.Gateway.ShutdownTimeout, log, nil) })
	}
	return g.Wait()
}
