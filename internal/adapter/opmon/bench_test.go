package opmon_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/soap"
)

// BenchmarkPage parses and aggregates the X-Road Metrics page of 5230
// records (multipart answer → gzip JSON → metrics and SLA), beside the
// baseline of a plain encoding/json decode of the same gzip payload into
// []Record, in the same run. Compare records/s and allocs/op as ratios.
func BenchmarkPage(b *testing.B) {
	body, ct := fixture(b, "metrics_response1.dat")
	m, err := soap.ParseBytes(body, ct, soap.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	rc, _ := m.Attachment("operational-monitoring-data.json.gz").Open()
	gz, _ := io.ReadAll(rc)
	rc.Close()
	m.Close()
	const n = 5230
	perSec := func(b *testing.B) { b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s") }

	b.Run("encoding-json-baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			zr, _ := gzip.NewReader(bytes.NewReader(gz))
			var doc struct{ Records []opmon.Record }
			if err := json.NewDecoder(zr).Decode(&doc); err != nil || len(doc.Records) != n {
				b.Fatal(err, len(doc.Records))
			}
		}
		perSec(b)
	})
	b.Run("decode-records", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k, err := opmon.DecodeRecords(bytes.NewReader(gz), opmon.Limits{}, func(*opmon.Record) error { return nil })
			if err != nil || k != n {
				b.Fatal(err, k)
			}
		}
		perSec(b)
	})
	newAggregate := func(b *testing.B) func() {
		reg := prometheus.NewRegistry()
		metrics, _ := opmon.NewMetrics(opmon.MetricsOptions{Registerer: reg})
		sla, _ := opmon.NewSLA(opmon.SLAOptions{Registerer: reg, Now: func() time.Time { return time.Unix(1604420300, 0) }})
		return func() {
			m, err := soap.ParseBytes(body, ct, soap.Limits{})
			if err != nil {
				b.Fatal(err)
			}
			p, err := opmon.ReadOperationalData(m, opmon.Limits{}, func(r *opmon.Record) error {
				metrics.Observe(r)
				sla.Observe(r)
				return nil
			})
			m.Close()
			if err != nil || p.RecordsCount != n {
				b.Fatal(err)
			}
			sla.Evaluate()
		}
	}
	baseline := func() {
		zr, _ := gzip.NewReader(bytes.NewReader(gz))
		var doc struct{ Records []opmon.Record }
		if err := json.NewDecoder(zr).Decode(&doc); err != nil || len(doc.Records) != n {
			b.Fatal(err, len(doc.Records))
		}
	}
	b.Run("parse-and-aggregate", func(b *testing.B) {
		aggregate := newAggregate(b)
		b.ReportAllocs()
		for b.Loop() {
			aggregate()
		}
		perSec(b)
	})
	// The ratio, measured in one loop: each iteration runs the plain
	// encoding/json decode and then the whole parse-and-aggregate, timing
	// and counting the allocations of each, so machine load weighs on both
	// alike (each starts on a collected heap). x-json-time,
	// x-json-allocs and x-json-bytes are ours over the baseline.
	b.Run("ratio-vs-encoding-json", func(b *testing.B) {
		aggregate := newAggregate(b)
		var ms runtime.MemStats
		var baseT, oursT time.Duration
		var baseA, oursA, baseB, oursB uint64
		measure := func(f func(), d *time.Duration, allocs, bytes *uint64) {
			runtime.GC() // neither pays for the other's garbage
			runtime.ReadMemStats(&ms)
			m0, b0, t0 := ms.Mallocs, ms.TotalAlloc, time.Now()
			f()
			*d += time.Since(t0)
			runtime.ReadMemStats(&ms)
			*allocs += ms.Mallocs - m0
			*bytes += ms.TotalAlloc - b0
		}
		for b.Loop() {
			measure(baseline, &baseT, &baseA, &baseB)
			measure(aggregate, &oursT, &oursA, &oursB)
		}
		b.ReportMetric(float64(oursB)/float64(baseB), "x-json-bytes")
		b.ReportMetric(float64(oursT)/float64(baseT), "x-json-time")
		b.ReportMetric(float64(oursA)/float64(baseA), "x-json-allocs")
		b.ReportMetric(float64(n*b.N)/oursT.Seconds(), "records/s")
		b.ReportMetric(float64(n*b.N)/baseT.Seconds(), "json-records/s")
	})
}
