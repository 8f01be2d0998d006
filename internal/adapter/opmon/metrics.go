package opmon

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/soap"
)

// Label names of tunduk_ss_requests_total (MetricsOptions.Labels).
const (
	LabelType      = "security_server_type" // Client (we consume) or Producer (we provide)
	LabelClient    = "client"               // client subsystem, slash form
	LabelService   = "service"              // service, slash form
	LabelOutcome   = "outcome"              // succeeded or failed
	LabelFaultCode = "fault_code"           // CamelCase X-Road code, "" when succeeded
)

// AllLabels are the labels tunduk_ss_requests_total may carry, and the
// default set.
var AllLabels = []string{LabelType, LabelClient, LabelService, LabelOutcome, LabelFaultCode}

// OtherValue replaces label values beyond MetricsOptions.MaxValues.
const OtherValue = "other"

// MetricsOptions configure Metrics.
type MetricsOptions struct {
	// Registerer receives the metrics (required).
	Registerer prometheus.Registerer
	// Labels of the request metrics, a subset of AllLabels (default all).
	// The histograms carry those of security_server_type and service.
	Labels []string
	// MaxValues bounds the distinct values of each label (default 100);
	// further values are counted as "other", so a busy security server
	// cannot blow up the series count.
	MaxValues int
	// DurationBuckets (seconds) and SizeBuckets (bytes) of the histograms.
	DurationBuckets, SizeBuckets []float64
}

// Metrics turns operational and health data into tunduk_ss_* metrics.
// It is an Observer; ObserveRound fits Options.OnRound.
type Metrics struct {
	labels, histLabels []string
	limit              *limiter

	requests                     *prometheus.CounterVec
	duration, reqSize, respSize  *prometheus.HistogramVec
	healthRequests               *prometheus.GaugeVec
	healthLastOK, healthLastFail *prometheus.GaugeVec
	healthAvgDuration            *prometheus.GaugeVec
	healthStart, healthPeriod    prometheus.Gauge
	rounds                       *prometheus.CounterVec
	records                      prometheus.Counter
	position, lastSuccess        prometheus.Gauge
	roundErrors                  *prometheus.CounterVec
	mu                           sync.Mutex
	values                       []string // scratch, under mu
	ids                          idCache  // under mu
}

// NewMetrics registers the metrics.
func NewMetrics(o MetricsOptions) (*Metrics, error) {
	if o.Registerer == nil {
		return nil, errors.New("opmon: MetricsOptions.Registerer is required")
	}
	labels := o.Labels
	if len(labels) == 0 {
		labels = AllLabels
	}
	for _, l := range labels {
		if !slices.Contains(AllLabels, l) {
			return nil, fmt.Errorf("opmon: unknown metric label %q; use some of %v", l, AllLabels)
		}
	}
	if o.MaxValues <= 0 {
		o.MaxValues = 100
	}
	if o.DurationBuckets == nil {
		o.DurationBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	}
	if o.SizeBuckets == nil {
		o.SizeBuckets = prometheus.ExponentialBuckets(512, 4, 8) // 512 B … 8 MiB
	}
	m := &Metrics{labels: labels, limit: newLimiter(o.MaxValues)}
	for _, l := range labels {
		if l == LabelType || l == LabelService {
			m.histLabels = append(m.histLabels, l)
		}
	}
	name := func(sub, n string) string { return prometheus.BuildFQName("tunduk", "ss"+sub, n) }
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("", "requests_total"),
		Help: "Exchanges the security server handled, from its operational monitoring data."}, labels)
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name("", "request_duration_seconds"),
		Help: "Time from the security server receiving a request to sending the response.", Buckets: o.DurationBuckets}, m.histLabels)
	m.reqSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name("", "request_size_bytes"),
		Help: "Size of requests (MIME size when the message had attachments).", Buckets: o.SizeBuckets}, m.histLabels)
	m.respSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name("", "response_size_bytes"),
		Help: "Size of responses (MIME size when the message had attachments).", Buckets: o.SizeBuckets}, m.histLabels)
	m.healthRequests = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("_health", "requests"),
		Help: "Requests per service in the security server's last statistics period."}, []string{LabelService, LabelOutcome})
	m.healthLastOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("_health", "last_success_timestamp_seconds"),
		Help: "When the service last answered successfully."}, []string{LabelService})
	m.healthLastFail = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("_health", "last_failure_timestamp_seconds"),
		Help: "When the service last failed."}, []string{LabelService})
	m.healthAvgDuration = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("_health", "request_duration_average_seconds"),
		Help: "Average request duration in the last statistics period."}, []string{LabelService})
	m.healthStart = prometheus.NewGauge(prometheus.GaugeOpts{Name: name("_health", "monitoring_start_timestamp_seconds"),
		Help: "When the security server's operational monitoring daemon started."})
	m.healthPeriod = prometheus.NewGauge(prometheus.GaugeOpts{Name: name("_health", "statistics_period_seconds"),
		Help: "Length of the security server's statistics period."})
	m.rounds = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("_opmon", "rounds_total"),
		Help: "Collection rounds, by result (ok, error)."}, []string{"result"})
	m.roundErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("_opmon", "errors_total"),
		Help: "Failed collection rounds by the security server's fault code (\"none\" for failures without a fault: transport, format, state file)."}, []string{LabelFaultCode})
	m.records = prometheus.NewCounter(prometheus.CounterOpts{Name: name("_opmon", "records_total"),
		Help: "Operational monitoring records collected."})
	m.position = prometheus.NewGauge(prometheus.GaugeOpts{Name: name("_opmon", "position_timestamp_seconds"),
		Help: "recordsFrom of the next query: records before it are collected."})
	m.lastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Name: name("_opmon", "last_success_timestamp_seconds"),
		Help: "When the last collection round succeeded."})
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.reqSize, m.respSize, m.healthRequests, m.healthLastOK, m.healthLastFail,
		m.healthAvgDuration, m.healthStart, m.healthPeriod, m.rounds, m.roundErrors, m.records, m.position, m.lastSuccess} {
		if err := o.Registerer.Register(c); err != nil {
			return nil, fmt.Errorf("opmon: registering metrics: %w", err)
		}
	}
	return m, nil
}

