package stack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/companion"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/page"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/soap"
)

// MonitorOptions are what BuildMonitor assembles the collector from.
type MonitorOptions struct {
	Monitoring config.Monitoring
	// CatalogDir, when it holds a catalog, supplies the SLA of the services
	// it declares (they win over monitoring.sla and monitoring.services).
	CatalogDir string
	BaseDir    string
	// NoticesJournal, when set, is shown on the page (recent notices).
	NoticesJournal string
	// Health, when set, watches tunduk's own health (HealthOptions builds
	// it from the configuration): certificates, archives, TSAs.
	Health   *companion.Options
	SS       *ssclient.Client
	Registry prometheus.Registerer
	Logger   *zap.Logger
}

// Monitor is the assembled local monitoring centre: run Collector.Run,
// serve Page at /monitor.
type Monitor struct {
	Collector *opmon.Collector
	Health    *companion.Health // nil without MonitorOptions.Health
	Page      http.Handler
}

// Run collects and refreshes the companion's health until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	if m.Health == nil {
		return m.Collector.Run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Health.Run(ctx) }()
	err := m.Collector.Run(ctx)
	cancel()
	<-done
	return err
}

// HealthOptions are the companion health checks of the configuration: the
// signed log's archives (when it is on) and collect's target, the
// messageLog TSA, the gateway's, provider's and security-server client's
// TLS certificates, and the keys' certificates.
func HealthOptions(cfg *config.Config, baseDir string, log *zap.Logger) (*companion.Options, error) {
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(baseDir, p)
	}
	o := &companion.Options{}
	ml := cfg.MessageLog
	if ml.SigningKey != "" && ml.ArchiveDir != "" {
		o.Archives = append(o.Archives, companion.ArchiveRoot{Name: "messageLog", Dir: rel(ml.ArchiveDir)})
	}
	if d := ml.Collect.TargetDir; d != "" {
		o.Archives = append(o.Archives, companion.ArchiveRoot{Name: "collect", Dir: rel(d)})
	}
	if ml.TSAURL != "" {
		ml.TSACertificate = rel(ml.TSACertificate)
		client, err := ml.TSAClient(log.Named("tsa"))
		if err != nil {
			return nil, err
		}
		name := ml.TSAURL
		if u, err := url.Parse(ml.TSAURL); err == nil {
			name = u.Redacted()
		}
		o.TSAs = append(o.TSAs, companion.TSA{Name: name, Stamp: client.Timestamp})
	}
	for _, c := range []companion.Cert{{Use: "gateway", File: cfg.Gateway.TLS.CertFile}, {Use: "provider", File: cfg.Provider.TLS.CertFile},
		{Use: "securityServerClient", File: cfg.SecurityServer.TLS.CertFile}} {
		if c.File != "" {
			c.File = rel(c.File)
			o.Certs = append(o.Certs, c)
		}
	}
	keys := cfg.Keys
	o.KeyCerts = func() []certs.KeyCert {
		var out []certs.KeyCert
		for _, name := range keys.Names() {
			if f := keys[name].Certificate; f != "" {
				if b, err := os.ReadFile(rel(f)); err == nil {
					if cs, err := certs.ParseCertificates(b); err == nil && len(cs) > 0 {
						out = append(out, certs.KeyCert{Key: name, Certificate: cs[0]})
					}
				}
			}
		}
		return out
	}
	return o, nil
}

// BuildMonitor wires the operational-monitoring collector with its
// Prometheus metrics, SLA tracker and fault history (package internal/adapter/opmon)
// and the /monitor page.
func BuildMonitor(o MonitorOptions) (*Monitor, error) {
	m := o.Monitoring
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(o.BaseDir, p)
	}
	server, err := soap.ParseSecurityServerID(m.SecurityServer)
	if err != nil {
		return nil, fmt.Errorf("monitoring.securityServer: %w", err)
	}
	objectives := map[string]opmon.Objective{}
	for id, s := range m.Services {
		objectives[id] = s.Objective()
	}
	if dir := rel(o.CatalogDir); dir != "" {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			cat, _, err := catalog.LoadValid(dir)
			if err != nil {
				return nil, fmt.Errorf("monitoring: catalog %s: %w", dir, err)
			}
			for _, s := range cat.Services {
				if s.SLA.Availability > 0 || s.SLA.ResponseTime.Duration > 0 {
					objectives[s.ID(cat.Organisation)] = config.MonitoringSLA{Availability: s.SLA.Availability,
						ResponseTime: s.SLA.ResponseTime.Duration, MinRequests: m.SLA.MinRequests}.Objective()
				}
			}
		}
	}
	log := o.Logger.Named("opmon")
	metrics, err := opmon.NewMetrics(opmon.MetricsOptions{Registerer: o.Registry, Labels: m.Labels, MaxValues: m.MaxLabelValues})
	if err != nil {
		return nil, err
	}
	sla, err := opmon.NewSLA(opmon.SLAOptions{Windows: m.Windows, Default: m.SLA.Objective(), Services: objectives, Registerer: o.Registry, Logger: log})
	if err != nil {
		return nil, err
	}
	state := rel(m.StateFile)
	if err := os.MkdirAll(filepath.Dir(state), 0o750); err != nil {
		return nil, fmt.Errorf("monitoring.stateFile directory: %w", err)
	}
	faults := opmon.NewFaultHistory(0, 0, 0)
	c, err := opmon.New(opmon.Options{Querier: &opmon.Querier{SS: o.SS, Server: server}, StateFile: state, Interval: m.Interval,
		RecordsToOffset: m.RecordsToOffset, Lookback: m.Lookback, Observers: []opmon.Observer{metrics, sla, faults}, Logger: log,
		OnRound: metrics.ObserveRound})
	if err != nil {
		return nil, err
	}
	po := page.Options{SLA: sla, Faults: faults, Position: c.Position}
	var health *companion.Health
	if o.Health != nil {
		ho := *o.Health
		ho.Registerer, ho.Logger = o.Registry, o.Logger.Named("companion")
		if health, err = companion.New(ho); err != nil {
			return nil, err
		}
		po.Companion = health.Snapshot
	}
	if o.NoticesJournal != "" {
		po.Notices = notice.Journal{Path: rel(o.NoticesJournal)}.List
	}
	return &Monitor{Collector: c, Health: health, Page: page.Handler(po)}, nil
}
