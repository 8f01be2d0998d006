package stack

import (
	"context"
	"fmt"
	"net"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder"
	"github.com/tunduk-kg/tunduk/internal/sdnotify"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// ServeOptions are what Serve runs from.
type ServeOptions struct {
	// Config is the whole configuration; BaseDir resolves its relative paths.
	Config  *config.Config
	BaseDir string
	// Log is the signed message log: the exchanges of both sides are
	// recorded in it (the gateway's as consumer, the provider's as
	// provider).
	Log *msglog.Log
	// Receipts, when set, gives results their receipts (see BuildOptions).
	Receipts adapter.Receipts
	Registry *prometheus.Registry
	Logger   *zap.Logger
	// Reload, when set, re-reads the configuration on SIGHUP: its callers
	// and mappings replace the running ones without dropping in-flight
	// checks (internal/sdnotify).
	Reload func() (*config.Config, error)
}

// Serve builds the gateway and its companions from the configuration and
// runs them until ctx ends (SIGINT/SIGTERM): in-flight checks finish and
// are journalled before it returns.
func Serve(ctx context.Context, o ServeOptions) error {
	cfg, log := o.Config, o.Logger
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	st, err := Build(BuildOptions{SecurityServer: cfg.SecurityServer, Gateway: cfg.Gateway, BaseDir: o.BaseDir,
		Recorder: &recorder.Recorder{Log: o.Log, Member: cfg.SecurityServer.Client, Direction: "consumer"},
		Receipts: o.Receipts, Registry: reg, Logger: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer st.Close()
	comp, err := BuildCompanions(CompanionOptions{Provider: cfg.Provider, Catalog: cfg.Catalog, BaseDir: o.BaseDir,
		Recorder: &recorder.Recorder{Log: o.Log, Member: cfg.Provider.ID, Direction: "provider"}, Logger: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer comp.Close()
	var mon *Monitor
	if cfg.Monitoring.Enabled {
		health, err := HealthOptions(cfg, o.BaseDir, log)
		if err != nil {
			return fmt.Errorf("serve: monitoring: %w", err)
		}
		if mon, err = BuildMonitor(MonitorOptions{Monitoring: cfg.Monitoring, CatalogDir: cfg.Catalog.Dir, BaseDir: o.BaseDir,
			NoticesJournal: cfg.Notices.Journal, Health: health, SS: st.ss, Registry: reg, Logger: log}); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		st.HandleOps("GET /monitor", mon.Page)
	}
	log.Info("tunduk gateway starting", zap.String("securityServer", cfg.SecurityServer.URL), zap.Strings("checks", st.Runner.Checks()),
		zap.String("evidence", "signed message log "+cfg.MessageLog.Dir), zap.Bool("provider", comp.Provider != nil), zap.Bool("catalog", comp.Catalog != nil))
	sopts := st.ServerOptions(cfg.Gateway, log)
	// systemd: READY=1 once listening, the watchdog, STOPPING=1, SIGHUP.
	sd, api := sdnotify.New(log), sdnotify.NewSwappable(sopts.Handler)
	sopts.Handler = comp.Public(api)
	sopts.OnListening = func(a, _ net.Addr) { sd.Ready("gateway listening on " + a.String()) }
	if sopts.OpsListen != "" {
		sopts.Ops = comp.Internal(sopts.Ops)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return gateway.Serve(gctx, sopts) })
	g.Go(func() error { <-gctx.Done(); sd.Stopping(); return nil })
	g.Go(func() error { return sd.Watchdog(gctx, nil) })
	if o.Reload != nil {
		g.Go(func() error { return sd.HandleReload(gctx, reloadInto(o.Reload, st, api)) })
	}
	if mon != nil {
		g.Go(func() error { return mon.Run(gctx) })
	}
	if comp.Provider != nil {
		g.Go(func() error { return comp.ServeProvider(gctx, cfg.Gateway.ShutdownTimeout, log, nil) })
	}
	return g.Wait()
}

// reloadInto is serve's SIGHUP action: re-read the configuration, build the
// gateway from its callers and mappings, swap it in.
func reloadInto(load func() (*config.Config, error), st *Stack, api *sdnotify.Swappable) func(context.Context) error {
	return func(context.Context) error {
		cfg, err := load()
		if err != nil {
			return err
		}
		gw, err := st.Reload(cfg.Gateway)
		if err != nil {
			return err
		}
		api.Swap(gw)
		return nil
	}
}