// Observe counts one record.
func (m *Metrics) Observe(r *Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values = m.values[:0]
	var typ, svc string
	for _, l := range m.labels {
		var v string
		switch l {
		case LabelType:
			typ = m.limit.value(l, r.SecurityServerType)
			v = typ
		case LabelClient:
			v = m.limit.value(l, m.ids.client(r))
		case LabelService:
			svc = m.limit.value(l, m.ids.service(r, false))
			v = svc
		case LabelOutcome:
			v = outcome(r.Succeeded)
		case LabelFaultCode:
			if !r.Succeeded {
				v = m.limit.value(l, soap.NormalizeFaultCode(r.FaultCode()))
			}
		}
		m.values = append(m.values, v)
	}
	m.requests.WithLabelValues(m.values...).Inc()
	hv := m.values[:0]
	for _, l := range m.histLabels {
		if l == LabelType {
			hv = append(hv, typ)
		} else {
			hv = append(hv, svc)
		}
	}
	if d := r.DurationMillis(); d >= 0 {
		m.duration.WithLabelValues(hv...).Observe(float64(d) / 1000)
	}
	if b := r.RequestBytes(); b > 0 {
		m.reqSize.WithLabelValues(hv...).Observe(float64(b))
	}
	if b := r.ResponseBytes(); b > 0 {
		m.respSize.WithLabelValues(hv...).Observe(float64(b))
	}
	m.records.Inc()
}

func outcome(ok bool) string {
	if ok {
		return "succeeded"
	}
	return "failed"
}

// ObserveHealth replaces the health gauges with h.
func (m *Metrics) ObserveHealth(h *Health) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range []*prometheus.GaugeVec{m.healthRequests, m.healthLastOK, m.healthLastFail, m.healthAvgDuration} {
		g.Reset()
	}
	m.healthStart.Set(float64(h.MonitoringStartup) / 1000)
	m.healthPeriod.Set(float64(h.StatisticsPeriodSeconds))
	for _, s := range h.Services {
		svc := m.limit.value(LabelService, s.Service.ID().String())
		m.healthRequests.WithLabelValues(svc, "succeeded").Add(float64(s.Stats.Successful))
		m.healthRequests.WithLabelValues(svc, "failed").Add(float64(s.Stats.Unsuccessful))
		if s.LastSuccessful > 0 {
			m.healthLastOK.WithLabelValues(svc).Set(float64(s.LastSuccessful) / 1000)
		}
		if s.LastFailed > 0 {
			m.healthLastFail.WithLabelValues(svc).Set(float64(s.LastFailed) / 1000)
		}
		if s.Stats.Successful+s.Stats.Unsuccessful > 0 {
			m.healthAvgDuration.WithLabelValues(svc).Set(s.Stats.AvgDurationMs / 1000)
		}
	}
}

// ObserveRound records a collection round's outcome (Options.OnRound).
func (m *Metrics) ObserveRound(r Round, err error) {
	m.position.Set(float64(r.Next))
	if err == nil {
		m.rounds.WithLabelValues("ok").Inc()
		m.lastSuccess.Set(float64(time.Now().Unix()))
		return
	}
	m.rounds.WithLabelValues("error").Inc()
	code := "none"
	var f *ssclient.FaultError
	if errors.As(err, &f) {
		code = f.Code
	}
	m.mu.Lock()
	code = m.limit.value(LabelFaultCode, code)
	m.mu.Unlock()
	m.roundErrors.WithLabelValues(code).Inc()
}

// limiter bounds the distinct values of each label. Not safe for
// concurrent use: callers hold Metrics.mu.
type limiter struct {
	max  int
	seen map[string]map[string]bool
}

func newLimiter(max int) *limiter { return &limiter{max: max, seen: map[string]map[string]bool{}} }

func (l *limiter) value(label, v string) string {
	s := l.seen[label]
	if s == nil {
		s = map[string]bool{}
		l.seen[label] = s
	}
	if s[v] {
		return v
	}
	if len(s) >= l.max {
		return OtherValue
	}
	s[v] = true
	return v
}
