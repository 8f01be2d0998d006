package demo

import (
	"context"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/internal/stack"
)

// demoSecurityServer names the emulated security server for the
// monitoring metaservices (the emulator answers for any server code).
const demoSecurityServer = "central-server/GOV/70000099/demo-ss"

// startMonitor runs the operational-monitoring collector against the
// emulator every few seconds, so the demo's /metrics shows tunduk_ss_*
// and SLA gauges for its own traffic, and /monitor the page. stop ends it and waits.
func startMonitor(ctx context.Context, dir string, st *stack.Stack, reg *prometheus.Registry, log *zap.Logger) (stop func(), err error) {
	m := config.DefaultMonitoring()
	m.Enabled, m.SecurityServer, m.StateFile = true, demoSecurityServer, filepath.Join(dir, "opmon.json")
	m.Interval, m.RecordsToOffset = 5*time.Second, time.Second
	m.SLA = config.MonitoringSLA{Availability: 99, ResponseTime: 2 * time.Second}
	mon, err := stack.BuildMonitor(stack.MonitorOptions{Monitoring: m, SS: st.SecurityServer(), Registry: reg, Logger: log})
	if err != nil {
		return nil, err
	}
	st.HandleOps("GET /monitor", mon.Page)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = mon.Collector.Run(ctx) }()
	return func() { cancel(); <-done }, nil
}
