package stack

import (
	"fmt"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
)

// Reload builds a new gateway from g's mappings and callers (API keys
// re-read from their files) on the stack's security-server connection,
// journal and metrics, and returns it; the caller swaps it in (serve does
// so on SIGHUP through sdnotify.Swappable), so in-flight checks finish on
// the gateway they started on. On any error nothing changes. Other
// sections (listen addresses, TLS, the security server) need a restart.
func (s *Stack) Reload(g config.Gateway) (*gateway.Gateway, error) {
	o := s.build
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(o.BaseDir, p)
	}
	var ms []*mapping.Mapping
	var err error
	switch {
	case o.Mappings != nil:
		ms = o.Mappings
	case g.MappingsDir != "":
		ms, err = mapping.LoadDir(rel(g.MappingsDir))
	default:
		paths := make([]string, len(g.Mappings))
		for i, p := range g.Mappings {
			paths[i] = rel(p)
		}
		ms, err = mapping.LoadFiles(paths)
	}
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	callers, err := loadCallers(g.Callers, rel)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = zap.NewNop()
	}
	runner, err := adapter.NewRunner(adapter.RunnerOptions{Mappings: ms, Transport: s.ss, Journal: s.rec, Client: s.client,
		UserIDPrefix: o.SecurityServer.UserIDPrefix, SecurityServerURL: o.SecurityServer.URL, Metrics: s.metrics, Logger: log.Named("runner")})
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	gopts := gateway.Options{Checker: runner, Callers: callers, MaxInFlight: g.MaxInFlight, MaxBodyBytes: g.MaxBodyBytes,
		MaxSuppliers: g.MaxSuppliers, TenderConcurrency: g.TenderConcurrency, IdempotencyWindow: g.IdempotencyWindow,
		Metrics: s.metrics, Logger: log.Named("gateway")}
	if g.OpsListen == "" {
		gopts.Ops = s.Ops
	}
	gw, err := gateway.New(gopts)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	log.Info("configuration reloaded", zap.Strings("checks", runner.Checks()), zap.Int("callers", len(callers)))
	return gw, nil
}
