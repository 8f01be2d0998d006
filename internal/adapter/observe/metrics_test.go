package observe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsExposition(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(MetricsOptions{Registerer: reg, BreakerStates: func() map[string]int {
		return map[string]int{"SERVICE:central-server/GOV/70000002/gns-service/x/v1": BreakerOpen}
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.ObserveCheck("tax-debt", "SERVICE:s", "ok", "", 3*time.Millisecond)
	m.ObserveCheck("tax-debt", "SERVICE:s", "fault", "Server.ServerProxy.ServiceFailed", time.Second)
	done := m.CheckStarted()
	m.ObserveHTTP("/v1/supplier-checks", 200, time.Millisecond)
	if got := testutil.ToFloat64(m.inFlight); got != 1 {
		t.Errorf("in flight = %v", got)
	}
	done()
	want := `
# HELP tunduk_gateway_checks_total Supplier checks by check, X-Road service, outcome and fault or business code.
# TYPE tunduk_gateway_checks_total counter
tunduk_gateway_checks_total{check="tax-debt",fault_code="",outcome="ok",service="SERVICE:s"} 1
tunduk_gateway_checks_total{check="tax-debt",fault_code="Server.ServerProxy.ServiceFailed",outcome="fault",service="SERVICE:s"} 1
# HELP tunduk_xroad_breaker_state Circuit breaker state per X-Road service: 0 closed, 1 open, 2 half-open.
# TYPE tunduk_xroad_breaker_state gauge
tunduk_xroad_breaker_state{service="SERVICE:central-server/GOV/70000002/gns-service/x/v1"} 1
# HELP tunduk_gateway_checks_in_flight Checks currently waiting for the security server or the journal.
# TYPE tunduk_gateway_checks_in_flight gauge
tunduk_gateway_checks_in_flight 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tunduk_gateway_checks_total", "tunduk_xroad_breaker_state", "tunduk_gateway_checks_in_flight"); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "tunduk_gateway_check_duration_seconds"); n != 2 {
		t.Errorf("duration series = %d, want 2 (ok, fault)", n)
	}
	var nilM *Metrics
	nilM.ObserveCheck("a", "b", "c", "d", 0) // must not panic
	nilM.CheckStarted()()
}

func TestReadiness(t *testing.T) {
	calls := 0
	fail := true
	r := &Readiness{Interval: time.Hour, Probe: func(context.Context) error {
		calls++
		if fail {
			return errors.New("connection refused")
		}
		return nil
	}}
	get := func() int {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	first, second := get(), get()
	if first != 503 || second != 503 || calls != 1 {
		t.Fatalf("unready: calls=%d (probe must be cached)", calls)
	}
	fail = false
	r.Interval = time.Nanosecond
	if got := get(); got != 200 {
		t.Errorf("ready = %d", got)
	}
	r.SetShuttingDown()
	if got := get(); got != 503 {
		t.Errorf("shutting down = %d", got)
	}
	rec := httptest.NewRecorder()
	Healthz().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "ok") {
		t.Errorf("healthz = %d %s", rec.Code, rec.Body)
	}
}
