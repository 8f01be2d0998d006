package stack

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/page"
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
	SS             *ssclient.Client
	Registry       prometheus.Registerer
	Logger         *zap.Logger
}

// Monitor is the assembled local monitoring centre: run Collector.Run,
// serve Page at /monitor.
type Monitor struct {
	Collector *opmon.Collector
	Page      http.Handler
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
	if o.NoticesJournal != "" {
		po.Notices = notice.Journal{Path: rel(o.NoticesJournal)}.List
	}
	return &Monitor{Collector: c, Page: page.Handler(po)}, nil
}
