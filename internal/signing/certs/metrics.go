package certs

import (
	"crypto/x509"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// KeyCert is a named key's certificate, for ExpiryCollector.
type KeyCert struct {
	Key         string // the configured key name, e.g. "mlog"
	Certificate *x509.Certificate
}

// ExpiryCollector exports, per configured key with a certificate:
//
//	tunduk_signing_key_expiry_timestamp_seconds{key}  NotAfter as a Unix time
//	tunduk_signing_key_remaining_seconds{key}         NotAfter minus now (negative once expired)
//
// Alert with e.g. tunduk_signing_key_remaining_seconds < 30*86400. The
// source is called at every scrape, so re-imported certificates show up
// without a restart.
type ExpiryCollector struct {
	source    func() []KeyCert
	now       func() time.Time
	expiry    *prometheus.Desc
	remaining *prometheus.Desc
}

// NewExpiryCollector returns a collector reading certificates from source.
func NewExpiryCollector(source func() []KeyCert) *ExpiryCollector {
	return &ExpiryCollector{
		source: source,
		now:    time.Now,
		expiry: prometheus.NewDesc(prometheus.BuildFQName("tunduk", "signing_key", "expiry_timestamp_seconds"),
			"Unix time at which the signing key's certificate expires (NotAfter).", []string{"key"}, nil),
		remaining: prometheus.NewDesc(prometheus.BuildFQName("tunduk", "signing_key", "remaining_seconds"),
			"Seconds until the signing key's certificate expires; negative once expired.", []string{"key"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *ExpiryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.expiry
	ch <- c.remaining
}

// Collect implements prometheus.Collector.
func (c *ExpiryCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	for _, kc := range c.source() {
		if kc.Certificate == nil {
			continue
		}
		na := kc.Certificate.NotAfter
		ch <- prometheus.MustNewConstMetric(c.expiry, prometheus.GaugeValue, float64(na.Unix()), kc.Key)
		ch <- prometheus.MustNewConstMetric(c.remaining, prometheus.GaugeValue, na.Sub(now).Seconds(), kc.Key)
	}
}
