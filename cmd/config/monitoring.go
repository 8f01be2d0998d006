package config

import (
	"slices"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/soap"
)

// Monitoring is the local monitoring centre (package internal/adapter/opmon): tunduk
// reads the security server's operational monitoring through the client
// subsystem of securityServer.client, exports tunduk_ss_* metrics on the
// ops listener and tracks each counterpart service's SLA. Off by default.
//
//	monitoring:
//	  enabled: true
//	  securityServer: central-server/GOV/70000099/ss1   # instance/class/member/serverCode
//	  stateFile: /var/lib/tunduk/opmon-position.json
//	  interval: 1m
//	  windows: [1h, 24h]
//	  sla:                       # default; a service's catalog sla wins
//	    availability: 99.5       # percent
//	    responseTime: 2s         # 95th percentile
//	  services:                  # per counterpart service, by id
//	    central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1:
//	      availability: 99
//	      responseTime: 5s
type Monitoring struct {
	Enabled bool `yaml:"enabled"`
	// SecurityServer is the security server whose data is read, in the
	// slash form instance/class/member/serverCode (as in the SS UI).
	SecurityServer string `yaml:"securityServer"`
	// StateFile keeps the collection position across restarts; relative
	// paths are relative to the configuration file.
	StateFile string `yaml:"stateFile"`
	// Interval between collections.
	Interval time.Duration `yaml:"interval"`
	// RecordsToOffset keeps queries this far behind now (the SS is still
	// writing the latest seconds' records).
	RecordsToOffset time.Duration `yaml:"recordsToOffset"`
	// Lookback is how far back the very first collection starts.
	Lookback time.Duration `yaml:"lookback"`
	// Labels of tunduk_ss_requests_total (subset of security_server_type,
	// client, service, outcome, fault_code) and the distinct values each
	// label may take before the rest count as "other".
	Labels         []string `yaml:"labels"`
	MaxLabelValues int      `yaml:"maxLabelValues"`
	// Windows are the SLA windows.
	Windows []time.Duration `yaml:"windows"`
	// SLA is the default objective; Services override it per service id.
	SLA      MonitoringSLA            `yaml:"sla"`
	Services map[string]MonitoringSLA `yaml:"services"`
}

// MonitoringSLA is an objective in the catalog's terms.
type MonitoringSLA struct {
	// Availability in percent, e.g. 99.5.
	Availability float64 `yaml:"availability"`
	// ResponseTime is the 95th-percentile response time (0: none).
	ResponseTime time.Duration `yaml:"responseTime"`
	// MinRequests a window needs for a verdict.
	MinRequests int `yaml:"minRequests"`
}

// DefaultMonitoring returns the section's defaults: off; every minute,
// one minute behind, one hour of history at first start; 1h and 24h
// windows; 99% availability by default.
func DefaultMonitoring() Monitoring {
	return Monitoring{Interval: time.Minute, RecordsToOffset: time.Minute, Lookback: time.Hour, MaxLabelValues: 100,
		Windows: []time.Duration{time.Hour, 24 * time.Hour}, SLA: MonitoringSLA{Availability: 99}}
}

// Objective is the SLA as internal/adapter/opmon takes it.
func (s MonitoringSLA) Objective() opmon.Objective {
	return opmon.Objective{Availability: s.Availability / 100, Quantile: 0.95, MaxLatency: s.ResponseTime, MinRequests: s.MinRequests}
}

// Validate reports problems in the section.
func (m *Monitoring) Validate(is *Issues) {
	if !m.Enabled {
		return
	}
	if _, err := soap.ParseSecurityServerID(m.SecurityServer); err != nil {
		is.Addf("monitoring.securityServer", "%q: %v; give the security server as instance/class/member/serverCode", m.SecurityServer, err)
	}
	if m.StateFile == "" {
		is.Addf("monitoring.stateFile", "missing; set a file for the collection position, e.g. /var/lib/tunduk/opmon-position.json")
	}
	if m.Interval <= 0 || m.RecordsToOffset <= 0 || m.Lookback <= 0 {
		is.Addf("monitoring", "interval, recordsToOffset and lookback must be positive durations")
	}
	for _, l := range m.Labels {
		if !slices.Contains(opmon.AllLabels, l) {
			is.Addf("monitoring.labels", "unknown label %q; use some of %v", l, opmon.AllLabels)
		}
	}
	for _, w := range m.Windows {
		if w <= 0 {
			is.Addf("monitoring.windows", "window %v must be positive", w)
		}
	}
	check := func(path string, s MonitoringSLA) {
		switch {
		case s.Availability < 0 || s.Availability > 100:
			is.Addf(path+".availability", "%v is not a percentage; write 99.5 for 99.5%%", s.Availability)
		case s.Availability > 0 && s.Availability < 1:
			is.Addf(path+".availability", "%v looks like a ratio, but availability is in percent: write %v", s.Availability, s.Availability*100)
		}
		if s.ResponseTime < 0 {
			is.Addf(path+".responseTime", "must not be negative")
		}
	}
	check("monitoring.sla", m.SLA)
	for id, s := range m.Services {
		if _, err := soap.ParseServiceID(id); err != nil {
			is.Addf("monitoring.services", "%q is not a service id: %v", id, err)
		}
		check("monitoring.services."+id, s)
	}
}
