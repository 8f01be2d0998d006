package opmon_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
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
	b.Run("parse-and-aggregate", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		metrics, _ := opmon.NewMetrics(opmon.MetricsOptions{Registerer: reg})
		sla, _ := opmon.NewSLA(opmon.SLAOptions{Registerer: reg, Now: func() time.Time { return time.Unix(1604420300, 0) }})
		b.ReportAllocs()
		for b.Loop() {
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
		perSec(b)
	})
}
