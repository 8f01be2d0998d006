package opmon

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Objective is what a service promises: availability and a latency
// percentile (the catalog's sla.availability and sla.responseTime, or the
// monitoring configuration's default).
type Objective struct {
	// Availability is the share of successful requests, 0..1 (0.995).
	Availability float64
	// Quantile of the latency objective (default 0.95).
	Quantile float64
	// MaxLatency is the most the Quantile's latency may be (0: none).
	MaxLatency time.Duration
	// MinRequests is how many requests a window needs for a verdict
	// (default 1): a window with fewer is never a breach.
	MinRequests int
}

// SLAOptions configure an SLA tracker.
type SLAOptions struct {
	// Windows are the sliding windows evaluated (default 1h and 24h).
	Windows []time.Duration
	// Default applies to services without their own Objective.
	Default Objective
	// Services maps a service (slash form, as Record.Service) to its
	// objective.
	Services map[string]Objective
	// MaxServices bounds the services tracked (default 200); records of
	// further services are not tracked (and counted in
	// tunduk_ss_sla_untracked_records_total).
	MaxServices int
	// MaxSamples bounds the samples kept per service (default 200,000;
	// the oldest go first).
	MaxSamples int
	// Registerer receives the tunduk_ss_sla_* metrics (optional).
	Registerer prometheus.Registerer
	// Logger gets a warning when a service enters breach and an info line
	// when it recovers.
	Logger *zap.Logger
	// OnBreach, when set, is called when a service enters breach (an alert
	// channel besides Prometheus).
	OnBreach func(Status)
	// Now is the clock windows end at (default time.Now).
	Now func() time.Time
}

// Status is one service's SLA over one window.
type Status struct {
	Service string
	Type    string // security_server_type: Client (consumed) or Producer (provided)
	Window  time.Duration
	// Requests and Failed in the window.
	Requests, Failed int
	// Availability is (Requests−Failed)/Requests (1 with no requests).
	Availability float64
	// P50, P95, P99 and PObjective (at Objective.Quantile) are
	// nearest-rank percentiles of the durations.
	P50, P95, P99, PObjective time.Duration
	Objective                 Objective
	Breached                  bool
	// Reason says why, for the log line and the alert.
	Reason string
}

type sample struct {
	at  int64 // Unix ms of the response
	dur int64 // ms
	ok  bool
}

type track struct {
	service, typ string
	samples      []sample // in arrival order
	breached     map[time.Duration]bool
}

// SLA tracks per counterpart service availability and latency and compares
// them with the objectives. It is an Observer: Observe adds samples, and
// ObserveHealth (the end of each collection round) evaluates the windows.
type SLA struct {
	o       SLAOptions
	mu      sync.Mutex
	tracks  map[string]*track
	order   []string
	maxWin  time.Duration
	metrics *slaMetrics
	ids     idCache // under mu
	last    []Status
}

