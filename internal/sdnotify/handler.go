package sdnotify

import (
	"net/http"
	"sync/atomic"
)

// Swappable is an http.Handler whose target can be replaced while it
// serves: a request runs to completion on the handler it started with,
// later requests use the new one. A reload builds the new gateway
// (mappings, callers) aside and swaps it in, so no in-flight check is
// dropped or sees half a configuration.
type Swappable struct {
	h atomic.Pointer[http.Handler]
}

// NewSwappable serves h until the first Swap.
func NewSwappable(h http.Handler) *Swappable {
	s := &Swappable{}
	s.Swap(h)
	return s
}

// Swap makes h serve every request that starts from now on.
func (s *Swappable) Swap(h http.Handler) { s.h.Store(&h) }

// ServeHTTP hands the request to the current handler.
func (s *Swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }
