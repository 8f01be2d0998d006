package kms

import (
	"crypto"
	"io"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// InstrumentOptions configure Instrument.
type InstrumentOptions struct {
	// Key is the configured key name used in logs and the metric label.
	Key string
	// Logger gets a line for the first signature, then one per LogEvery
	// signatures (a running count), and one per failure. Nil: zap.NewNop().
	Logger *zap.Logger
	// LogEvery defaults to 1000.
	LogEvery uint64
}

// InstrumentedSigner wraps a crypto.Signer to count and log its use
// without slowing it: atomic counters, a log line only every LogEvery
// signatures. It is also a prometheus.Collector exporting
//
//	tunduk_signing_signatures_total{key}
//	tunduk_signing_signature_errors_total{key}
//	tunduk_signing_signature_duration_seconds_total{key}
type InstrumentedSigner struct {
	s      crypto.Signer
	opts   InstrumentOptions
	log    *zap.Logger
	n      atomic.Uint64
	errs   atomic.Uint64
	nanos  atomic.Int64
	descN  *prometheus.Desc
	descE  *prometheus.Desc
	descNS *prometheus.Desc
}

// Instrument wraps s. Msglog and seal take the result as any other
// crypto.Signer; cmd registers it with the metrics registry.
func Instrument(s crypto.Signer, opts InstrumentOptions) *InstrumentedSigner {
	if opts.LogEvery == 0 {
		opts.LogEvery = 1000
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	labels := prometheus.Labels{"key": opts.Key}
	return &InstrumentedSigner{
		s: s, opts: opts, log: log.With(zap.String("key", opts.Key)),
		descN:  prometheus.NewDesc("tunduk_signing_signatures_total", "Signatures made with the key.", nil, labels),
		descE:  prometheus.NewDesc("tunduk_signing_signature_errors_total", "Failed signing attempts with the key.", nil, labels),
		descNS: prometheus.NewDesc("tunduk_signing_signature_duration_seconds_total", "Time spent signing with the key.", nil, labels),
	}
}

// Public returns the wrapped signer's public key.
func (i *InstrumentedSigner) Public() crypto.PublicKey { return i.s.Public() }

// Sign signs with the wrapped signer, counting and timing it.
func (i *InstrumentedSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	start := time.Now()
	sig, err := i.s.Sign(rand, digest, opts)
	i.nanos.Add(int64(time.Since(start)))
	if err != nil {
		e := i.errs.Add(1)
		i.log.Error("signing failed", zap.Uint64("failures", e), zap.Error(err))
		return nil, err
	}
	if n := i.n.Add(1); n == 1 || n%i.opts.LogEvery == 0 {
		i.log.Info("signatures made", zap.Uint64("count", n))
	}
	return sig, nil
}

// Count returns the number of signatures and of failures so far.
func (i *InstrumentedSigner) Count() (signatures, failures uint64) { return i.n.Load(), i.errs.Load() }

// Describe implements prometheus.Collector.
func (i *InstrumentedSigner) Describe(ch chan<- *prometheus.Desc) {
	ch <- i.descN
	ch <- i.descE
	ch <- i.descNS
}

// Collect implements prometheus.Collector.
func (i *InstrumentedSigner) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(i.descN, prometheus.CounterValue, float64(i.n.Load()))
	ch <- prometheus.MustNewConstMetric(i.descE, prometheus.CounterValue, float64(i.errs.Load()))
	ch <- prometheus.MustNewConstMetric(i.descNS, prometheus.CounterValue, time.Duration(i.nanos.Load()).Seconds())
}
