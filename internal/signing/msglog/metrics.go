package msglog

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
)

// metrics are the log's Prometheus metrics (tunduk_msglog_*), registered
// when Options.Registerer is set.
type metrics struct {
	appended   prometheus.Counter
	appendErrs *prometheus.CounterVec
	// appendSeconds is append-to-durable: from handing the record to the
	// journal to its fsync (group commit included).
	appendSeconds prometheus.Histogram
	sealed        prometheus.Counter
	sealErrs      prometheus.Counter
	sealSeconds   prometheus.Histogram
	archives      prometheus.Counter
	removed       prometheus.Counter
}

func fq(name string) string { return prometheus.BuildFQName("tunduk", "msglog", name) }

func newMetrics(l *Log, reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		appended:   prometheus.NewCounter(prometheus.CounterOpts{Name: fq("records_total"), Help: "Records made durable by Append."}),
		appendErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: fq("append_errors_total"), Help: "Appends that failed, by reason (backpressure, closed, other)."}, []string{"reason"}),
		appendSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: fq("append_duration_seconds"),
			Help: "Time from Append to the record being durable (journal write and fsync, group commit included).", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		sealed:      prometheus.NewCounter(prometheus.CounterOpts{Name: fq("sealed_records_total"), Help: "Records covered by a batch signature."}),
		sealErrs:    prometheus.NewCounter(prometheus.CounterOpts{Name: fq("seal_failures_total"), Help: "Batch signatures or time-stamps that failed (retried)."}),
		sealSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: fq("batch_seal_duration_seconds"), Help: "Time to hash, sign (and time-stamp) one batch.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		archives:    prometheus.NewCounter(prometheus.CounterOpts{Name: fq("archives_total"), Help: "Archives written by rotation."}),
		removed:     prometheus.NewCounter(prometheus.CounterOpts{Name: fq("archives_removed_total"), Help: "Archives removed under the retention policy (each leaves a tombstone)."}),
	}
	if reg == nil {
		return m, nil
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: fq("pending_records"), Help: "Durable records waiting for their batch signature."}, func() float64 {
		l.mu.Lock()
		defer l.mu.Unlock()
		return float64(len(l.pending))
	})
	fsyncs := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: fq("fsyncs_total"), Help: "Journal fsyncs; records_total / fsyncs_total is the group-commit factor."}, func() float64 {
		g, _ := l.store.Stats()
		return float64(g)
	})
	for _, c := range []prometheus.Collector{m.appended, m.appendErrs, m.appendSeconds, m.sealed, m.sealErrs, m.sealSeconds, m.archives, m.removed, pending, fsyncs} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) appendFailed(err error) {
	reason := "other"
	switch {
	case errors.Is(err, store.ErrBackpressure):
		reason = "backpressure"
	case errors.Is(err, store.ErrClosed):
		reason = "closed"
	}
	m.appendErrs.WithLabelValues(reason).Inc()
}