// NewSLA makes a tracker.
func NewSLA(o SLAOptions) (*SLA, error) {
	if len(o.Windows) == 0 {
		o.Windows = []time.Duration{time.Hour, 24 * time.Hour}
	}
	for _, w := range o.Windows {
		if w <= 0 {
			return nil, fmt.Errorf("opmon: SLA window %v must be positive", w)
		}
	}
	for name, obj := range o.Services {
		if err := obj.check(); err != nil {
			return nil, fmt.Errorf("opmon: SLA of %s: %w", name, err)
		}
	}
	if err := o.Default.check(); err != nil {
		return nil, fmt.Errorf("opmon: default SLA: %w", err)
	}
	if o.MaxServices <= 0 {
		o.MaxServices = 200
	}
	if o.MaxSamples <= 0 {
		o.MaxSamples = 200_000
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &SLA{o: o, tracks: map[string]*track{}, maxWin: slices.Max(o.Windows)}
	if o.Registerer != nil {
		m, err := newSLAMetrics(o.Registerer)
		if err != nil {
			return nil, err
		}
		s.metrics = m
	}
	return s, nil
}

func (o Objective) check() error {
	if o.Availability < 0 || o.Availability > 1 {
		return fmt.Errorf("availability %v is not a ratio between 0 and 1 (99.5%% is 0.995)", o.Availability)
	}
	if o.Quantile < 0 || o.Quantile >= 1 {
		return fmt.Errorf("quantile %v must lie in (0, 1)", o.Quantile)
	}
	if o.MaxLatency < 0 {
		return errors.New("maxLatency is negative")
	}
	return nil
}

func (o Objective) withDefaults() Objective {
	if o.Quantile == 0 {
		o.Quantile = 0.95
	}
	if o.MinRequests <= 0 {
		o.MinRequests = 1
	}
	return o
}

// Observe adds a record's sample to its service.
func (s *SLA) Observe(r *Record) {
	at := r.ResponseOutTs
	if at == 0 {
		at = r.MonitoringDataTs * 1000
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.ids.service(r, true)
	t := s.tracks[key]
	if t == nil {
		if len(s.tracks) >= s.o.MaxServices {
			if s.metrics != nil {
				s.metrics.untracked.Inc()
			}
			return
		}
		t = &track{service: r.Service(), typ: r.SecurityServerType, breached: map[time.Duration]bool{}}
		s.tracks[key] = t
		s.order = append(s.order, key)
	}
	t.samples = append(t.samples, sample{at: at, dur: max(r.DurationMillis(), 0), ok: r.Succeeded})
	if len(t.samples) > s.o.MaxSamples {
		t.samples = slices.Delete(t.samples, 0, len(t.samples)-s.o.MaxSamples)
	}
}

// ObserveHealth ends a collection round: the windows are evaluated.
func (s *SLA) ObserveHealth(*Health) { s.Evaluate() }

// Evaluate computes every service's Status over every window ending now,
// updates the metrics, logs and alerts on breaches, and drops samples older
// than the longest window.
func (s *SLA) Evaluate() []Status {
	now := s.o.Now().UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Status
	for _, key := range s.order {
		t := s.tracks[key]
		oldest := now - s.maxWin.Milliseconds()
		t.samples = slices.DeleteFunc(t.samples, func(x sample) bool { return x.at <= oldest })
		obj, ok := s.o.Services[t.service]
		if !ok {
			obj = s.o.Default
		}
		obj = obj.withDefaults()
		for _, w := range s.o.Windows {
			st := evaluate(t.samples, now-w.Milliseconds(), now, obj)
			st.Service, st.Type, st.Window = t.service, t.typ, w
			s.report(t, st)
			out = append(out, st)
		}
	}
	s.last = out
	return out
}

// Statuses returns the result of the last Evaluate (for the /monitor
// page), without evaluating again.
func (s *SLA) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.last)
}

// AtRisk reports whether a met status is close to breach: less than half
// of the error budget (1 − availability objective) is left, or the
// latency is past 80% of its objective.
func (st Status) AtRisk() bool {
	if st.Breached || st.Requests < st.Objective.MinRequests {
		return false
	}
	budget := 1 - st.Objective.Availability
	if budget > 0 && st.Availability < st.Objective.Availability+budget/2 {
		return true
	}
	return st.Objective.MaxLatency > 0 && st.PObjective*5 > st.Objective.MaxLatency*4
}

// evaluate computes the status of the samples with from < at ≤ to. Samples
// are in arrival order, which is not strictly time order, so it filters
// rather than searches.
func evaluate(samples []sample, from, to int64, obj Objective) Status {
	st := Status{Objective: obj, Availability: 1}
	durs := make([]int64, 0, len(samples))
	for _, x := range samples {
		if x.at <= from || x.at > to {
			continue
		}
		st.Requests++
		if !x.ok {
			st.Failed++
		}
		durs = append(durs, x.dur)
	}
	if st.Requests == 0 {
		return st
	}
	st.Availability = float64(st.Requests-st.Failed) / float64(st.Requests)
	slices.Sort(durs)
	st.P50, st.P95, st.P99 = percentile(durs, 0.50), percentile(durs, 0.95), percentile(durs, 0.99)
	st.PObjective = percentile(durs, obj.Quantile)
	if st.Requests < obj.MinRequests {
		return st
	}
	switch {
	case st.Availability < obj.Availability:
		st.Breached = true
		st.Reason = fmt.Sprintf("availability %.4f below %.4f (%d of %d requests failed)", st.Availability, obj.Availability, st.Failed, st.Requests)
	case obj.MaxLatency > 0 && st.PObjective > obj.MaxLatency:
		st.Breached = true
		st.Reason = fmt.Sprintf("p%s latency %v above %v", quantileName(obj.Quantile), st.PObjective, obj.MaxLatency)
	}
	return st
}

