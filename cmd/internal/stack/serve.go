package stack

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/tunduk-kg/tunduk/adapter/gateway"
	"github.com/tunduk-kg/tunduk/adapter/journal"
	"github.com/tunduk-kg/tunduk/cmd/config"
)

// ServeOptions are what Serve runs from.
type ServeOptions struct {
	// Config is the whole configuration; BaseDir resolves its relative paths.
	Config  *config.Config
	BaseDir string
	// Gateway and Provider record the exchanges of each side (nil: the
	// JSON-lines journals of the configuration).
	Gateway, Provider journal.Recorder
	// Evidence says where exchanges are kept, for the start-up line.
	Evidence string
	Registry *prometheus.Registry
	Logger   *zap.Logger
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
		Recorder: o.Gateway, Registry: reg, Logger: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer st.Close()
	comp, err := BuildCompanions(CompanionOptions{Provider: cfg.Provider, Catalog: cfg.Catalog, BaseDir: o.BaseDir,
		Recorder: o.Provider, Logger: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer comp.Close()
	var mon *Monitor
	if cfg.Monitoring.Enabled {
		if mon, err = BuildMonitor(MonitorOptions{Monitoring: cfg.Monitoring, CatalogDir: cfg.Catalog.Dir, BaseDir: o.BaseDir,
			NoticesJournal: cfg.Notices.Journal, SS: st.ss, Registry: reg, Logger: log}); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		st.HandleOps("GET /monitor", mon.Page)
	}
	log.Info("tunduk gateway starting", zap.String("securityServer", cfg.SecurityServer.URL), zap.Strings("checks", st.Runner.Checks()),
		zap.String("evidence", o.Evidence), zap.Bool("provider", comp.Provider != nil), zap.Bool("catalog", comp.Catalog != nil))
	sopts := st.ServerOptions(cfg.Gateway, log)
	sopts.Handler = comp.Public(sopts.Handler)
	if sopts.OpsListen != "" {
		sopts.Ops = comp.Internal(sopts.Ops)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return gateway.Serve(gctx, sopts) })
	if mon != nil {
		g.Go(func() error { return mon.Collector.Run(gctx) })
	}
	if comp.Provider != nil {
		g.Go(func() error { return comp.ServeProvider(gctx, cfg.Gateway.ShutdownTimeout, log, nil) })
	}
	return g.Wait()
}
