package gateway

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/tunduk-kg/tunduk/adapter/problem"
	"github.com/tunduk-kg/tunduk/internal/adapter"
)

// quota enforces one caller's limits: a token bucket on API requests that
// run checks, and a bound on the caller's checks in flight. Either limit
// exceeded answers 429 with Retry-After; nothing reaches Tunduk.
type quota struct {
	name    string
	limiter *rate.Limiter       // nil: no rate limit
	checks  *semaphore.Weighted // nil: no concurrency quota
	max     int64
}

func newQuota(c *Caller) *quota {
	q := &quota{name: c.Name}
	if c.RequestsPerSecond > 0 {
		burst := c.Burst
		if burst <= 0 {
			burst = int(math.Max(1, math.Ceil(c.RequestsPerSecond)))
		}
		q.limiter = rate.NewLimiter(rate.Limit(c.RequestsPerSecond), burst)
	}
	if c.MaxConcurrentChecks > 0 {
		q.max = int64(c.MaxConcurrentChecks)
		q.checks = semaphore.NewWeighted(q.max)
	}
	return q
}

// admit takes one request token or says how long to wait.
func (q *quota) admit(now time.Time) error {
	if q.limiter == nil {
		return nil
	}
	r := q.limiter.ReserveN(now, 1)
	if !r.OK() {
		return limited("rate_limited", q.name, time.Second, "caller %q exceeded its rate limit", q.name)
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return limited("rate_limited", q.name, d, "caller %q exceeded its rate limit of %g requests per second; retry after the Retry-After seconds",
			q.name, float64(q.limiter.Limit()))
	}
	return nil
}

// slots reserves up to want check slots and returns how many it got (at
// least one; a batch or tender check then runs that many at a time) and
// the function that releases them. A caller with no free slot is refused
// with 429.
func (q *quota) slots(want int) (int, func(), error) {
	if q.checks == nil {
		return want, func() {}, nil
	}
	for n := min(int64(want), q.max); n >= 1; n-- {
		if q.checks.TryAcquire(n) {
			return int(n), func() { q.checks.Release(n) }, nil
		}
	}
	return 0, nil, limited("concurrency_limited", q.name, time.Second,
		"caller %q already has %d checks in flight, its quota", q.name, q.max)
}

func limited(code, caller string, after time.Duration, format string, args ...any) *adapter.RequestError {
	return &adapter.RequestError{Status: http.StatusTooManyRequests, Code: code, Type: problem.RateLimited,
		Message: fmt.Sprintf(format, args...), RetryAfter: max(after, time.Second)}
}
