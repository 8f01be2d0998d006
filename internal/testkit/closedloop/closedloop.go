// Package closedloop drives a closed-loop load for benchmarks: a fixed
// number of callers, each starting its next operation only once the
// previous one has returned, as a gateway's requests in flight each wait
// for their message-log append. Such a load's rate is set by Little's law
// — callers ÷ the time of one operation — so a store that makes each
// caller wait longer (a group-commit window, an fsync, a core taken by
// background work) loses rate even when its cores are idle; an open-loop
// load (operations at a set rate) would hide that. Run records each
// operation's time, so benchmarks report the latency beside the rate.
package closedloop

import (
	"slices"
	"sync"
	"time"
)

// Result is what Run measured.
type Result struct {
	// Elapsed is the wall time from the first operation's start to the
	// last one's return.
	Elapsed time.Duration
	// Latencies holds the time of each operation, sorted.
	Latencies []time.Duration
}

// Rate is operations per second.
func (r Result) Rate() float64 { return float64(len(r.Latencies)) / r.Elapsed.Seconds() }

// Quantile is the q-quantile (0 ≤ q ≤ 1) of the operations' times.
func (r Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[min(len(r.Latencies)-1, int(q*float64(len(r.Latencies))))]
}

// Run calls op(i) for i in 0..n-1 from callers goroutines, caller c taking
// i = c, c+callers, c+2·callers, …, one at a time. A caller whose op fails
// stops; Run returns the first error after the others are done.
func Run(callers, n int, op func(i int) error) (Result, error) {
	lat := make([]time.Duration, n)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	start := time.Now()
	for c := 0; c < min(callers, n); c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += callers {
				t := time.Now()
				if err := op(i); err != nil {
					errOnce.Do(func() { first = err })
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), Latencies: lat}
	slices.Sort(res.Latencies)
	return res, first
}
