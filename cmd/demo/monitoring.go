package demo

import (
	"context"
	"crypto/x509"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/internal/stack"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/companion"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
)

// demoSecurityServer names the emulated security server for the
// monitoring metaservices (the emulator answers for any server code).
const demoSecurityServer = "central-server/GOV/70000099/demo-ss"

// startMonitor runs the operational-monitoring collector against the
// emulator every few seconds, so the demo's /metrics shows tunduk_ss_*
// and SLA gauges for its own traffic, and /monitor the page, with the
// demo's own health: its signing certificate and the archive chain of its
// signed log (it has no TSA and no TLS). stop ends it and waits.
func startMonitor(ctx context.Context, dir string, st *stack.Stack, cert *x509.Certificate, reg *prometheus.Registry, log *zap.Logger) (stop func(), err error) {
	m := config.DefaultMonitoring()
	m.Enabled, m.SecurityServer, m.StateFile = true, demoSecurityServer, filepath.Join(dir, "opmon.json")
	m.Interval, m.RecordsToOffset = 5*time.Second, time.Second
	m.SLA = config.MonitoringSLA{Availability: 99, ResponseTime: 2 * time.Second}
	health := &companion.Options{Archives: []companion.ArchiveRoot{{Name: "messageLog", Dir: archiveDir(dir)}}, Interval: 10 * time.Second,
		KeyCerts: func() []certs.KeyCert { return []certs.KeyCert{{Key: "demo", Certificate: cert}} }}
	mon, err := stack.BuildMonitor(stack.MonitorOptions{Monitoring: m, Health: health, SS: st.SecurityServer(), Registry: reg, Logger: log})
	if err != nil {
		return nil, err
	}
	st.HandleOps("GET /monitor", mon.Page)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = mon.Run(ctx) }()
	return func() { cancel(); <-done }, nil
}
