package observe

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace is the prefix of every tunduk metric.
const Namespace = "tunduk"

// Breaker states as exported by tunduk_xroad_breaker_state.
const (
	BreakerClosed   = 0
	BreakerOpen     = 1
	BreakerHalfOpen = 2
)

// Metrics are the gateway's Prometheus collectors. All methods are safe on
// a nil *Metrics (they do nothing), so library code can take metrics as an
// option.
type Metrics struct {
	checks        *prometheus.CounterVec
	checkDuration *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	journalWrite  prometheus.Histogram
	caller        callerMetrics
}

// MetricsOptions configures NewMetrics.
type MetricsOptions struct {
	// Registerer receives the collectors; nil ⇒ a new registry (see
	// Registry on the returned value's Gatherer).
	Registerer prometheus.Registerer
	// BreakerStates, when set, is read at each scrape: service id →
	// BreakerClosed/BreakerHalfOpen/BreakerOpen.
	BreakerStates func() map[string]int
}

// latencyBuckets span a sub-millisecond emulator answer to a 60 s SS
// timeout.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics creates and registers the gateway's collectors.
func NewMetrics(o MetricsOptions) (*Metrics, error) {
	m := &Metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "gateway", Name: "checks_total",
			Help: "Supplier checks by check, X-Road service, outcome and fault or business code.",
		}, []string{"check", "service", "outcome", "fault_code"}),
		checkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "gateway", Name: "check_duration_seconds",
			Help: "Time from sending a check to the security server to its journalled answer.", Buckets: latencyBuckets,
		}, []string{"check", "outcome"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "gateway", Name: "checks_in_flight",
			Help: "Checks currently waiting for the security server or the journal.",
		}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "gateway", Name: "http_requests_total",
			Help: "Portal API requests by route and HTTP status code.",
		}, []string{"route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "gateway", Name: "http_request_duration_seconds",
			Help: "Portal API request latency by route.", Buckets: latencyBuckets,
		}, []string{"route"}),
		journalWrite: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "journal", Name: "write_duration_seconds",
			Help: "Time to make one exchange record durable (write + fsync).", Buckets: latencyBuckets,
		}),
	}
	reg := o.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m.caller = newCallerMetrics()
	cs := []prometheus.Collector{m.checks, m.checkDuration, m.inFlight, m.httpRequests, m.httpDuration, m.journalWrite,
		m.caller.requests, m.caller.limited, m.caller.inFlight}
	if o.BreakerStates != nil {
		cs = append(cs, breakerCollector{o.BreakerStates})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ObserveCheck counts one finished check.
func (m *Metrics) ObserveCheck(check, service, outcome, faultCode string, d time.Duration) {
	if m == nil {
		return
	}
	m.checks.WithLabelValues(check, service, outcome, faultCode).Inc()
	m.checkDuration.WithLabelValues(check, outcome).Observe(d.Seconds())
}

// CheckStarted increments the in-flight gauge; call the returned function
// when the check ends.
func (m *Metrics) CheckStarted() (done func()) {
	if m == nil {
		return func() {}
	}
	m.inFlight.Inc()
	return m.inFlight.Dec
}

// ObserveHTTP counts one portal API request.
func (m *Metrics) ObserveHTTP(route string, code int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveJournalWrite records how long a journal record took to be durable.
func (m *Metrics) ObserveJournalWrite(d time.Duration) {
	if m == nil {
		return
	}
	m.journalWrite.Observe(d.Seconds())
}

var breakerDesc = prometheus.NewDesc(prometheus.BuildFQName(Namespace, "xroad", "breaker_state"),
	"Circuit breaker state per X-Road service: 0 closed, 1 open, 2 half-open.", []string{"service"}, nil)

type breakerCollector struct{ states func() map[string]int }

func (b breakerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- breakerDesc }

func (b breakerCollector) Collect(ch chan<- prometheus.Metric) {
	for svc, st := range b.states() {
		ch <- prometheus.MustNewConstMetric(breakerDesc, prometheus.GaugeValue, float64(st), svc)
	}
}

// callerMetrics are the per-caller collectors (portal system names are
// few and configured, so the label is bounded).
type callerMetrics struct {
	requests *prometheus.CounterVec
	limited  *prometheus.CounterVec
	inFlight *prometheus.GaugeVec
}

func newCallerMetrics() callerMetrics {
	return callerMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "gateway", Name: "caller_requests_total",
			Help: "Portal API requests by authenticated caller and HTTP status code.",
		}, []string{"caller", "code"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "gateway", Name: "caller_limited_total",
			Help: "Requests refused with 429 by caller and reason (rate_limited, concurrency_limited).",
		}, []string{"caller", "reason"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "gateway", Name: "caller_checks_in_flight",
			Help: "Checks currently running per caller.",
		}, []string{"caller"}),
	}
}

// ObserveCaller counts one request of an authenticated caller.
func (m *Metrics) ObserveCaller(caller string, code int) {
	if m == nil {
		return
	}
	m.caller.requests.WithLabelValues(caller, strconv.Itoa(code)).Inc()
}

// CallerLimited counts one request refused by the caller's quota.
func (m *Metrics) CallerLimited(caller, reason string) {
	if m == nil {
		return
	}
	m.caller.limited.WithLabelValues(caller, reason).Inc()
}

// CallerCheckStarted increments the caller's in-flight gauge; call the
// returned function when the check ends.
func (m *Metrics) CallerCheckStarted(caller string) (done func()) {
	if m == nil {
		return func() {}
	}
	g := m.caller.inFlight.WithLabelValues(caller)
	g.Inc()
	return g.Dec
}