// percentile is the nearest-rank percentile of sorted durations (ms).
func percentile(sorted []int64, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return time.Duration(sorted[i]) * time.Millisecond
}

func quantileName(q float64) string { return strconv.FormatFloat(q*100, 'f', -1, 64) }

// report updates metrics and logs a transition. Caller holds s.mu.
func (s *SLA) report(t *track, st Status) {
	if m := s.metrics; m != nil {
		l := prometheus.Labels{LabelService: st.Service, LabelType: st.Type, "window": windowName(st.Window)}
		m.availability.With(l).Set(st.Availability)
		m.requests.With(l).Set(float64(st.Requests))
		for q, d := range map[string]time.Duration{"50": st.P50, "95": st.P95, "99": st.P99} {
			m.latency.MustCurryWith(l).WithLabelValues(q).Set(d.Seconds())
		}
		m.breached.With(l).Set(b2f(st.Breached))
		m.objAvailability.With(l).Set(st.Objective.Availability)
		m.objLatency.With(l).Set(st.Objective.MaxLatency.Seconds())
		if st.Breached && !t.breached[st.Window] {
			m.breaches.With(l).Inc()
		}
	}
	was := t.breached[st.Window]
	t.breached[st.Window] = st.Breached
	switch {
	case st.Breached && !was:
		s.o.Logger.Warn("opmon: SLA breached", zap.String("service", st.Service), zap.String("securityServerType", st.Type),
			zap.String("window", windowName(st.Window)), zap.String("reason", st.Reason), zap.Int("requests", st.Requests))
		if s.o.OnBreach != nil {
			s.o.OnBreach(st)
		}
	case !st.Breached && was:
		s.o.Logger.Info("opmon: SLA met again", zap.String("service", st.Service), zap.String("window", windowName(st.Window)))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// windowName is a window as Prometheus-style duration text: 30m, 1h, 1d.
func windowName(w time.Duration) string {
	switch {
	case w%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(w/(24*time.Hour)), 10) + "d"
	case w%time.Hour == 0:
		return strconv.FormatInt(int64(w/time.Hour), 10) + "h"
	case w%time.Minute == 0:
		return strconv.FormatInt(int64(w/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(int64(w/time.Second), 10) + "s"
}

type slaMetrics struct {
	availability, requests, latency, breached *prometheus.GaugeVec
	objAvailability, objLatency               *prometheus.GaugeVec
	breaches                                  *prometheus.CounterVec
	untracked                                 prometheus.Counter
}

func newSLAMetrics(reg prometheus.Registerer) (*slaMetrics, error) {
	labels := []string{LabelService, LabelType, "window"}
	name := func(n string) string { return prometheus.BuildFQName("tunduk", "ss_sla", n) }
	m := &slaMetrics{
		availability: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("availability_ratio"),
			Help: "Share of successful requests of the service over the window."}, labels),
		requests: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("window_requests"),
			Help: "Requests of the service over the window."}, labels),
		latency: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("latency_seconds"),
			Help: "Nearest-rank latency percentile (50, 95, 99) of the service over the window."}, append(slices.Clone(labels), "percentile")),
		breached: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("breached"),
			Help: "1 when the service misses its SLA over the window."}, labels),
		objAvailability: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("objective_availability_ratio"),
			Help: "The availability the SLA promises."}, labels),
		objLatency: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name("objective_latency_seconds"),
			Help: "The latency the SLA promises at its quantile (0: none)."}, labels),
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("breaches_total"),
			Help: "Times the service entered breach over the window."}, labels),
		untracked: prometheus.NewCounter(prometheus.CounterOpts{Name: name("untracked_records_total"),
			Help: "Records of services beyond the tracked maximum."}),
	}
	for _, c := range []prometheus.Collector{m.availability, m.requests, m.latency, m.breached, m.objAvailability, m.objLatency, m.breaches, m.untracked} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("opmon: registering SLA metrics: %w", err)
		}
	}
	return m, nil
}
