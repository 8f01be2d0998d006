package ssapitest

import (
	"context"
	"sync"
	"time"
)

// Sleeper stands in for a client's wait between retries (the Sleep option
// of internal/catalog/ssapi and register): it records every wait asked for
// and returns at once, so a test checks the back-off without spending it.
type Sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

// Sleep records d and returns nil.
func (s *Sleeper) Sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return nil
}

// Waits returns the waits asked for so far, in order.
func (s *Sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}
