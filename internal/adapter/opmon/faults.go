package opmon

import (
	"slices"
	"sync"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
)

// FaultHistory counts failed exchanges by fault code in fixed time
// buckets (by monitoringDataTs), for "fault codes over time". It keeps
// the last Buckets buckets and at most MaxCodes codes (the rest count as
// "other"). It is an Observer.
type FaultHistory struct {
	mu       sync.Mutex
	bucket   int64 // seconds
	n        int
	maxCodes int
	counts   map[int64]map[string]int // bucket start → code → count
	codes    map[string]bool
}

// NewFaultHistory keeps buckets of the given width (default 5m), n of
// them (default 288: a day of 5 minutes), and up to maxCodes codes
// (default 10).
func NewFaultHistory(width time.Duration, n, maxCodes int) *FaultHistory {
	if width < time.Second {
		width = 5 * time.Minute
	}
	if n <= 0 {
		n = 288
	}
	if maxCodes <= 0 {
		maxCodes = 10
	}
	return &FaultHistory{bucket: int64(width / time.Second), n: n, maxCodes: maxCodes, counts: map[int64]map[string]int{}, codes: map[string]bool{}}
}

// Observe counts a failed record.
func (f *FaultHistory) Observe(r *Record) {
	if r.Succeeded {
		return
	}
	code := soap.NormalizeFaultCode(r.FaultCode())
	if code == "" {
		code = "unknown"
	}
	start := r.MonitoringDataTs - r.MonitoringDataTs%f.bucket
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.codes[code] {
		if len(f.codes) >= f.maxCodes {
			code = OtherValue
		}
		f.codes[code] = true
	}
	b := f.counts[start]
	if b == nil {
		b = map[string]int{}
		f.counts[start] = b
		f.trim(start)
	}
	b[code]++
}

// trim drops buckets older than n widths before the newest. Caller locks.
func (f *FaultHistory) trim(newest int64) {
	for k := range f.counts {
		if k <= newest-int64(f.n)*f.bucket {
			delete(f.counts, k)
		}
	}
}

// ObserveHealth does nothing.
func (f *FaultHistory) ObserveHealth(*Health) {}

// FaultBucket is one bucket of the history.
type FaultBucket struct {
	Start  time.Time
	Counts map[string]int
}

// Snapshot returns the buckets from the oldest to now (empty ones
// included) and the codes seen, sorted.
func (f *FaultHistory) Snapshot(now time.Time) (buckets []FaultBucket, codes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := now.Unix() - now.Unix()%f.bucket
	for i := f.n - 1; i >= 0; i-- {
		start := end - int64(i)*f.bucket
		counts := map[string]int{}
		for c, n := range f.counts[start] {
			counts[c] = n
		}
		buckets = append(buckets, FaultBucket{Start: time.Unix(start, 0).UTC(), Counts: counts})
	}
	for c := range f.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return buckets, codes
}
