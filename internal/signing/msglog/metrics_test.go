package msglog_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// TestBackpressureAndMetrics fills a queue of one with 200 concurrent
// appends that wait at most a microsecond for room: some are refused with ErrBackpressure (what the gateway turns
// into 503), the rest are durable, and the metrics count both.
func TestBackpressureAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	l := openLog(t, t.TempDir(), func(o *msglog.Options) { o.QueueSize, o.QueueWait, o.Registerer = 1, time.Microsecond, reg })
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, pressured := 0, 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := l.Append(context.Background(), exchange(i, "central-server/GOV/70000001/portal"))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, msglog.ErrBackpressure):
				pressured++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok == 0 || pressured == 0 {
		t.Fatalf("ok=%d backpressure=%d; want both", ok, pressured)
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	mfs, _ := reg.Gather()
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[mf.GetName()] += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				got[mf.GetName()] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				got[mf.GetName()+"_count"] += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	if got["tunduk_msglog_records_total"] != float64(ok) || got["tunduk_msglog_append_errors_total"] != float64(pressured) ||
		got["tunduk_msglog_sealed_records_total"] != float64(ok) || got["tunduk_msglog_archives_total"] != 1 ||
		got["tunduk_msglog_fsyncs_total"] < 1 || got["tunduk_msglog_pending_records"] != 0 ||
		got["tunduk_msglog_append_duration_seconds_count"] != float64(ok) { // one append-to-durable latency per durable record

		t.Fatalf("metrics %v (ok=%d, backpressure=%d)", got, ok, pressured)
	}
}
