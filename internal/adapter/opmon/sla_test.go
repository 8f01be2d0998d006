package opmon_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
)

const slaNow = 1_800_000_000 // seconds

// rec is a record of the tax service answered at slaNow−agoSec after durMs.
func rec(agoSec int64, durMs int64, ok bool) opmon.Record {
	end := (slaNow - agoSec) * 1000
	return opmon.Record{SecurityServerType: "Client", ServiceXRoadInstance: "central-server", ServiceMemberClass: "GOV",
		ServiceMemberCode: "70000002", ServiceSubsystemCode: "gns-service", ServiceCode: "tpDataByINNforBusinessActivity",
		ServiceVersion: "v1", RequestInTs: end - durMs, ResponseOutTs: end, MonitoringDataTs: slaNow - agoSec, Succeeded: ok}
}

const taxService = "central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1"

// TestSLAWindows checks availability, nearest-rank percentiles and the
// verdict against windows computed by hand.
func TestSLAWindows(t *testing.T) {
	// Ten requests in the last hour: durations 100..1000 ms, the 700 and
	// 900 ms ones failed. Five more between 1h and 24h ago: 5000 ms, ok.
	// One 48h ago (outside every window).
	var recs []opmon.Record
	for i := int64(1); i <= 10; i++ {
		recs = append(recs, rec(i*60, i*100, i != 7 && i != 9))
	}
	for i := int64(1); i <= 5; i++ {
		recs = append(recs, rec(3600+i*3600, 5000, true))
	}
	recs = append(recs, rec(48*3600, 1, false))

	for _, tc := range []struct {
		name   string
		obj    opmon.Objective
		window time.Duration
		want   opmon.Status
	}{
		// 1h: 10 requests, 2 failed ⇒ 0.8; sorted 100..1000: p50 = 5th = 500,
		// p95 = ceil(9.5) = 10th = 1000, p99 = 10th = 1000.
		{"1h met", opmon.Objective{Availability: 0.8, MaxLatency: time.Second}, time.Hour,
			opmon.Status{Requests: 10, Failed: 2, Availability: 0.8, P50: 500 * time.Millisecond, P95: time.Second, P99: time.Second}},
		{"1h availability breach", opmon.Objective{Availability: 0.9}, time.Hour,
			opmon.Status{Requests: 10, Failed: 2, Availability: 0.8, P50: 500 * time.Millisecond, P95: time.Second, P99: time.Second, Breached: true}},
		// p90 = ceil(9) = 9th = 900 > 800.
		{"1h latency breach at p90", opmon.Objective{Quantile: 0.9, MaxLatency: 800 * time.Millisecond}, time.Hour,
			opmon.Status{Requests: 10, Failed: 2, Availability: 0.8, P50: 500 * time.Millisecond, P95: time.Second, P99: time.Second, PObjective: 900 * time.Millisecond, Breached: true}},
		{"1h too few requests for a verdict", opmon.Objective{Availability: 0.99, MinRequests: 11}, time.Hour,
			opmon.Status{Requests: 10, Failed: 2, Availability: 0.8, P50: 500 * time.Millisecond, P95: time.Second, P99: time.Second}},
		// 24h: 15 requests, 2 failed ⇒ 13/15; sorted 100..1000, 5000×5:
		// p50 = ceil(7.5) = 8th = 800; p95 = ceil(14.25) = 15th = 5000.
		{"24h latency breach", opmon.Objective{Availability: 0.8, MaxLatency: 2 * time.Second}, 24 * time.Hour,
			opmon.Status{Requests: 15, Failed: 2, Availability: 13.0 / 15, P50: 800 * time.Millisecond, P95: 5 * time.Second, P99: 5 * time.Second, Breached: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sla, err := opmon.NewSLA(opmon.SLAOptions{Windows: []time.Duration{tc.window}, Services: map[string]opmon.Objective{taxService: tc.obj},
				Now: func() time.Time { return time.Unix(slaNow, 0) }})
			if err != nil {
				t.Fatal(err)
			}
			for i := range recs {
				sla.Observe(&recs[i])
			}
			got := sla.Evaluate()
			if len(got) != 1 {
				t.Fatalf("statuses = %d, want 1", len(got))
			}
			g, w := got[0], tc.want
			if w.PObjective == 0 {
				w.PObjective = w.P95
			}
			if g.Service != taxService || g.Type != "Client" || g.Requests != w.Requests || g.Failed != w.Failed ||
				g.Availability != w.Availability || g.P50 != w.P50 || g.P95 != w.P95 || g.P99 != w.P99 || g.PObjective != w.PObjective ||
				g.Breached != w.Breached || (g.Breached == (g.Reason == "")) {
				t.Fatalf("status = %+v\nwant     %+v", g, w)
			}
		})
	}
}

