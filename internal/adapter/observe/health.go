package observe

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Healthz answers 200 while the process serves HTTP: liveness only.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
}

// Readiness answers /readyz: 200 when the probe (the security server
// answering) last succeeded, 503 otherwise. The probe runs at most once per
// Interval; requests in between get the cached result, so a scraping load
// balancer cannot flood the security server.
type Readiness struct {
	Probe    func(ctx context.Context) error
	Interval time.Duration // default 10 s
	Timeout  time.Duration // one probe's limit; default 5 s
	Logger   *zap.Logger

	mu      sync.Mutex
	checked time.Time
	err     error
	down    bool // shutting down: never ready again
}

// SetShuttingDown makes /readyz answer 503 from now on, so load balancers
// stop sending new work while in-flight checks finish.
func (r *Readiness) SetShuttingDown() {
	r.mu.Lock()
	r.down = true
	r.mu.Unlock()
}

func (r *Readiness) state(ctx context.Context) (ok bool, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return false, "shutting down"
	}
	iv := r.Interval
	if iv <= 0 {
		iv = 10 * time.Second
	}
	if r.checked.IsZero() || time.Since(r.checked) >= iv {
		to := r.Timeout
		if to <= 0 {
			to = 5 * time.Second
		}
		pctx, cancel := context.WithTimeout(ctx, to)
		err := r.Probe(pctx)
		cancel()
		if err != nil && (r.err == nil || r.checked.IsZero()) && r.Logger != nil {
			r.Logger.Warn("security server not reachable", zap.Error(err))
		}
		r.checked, r.err = time.Now(), err
	}
	if r.err != nil {
		return false, "security server not reachable"
	}
	return true, ""
}

// ServeHTTP implements http.Handler.
func (r *Readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ok, reason := r.state(req.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "reason": reason})
		return
	}
	w.Write([]byte(`{"status":"ready"}` + "\n"))
}
