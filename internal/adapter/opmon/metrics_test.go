package opmon_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
)

func newMetrics(t *testing.T, o opmon.MetricsOptions) (*opmon.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	o.Registerer = reg
	m, err := opmon.NewMetrics(o)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// TestMetricsFromFixture counts the X-Road Metrics page (5230 records:
// RestTest 1905 as Client and 1905 as Producer, the op-data query 710 and
// 710) and lints the result with promlint.
func TestMetricsFromFixture(t *testing.T) {
	m, reg := newMetrics(t, opmon.MetricsOptions{})
	_, recs := readPage(t, "metrics_response1.dat")
	for i := range recs {
		m.Observe(&recs[i])
	}
	failed := recs[0]
	failed.Succeeded, failed.SoapFaultCode = false, "server.serverproxy.service_failed.network_error"
	m.Observe(&failed)
	m.ObserveRound(opmon.Round{Next: 1604420300}, nil)
	m.ObserveRound(opmon.Round{Next: 1604420300}, &opmon.QueryError{Service: opmon.ServiceOperationalData,
		Err: &ssclient.FaultError{Code: "Server.ClientProxy.SslAuthenticationFailed"}})

	for _, tc := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"Client", "DEV/ORG/1234567-8/TEST", "DEV/ORG/1234567-8/TEST/RestTest", "succeeded", ""}, 1905},
		{[]string{"Producer", "DEV/ORG/1234567-8/TEST", "DEV/ORG/1234567-8/TEST/RestTest", "succeeded", ""}, 1905},
		{[]string{"Client", "DEV/ORG/1234567-8/TEST", "DEV/ORG/1234567-8/getSecurityServerOperationalData", "succeeded", ""}, 710},
		{[]string{"Client", "DEV/ORG/1234567-8/TEST", "DEV/ORG/1234567-8/getSecurityServerOperationalData", "failed",
			"Server.ServerProxy.ServiceFailed.NetworkError"}, 1},
	} {
		c, err := mustCounter(reg, "tunduk_ss_requests_total", tc.labels)
		if err != nil || c != tc.want {
			t.Errorf("requests_total%v = %v (%v), want %v", tc.labels, c, err, tc.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "tunduk_ss_request_duration_seconds"); n != 4 {
		t.Errorf("duration histograms = %d, want 4 (2 types × 2 services)", n)
	}
	if v, _ := mustCounter(reg, "tunduk_ss_opmon_records_total", nil); v != 5231 {
		t.Errorf("records_total = %v", v)
	}
	if v, _ := mustCounter(reg, "tunduk_ss_opmon_errors_total", []string{"Server.ClientProxy.SslAuthenticationFailed"}); v != 1 {
		t.Errorf("errors_total = %v", v)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestMetricsCardinality: beyond MaxValues distinct services, the rest are
// counted under "other"; a reduced label set drops the client label.
func TestMetricsCardinality(t *testing.T) {
	m, reg := newMetrics(t, opmon.MetricsOptions{Labels: []string{opmon.LabelService, opmon.LabelOutcome}, MaxValues: 3})
	for i := range 50 {
		r := opmon.Record{ServiceXRoadInstance: "KG", ServiceMemberClass: "GOV", ServiceMemberCode: "70000002",
			ServiceCode: "s" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Succeeded: true, ClientMemberCode: "c" + string(rune('a'+i%26))}
		m.Observe(&r)
	}
	if n := testutil.CollectAndCount(reg, "tunduk_ss_requests_total"); n != 4 {
		t.Fatalf("series = %d, want 3 services + other", n)
	}
	if v, _ := mustCounter(reg, "tunduk_ss_requests_total", []string{opmon.OtherValue, "succeeded"}); v != 47 {
		t.Fatalf("other = %v, want 47", v)
	}
	if _, err := opmon.NewMetrics(opmon.MetricsOptions{Registerer: prometheus.NewRegistry(), Labels: []string{"pin"}}); err == nil ||
		!strings.Contains(err.Error(), `unknown metric label "pin"`) {
		t.Fatalf("unknown label accepted: %v", err)
	}
}

// TestMetricsHealthLoop feeds the emulator's health data through a
// collector into the gauges.
func TestMetricsHealthLoop(t *testing.T) {
	l := newLoop(t, 100)
	l.traffic(10, 5, 5)
	m, reg := newMetrics(t, opmon.MetricsOptions{})
	c, err := opmon.New(opmon.Options{Querier: &opmon.Querier{SS: l.cl, Server: serverID}, StateFile: t.TempDir() + "/s.json",
		RecordsToOffset: 1, Observers: []opmon.Observer{m}, Now: l.clk.Now, OnRound: m.ObserveRound})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	for outcome, want := range map[string]float64{"succeeded": 8, "failed": 2} {
		if v, err := mustGauge(reg, "tunduk_ss_health_requests", []string{echoID, outcome}); v != want {
			t.Errorf("health_requests{%s} = %v (%v), want %v", outcome, v, err, want)
		}
	}
	if v, _ := mustGauge(reg, "tunduk_ss_opmon_position_timestamp_seconds", nil); v != float64(c.Position()) {
		t.Errorf("position gauge = %v, want %d", v, c.Position())
	}
}

func find(reg *prometheus.Registry, name string, labels []string) (*float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, mm := range mf.GetMetric() {
			if len(mm.GetLabel()) != len(labels) {
				continue
			}
			// labels are sorted by name in the exposition; compare as a set of values
			have := map[string]int{}
			for _, lp := range mm.GetLabel() {
				have[lp.GetValue()]++
			}
			for _, v := range labels {
				if have[v]--; have[v] < 0 {
					continue next
				}
			}
			switch {
			case mm.Counter != nil:
				v := mm.Counter.GetValue()
				return &v, nil
			case mm.Gauge != nil:
				v := mm.Gauge.GetValue()
				return &v, nil
			}
		}
	}
	return nil, errors.New("no such series")
}

func mustCounter(reg *prometheus.Registry, name string, labels []string) (float64, error) {
	v, err := find(reg, name, labels)
	if err != nil {
		return -1, err
	}
	return *v, nil
}

var mustGauge = mustCounter
