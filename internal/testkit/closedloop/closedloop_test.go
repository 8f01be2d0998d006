package closedloop_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/testkit/closedloop"
)

// TestRun: every operation runs once, no caller has two in flight, and
// the rate follows Little's law (callers ÷ operation time).
func TestRun(t *testing.T) {
	const callers, n, d = 8, 80, 5 * time.Millisecond
	var seen [n]atomic.Int32
	var inFlight, most atomic.Int32
	res, err := closedloop.Run(callers, n, func(i int) error {
		seen[i].Add(1)
		k := inFlight.Add(1)
		for m := most.Load(); k > m && !most.CompareAndSwap(m, k); m = most.Load() {
		}
		time.Sleep(d)
		inFlight.Add(-1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("op %d ran %d times", i, c)
		}
	}
	if m := most.Load(); m > callers {
		t.Fatalf("%d operations in flight, callers %d", m, callers)
	}
	if len(res.Latencies) != n || res.Quantile(0) < d {
		t.Fatalf("%d latencies, lowest %v (each op sleeps %v)", len(res.Latencies), res.Quantile(0), d)
	}
	// Little's law: at most callers/d operations per second.
	if limit := float64(callers) / d.Seconds(); res.Rate() > limit {
		t.Fatalf("rate %.0f/s above callers/latency %.0f/s", res.Rate(), limit)
	}
}

func TestRunError(t *testing.T) {
	boom := errors.New("boom")
	_, err := closedloop.Run(4, 100, func(i int) error {
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}
