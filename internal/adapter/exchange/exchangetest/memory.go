// Package exchangetest is an in-memory exchange.Recorder for tests of the
// gateway and the provider that look at what was recorded, not at how it
// is stored (the signed message log's own tests cover that).
package exchangetest

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
)

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("exchangetest: recorder closed")

// Memory keeps recorded exchanges in memory; ids are "mem:<n>" from 1.
type Memory struct {
	mu     sync.Mutex
	recs   []exchange.Exchange
	closed bool
}

// Record keeps a copy of x.
func (m *Memory) Record(_ context.Context, x *exchange.Exchange) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return "", ErrClosed
	}
	m.recs = append(m.recs, *x)
	return "mem:" + strconv.Itoa(len(m.recs)), nil
}

// Close makes every later Record fail (a log that can no longer take
// records).
func (m *Memory) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

// Exchanges returns the recorded exchanges in order.
func (m *Memory) Exchanges() []exchange.Exchange {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]exchange.Exchange(nil), m.recs...)
}

// ByID returns the recorded exchanges by record id.
func (m *Memory) ByID() map[string]*exchange.Exchange {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]*exchange.Exchange, len(m.recs))
	for i := range m.recs {
		x := m.recs[i]
		out["mem:"+strconv.Itoa(i+1)] = &x
	}
	return out
}