// TestSLABreachSignals: entering breach gives a metric, one warning log
// line and one OnBreach alert; staying in breach repeats neither; recovery
// logs once.
func TestSLABreachSignals(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	reg := prometheus.NewRegistry()
	now := time.Unix(slaNow, 0)
	var alerts []opmon.Status
	sla, err := opmon.NewSLA(opmon.SLAOptions{Windows: []time.Duration{time.Hour}, Default: opmon.Objective{Availability: 0.9},
		Registerer: reg, Logger: zap.New(core), OnBreach: func(s opmon.Status) { alerts = append(alerts, s) }, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	r := rec(10, 100, false)
	sla.Observe(&r)
	sla.Evaluate()
	sla.Evaluate()
	if len(alerts) != 1 || logs.FilterMessage("opmon: SLA breached").Len() != 1 {
		t.Fatalf("alerts = %d, breach log lines = %d; want 1 and 1", len(alerts), logs.FilterMessage("opmon: SLA breached").Len())
	}
	if v, err := mustGauge(reg, "tunduk_ss_sla_breached", []string{taxService, "Client", "1h"}); v != 1 {
		t.Fatalf("tunduk_ss_sla_breached = %v (%v)", v, err)
	}
	if v, _ := mustCounter(reg, "tunduk_ss_sla_breaches_total", []string{taxService, "Client", "1h"}); v != 1 {
		t.Fatalf("breaches_total = %v", v)
	}
	now = now.Add(2 * time.Hour) // the failure leaves the window
	sla.Evaluate()
	if v, _ := mustGauge(reg, "tunduk_ss_sla_breached", []string{taxService, "Client", "1h"}); v != 0 || logs.FilterMessage("opmon: SLA met again").Len() != 1 {
		t.Fatalf("after recovery breached = %v, recovery lines = %d", v, logs.FilterMessage("opmon: SLA met again").Len())
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if _, err := opmon.NewSLA(opmon.SLAOptions{Default: opmon.Objective{Availability: 99.5}}); err == nil || !strings.Contains(err.Error(), "0.995") {
		t.Fatalf("availability 99.5 accepted: %v", err)
	}
}

// TestSLASidesAndRisk: a service we consume (Client) and the same service
// as we provide it (Producer) are judged apart; met, at risk and breached
// against hand-computed windows.
func TestSLASidesAndRisk(t *testing.T) {
	side := func(r opmon.Record, typ string) opmon.Record { r.SecurityServerType = typ; return r }
	for _, tc := range []struct {
		name                 string
		obj                  opmon.Objective
		client, producer     []opmon.Record
		wantClient, wantProd string // met, at risk, breached
		clientAv, prodAv     float64
	}{
		// Objective 90%: the budget is 10%, at risk below 95%.
		// Client 20 requests, 1 failed ⇒ 0.95: met (not below 95%).
		// Producer 20 requests, 2 failed ⇒ 0.90: at risk (met, below 95%).
		{"availability", opmon.Objective{Availability: 0.9}, recsOf(20, 1, 100), recsOf(20, 2, 100), "met", "at risk", 0.95, 0.9},
		// Producer 10 requests, 2 failed ⇒ 0.8 < 0.9: breached; the client
		// side, all fine, is met.
		{"provided breached", opmon.Objective{Availability: 0.9}, recsOf(10, 0, 100), recsOf(10, 2, 100), "met", "breached", 1, 0.8},
		// Latency 2s at p95, at risk past 80% of it (1.6s): client p95
		// 1.5s is met, producer p95 1.7s at risk; 2.1s is breached.
		{"latency at risk", opmon.Objective{MaxLatency: 2 * time.Second}, recsOf(10, 0, 1500), recsOf(10, 0, 1700), "met", "at risk", 1, 1},
		{"latency breached", opmon.Objective{MaxLatency: 2 * time.Second}, recsOf(10, 0, 2100), recsOf(10, 0, 100), "breached", "met", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sla, err := opmon.NewSLA(opmon.SLAOptions{Windows: []time.Duration{time.Hour}, Default: tc.obj, Now: func() time.Time { return time.Unix(slaNow, 0) }})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.client {
				r := side(r, "Client")
				sla.Observe(&r)
			}
			for _, r := range tc.producer {
				r := side(r, "Producer")
				sla.Observe(&r)
			}
			got := map[string]opmon.Status{}
			for _, st := range sla.Evaluate() {
				got[st.Type] = st
			}
			if len(got) != 2 {
				t.Fatalf("statuses %v, want one per side", got)
			}
			verdict := func(st opmon.Status) string {
				switch {
				case st.Breached:
					return "breached"
				case st.AtRisk():
					return "at risk"
				}
				return "met"
			}
			for typ, want := range map[string]struct {
				verdict string
				av      float64
				n       int
			}{"Client": {tc.wantClient, tc.clientAv, len(tc.client)}, "Producer": {tc.wantProd, tc.prodAv, len(tc.producer)}} {
				st := got[typ]
				if verdict(st) != want.verdict || st.Availability != want.av || st.Requests != want.n || st.Service != taxService {
					t.Errorf("%s: %s, availability %v, %d requests (%+v); want %s, %v, %d", typ, verdict(st), st.Availability, st.Requests, st,
						want.verdict, want.av, want.n)
				}
			}
		})
	}
}

// recsOf is n records of the tax service in the last hour, the first
// first `failed` of them failed, each durMs long.
func recsOf(n, failed int, durMs int64) []opmon.Record {
	var out []opmon.Record
	for i := range n {
		out = append(out, rec(int64(i+1)*60, durMs, i >= failed))
	}
	return out
}
