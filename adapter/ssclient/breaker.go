package ssclient

import (
	"sync"
	"time"
)

// BreakerState is the state of a per-service circuit breaker.
type BreakerState int

// Breaker states. The numeric values are what a metric gauge should export.
const (
	BreakerClosed   BreakerState = 0 // calls flow; consecutive failures are counted
	BreakerOpen     BreakerState = 1 // calls fail fast with *BreakerOpenError
	BreakerHalfOpen BreakerState = 2 // a limited number of trial calls decide
)

func (s BreakerState) String() string {
	switch s {
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "closed"
}

// BreakerOptions configure the per-service circuit breaker.
type BreakerOptions struct {
	// Disabled turns the breaker off.
	Disabled bool
	// FailureThreshold is how many consecutive failures open the breaker
	// (default 5).
	FailureThreshold int
	// OpenFor is how long it stays open before letting trial calls through
	// (default 30s).
	OpenFor time.Duration
	// HalfOpenMax is how many trial calls may be in flight while half-open
	// (default 1). One success closes the breaker, one failure reopens it.
	HalfOpenMax int
	// OnStateChange, when set, is called on every transition (outside the
	// breaker's lock), e.g. to log or count.
	OnStateChange func(service string, from, to BreakerState)
	// Now is the breakers' clock; nil means time.Now. Tests pass a clock
	// they move by hand instead of sleeping through OpenFor.
	Now func() time.Time
}

func (o *BreakerOptions) defaults() {
	if o.FailureThreshold <= 0 {
		o.FailureThreshold = 5
	}
	if o.OpenFor <= 0 {
		o.OpenFor = 30 * time.Second
	}
	if o.HalfOpenMax <= 0 {
		o.HalfOpenMax = 1
	}
}

// breaker is one service's circuit breaker.
type breaker struct {
	service string
	opts    *BreakerOptions
	now     func() time.Time

	mu       sync.Mutex
	state    BreakerState
	failures int
	openedAt time.Time
	trials   int // in flight while half-open
}

// allow reports whether a call may proceed; trial reports that the call is a
// half-open trial, which the caller must finish with done.
func (b *breaker) allow() (trial bool, err error) {
	if b.opts.Disabled {
		return false, nil
	}
	b.mu.Lock()
	var from BreakerState
	changed := false
	defer func() {
		b.mu.Unlock()
		if changed {
			b.notify(from, BreakerHalfOpen)
		}
	}()
	switch b.state {
	case BreakerClosed:
		return false, nil
	case BreakerOpen:
		wait := b.openedAt.Add(b.opts.OpenFor).Sub(b.now())
		if wait > 0 {
			return false, &BreakerOpenError{Service: b.service, RetryAfter: wait}
		}
		from, changed = b.state, true
		b.state, b.trials = BreakerHalfOpen, 0
	}
	if b.trials >= b.opts.HalfOpenMax {
		return false, &BreakerOpenError{Service: b.service, RetryAfter: b.opts.OpenFor / 10}
	}
	b.trials++
	return true, nil
}

// done records a call's outcome. Calls that were neither a success nor a
// failure of the service (e.g. canceled by the caller, or a client error)
// pass neutral = true.
func (b *breaker) done(trial, failed, neutral bool) {
	if b.opts.Disabled {
		return
	}
	b.mu.Lock()
	from := b.state
	if trial {
		b.trials--
	}
	switch {
	case neutral:
	case failed:
		b.failures++
		if b.state == BreakerHalfOpen || (b.state == BreakerClosed && b.failures >= b.opts.FailureThreshold) {
			b.state, b.openedAt = BreakerOpen, b.now()
		}
	default:
		b.failures = 0
		if b.state == BreakerHalfOpen {
			b.state = BreakerClosed
		}
	}
	to := b.state
	b.mu.Unlock()
	if from != to {
		b.notify(from, to)
	}
}

func (b *breaker) notify(from, to BreakerState) {
	if b.opts.OnStateChange != nil {
		b.opts.OnStateChange(b.service, from, to)
	}
}

func (b *breaker) current() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && !b.now().Before(b.openedAt.Add(b.opts.OpenFor)) {
		return BreakerHalfOpen // the next call will be a trial
	}
	return b.state
}
