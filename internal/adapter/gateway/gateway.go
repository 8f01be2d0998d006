// Package gateway is the portal-facing HTTP API of the supplier-check
// gateway: the four single-check endpoints, POST /v1/supplier-checks (the
// checks of one supplier) and POST /v1/tender-checks (the suppliers of a
// tender/lot), both with partial results, and /openapi.json.
//
// Every request gets an identity (X-Request-Id and W3C traceparent,
// accepted or generated, echoed, in every log line, the journal/signed
// record and the evidence). Input is read one way only: repeated
// single-valued headers, duplicate or case-variant JSON keys, unusable
// header values and non-canonical paths are refused before any call. It
// authenticates callers (API key or TLS client certificate), applies each
// caller's rate limit and concurrency quota, requires the authorised
// officer (X-User-Id), validates INN/PIN, enforces each caller's allowed
// checks and hands the work to a Checker (adapter.Runner). POSTs honour
// Idempotency-Key. Every error is an RFC 9457 problem (adapter/problem)
// with detail in ky, ru or en by Accept-Language.
package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/adapter/portalapi"
	"github.com/tunduk-kg/tunduk/adapter/problem"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
	"github.com/tunduk-kg/tunduk/internal/adapter/kgid"
	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
)

// Checker runs one check; adapter.Runner implements it.
type Checker interface {
	Run(ctx context.Context, req adapter.Request) (*adapter.Result, error)
}

// Header names of the portal API.
const (
	HeaderUserID = "X-User-Id"
	HeaderIssue  = "X-Issue"
)

// MaxIssueLen bounds X-Issue.
const MaxIssueLen = 200

// Defaults of Options.
const (
	DefaultMaxInFlight         = 2048
	DefaultMaxBodyBytes        = 64 << 10
	DefaultMaxSuppliers        = 50
	DefaultTenderConcurrency   = 16
	DefaultIdempotencyWindow   = 24 * time.Hour
	DefaultIdempotencyMaxItems = 10000
)

// Options configures New.
type Options struct {
	Checker Checker
	Callers []Caller
	// MaxInFlight bounds checks running at once; beyond it checks fail fast
	// with 503 overloaded. Default 2048.
	MaxInFlight int
	// MaxBodyBytes bounds a POST body. Default 64 KiB.
	MaxBodyBytes int64
	// MaxSuppliers bounds the suppliers of one tender check. Default 50.
	MaxSuppliers int
	// TenderConcurrency bounds the checks one batch or tender check runs
	// at once (the caller's MaxConcurrentChecks bounds it further).
	// Default 16.
	TenderConcurrency int
	// IdempotencyWindow is how long a POST's answer is kept for retries
	// with the same Idempotency-Key (default 24 h); IdempotencyMaxEntries
	// bounds how many are kept (default 10000, oldest dropped first).
	IdempotencyWindow     time.Duration
	IdempotencyMaxEntries int
	// IdempotencyMaxBytes bounds the recorded answers' bytes (default
	// 64 MiB; a tender answer can be a few hundred KB).
	IdempotencyMaxBytes int64
	// Now is the clock of the idempotency window; nil means time.Now.
	Now     func() time.Time
	Metrics *observe.Metrics
	Logger  *zap.Logger
	// Ops, when set, is mounted for /metrics, /healthz and /readyz.
	Ops http.Handler
	// Receipts, when set, serves GET /v1/evidence/{recordId}.
	Receipts adapter.Receipts
}

// Gateway is the portal API handler.
type Gateway struct {
	o      Options
	auth   *authenticator
	quotas map[*Caller]*quota
	idem   *idemStore
	sem    chan struct{}
	mux    *http.ServeMux
	log    *zap.Logger
}

// New builds the API.
func New(o Options) (*Gateway, error) {
	if o.Checker == nil {
		return nil, errors.New("gateway: no Checker")
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxSuppliers <= 0 {
		o.MaxSuppliers = DefaultMaxSuppliers
	}
	if o.TenderConcurrency <= 0 {
		o.TenderConcurrency = DefaultTenderConcurrency
	}
	if o.IdempotencyWindow <= 0 {
		o.IdempotencyWindow = DefaultIdempotencyWindow
	}
	if o.IdempotencyMaxEntries <= 0 {
		o.IdempotencyMaxEntries = DefaultIdempotencyMaxItems
	}
	if o.IdempotencyMaxBytes <= 0 {
		o.IdempotencyMaxBytes = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	a, err := newAuthenticator(o.Callers)
	if err != nil {
		return nil, err
	}
	g := &Gateway{o: o, auth: a, quotas: map[*Caller]*quota{}, idem: newIdemStore(o.IdempotencyWindow, o.IdempotencyMaxEntries, o.IdempotencyMaxBytes),
		sem: make(chan struct{}, o.MaxInFlight), mux: http.NewServeMux(), log: o.Logger}
	if o.Now != nil {
		g.idem.now = o.Now
	}
	for _, c := range a.callers {
		g.quotas[c] = newQuota(c)
	}
	for _, c := range checks.All() {
		g.mux.Handle("GET "+c.Route, g.api(g.single(c)))
	}
	g.mux.Handle("POST /v1/supplier-checks", g.api(g.post(g.batch)))
	g.mux.Handle("POST /v1/tender-checks", g.api(g.post(g.tender)))
	if o.Receipts != nil {
		g.mux.Handle("GET /v1/evidence/{recordId}", g.api(g.evidence))
	}
	g.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(portalapi.JSON)
	})
	if o.Ops != nil {
		for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
			g.mux.Handle("GET "+p, o.Ops)
		}
	}
	return g, nil
}

// ServeHTTP implements http.Handler: request identity, canonical path,
// routing (unknown routes and methods as problems), then the access log
// line with the request id and the X-Road message ids of its exchanges.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ri, idErr := identify(r)
	ri.lang = problem.Negotiate(r.Header.Get("Accept-Language"))
	w.Header().Set(HeaderRequestID, ri.id)
	w.Header().Set(HeaderTraceParent, ri.traceParent)
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))
	sw := &statusWriter{ResponseWriter: w}
	var err error
	pattern := "unmatched"
	switch {
	case idErr != nil:
		err = idErr
	case !cleanPath(r.URL.Path):
		err = adapter.BadRequest("invalid_path", "path", "the path must be in canonical form, without empty, \".\" or \"..\" segments")
	default:
		_, pattern = g.mux.Handler(r)
		if pattern == "" {
			err, pattern = g.unmatched(sw, r), "unmatched"
		} else {
			g.mux.ServeHTTP(sw, r)
		}
	}
	if err != nil {
		adapter.WriteError(sw, err, ri.lang, ri.id)
	}
	g.o.Metrics.ObserveHTTP(pattern, sw.code(), time.Since(start))
	g.access(r, ri, sw.code(), time.Since(start), err)
}

// unmatched answers a request no route takes: 405 with Allow when the
// path exists with other methods, else 404 no-route.
func (g *Gateway) unmatched(w http.ResponseWriter, r *http.Request) error {
	rec := &probe{}
	g.mux.ServeHTTP(rec, r)
	if a := rec.Header().Get("Allow"); a != "" && rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", a)
		return &adapter.RequestError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: "the method is not allowed on this path; see the Allow header"}
	}
	return &adapter.RequestError{Status: http.StatusNotFound, Code: "not_found_route",
		Message: "no such route; the routes are listed in /openapi.json"}
}

// access writes the request's log line.
func (g *Gateway) access(r *http.Request, ri *reqInfo, status int, d time.Duration, err error) {
	ri.mu.Lock()
	caller, officer := ri.caller, ri.officer
	ri.mu.Unlock()
	fields := []zap.Field{zap.String("requestId", ri.id), zap.String("traceparent", ri.traceParent),
		zap.Strings("messageIds", ri.messageIDs()), zap.String("method", r.Method), zap.String("path", maskedPath(r.URL.Path)),
		zap.Int("status", status), zap.Duration("duration", d), zap.String("remote", r.RemoteAddr)}
	if caller != "" {
		fields = append(fields, zap.String("caller", caller), zap.String("officer", kgid.Mask(officer)))
	}
	if err != nil && status >= 500 {
		g.log.Warn("portal request failed", append(fields, zap.Error(err))...)
	} else {
		g.log.Info("portal request", fields...)
	}
}

// maskedPath masks the identifier segments of a check path.
func maskedPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if i > 0 && (segs[i-1] == "suppliers" || segs[i-1] == "persons") {
			segs[i] = kgid.Mask(s)
		}
	}
	return strings.Join(segs, "/")
}

// probe captures what the mux would answer for an unmatched request.
type probe struct {
	h      http.Header
	status int
}

func (p *probe) Header() http.Header {
	if p.h == nil {
		p.h = http.Header{}
	}
	return p.h
}
func (p *probe) Write(b []byte) (int, error) { return len(b), nil }
func (p *probe) WriteHeader(s int)           { p.status = s }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(c int) {
	if s.status == 0 {
		s.status = c
	}
	s.ResponseWriter.WriteHeader(c)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// call is an authenticated request with its officer.
type call struct {
	caller  *Caller
	quota   *quota
	officer string
	issue   string
	info    *reqInfo
}

// request is the adapter.Request of a check made by this call.
func (c *call) request(check string) adapter.Request {
	return adapter.Request{Check: check, Caller: c.caller.Name, OfficerPIN: c.officer, Issue: c.issue,
		RequestID: c.info.id, TraceParent: c.info.traceParent}
}

// api checks the headers, authenticates the caller, applies its rate
// limit and reads the officer headers, then runs h; any error is written
// as a problem.
func (g *Gateway) api(h func(http.ResponseWriter, *http.Request, *call) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := info(r.Context())
		if r.Method == http.MethodHead {
			// ServeMux routes HEAD to GET patterns. A HEAD (link checker,
			// probe) must never run a state query on an officer's behalf.
			refuseHead(w, r, ri)
			return
		}
		c, err := g.prepare(r, ri)
		if err == nil {
			err = h(w, r, c)
		}
		status := http.StatusOK
		var written errWritten
		if err != nil && !errors.As(err, &written) {
			status = adapter.WriteError(w, err, ri.lang, ri.id)
		} else if sw, ok := w.(*statusWriter); ok {
			status = sw.code()
		}
		if p := adapter.Problem(err); err != nil && p.Status == http.StatusTooManyRequests && c != nil {
			g.o.Metrics.CallerLimited(c.caller.Name, p.Code)
		}
		if c != nil {
			g.o.Metrics.ObserveCaller(c.caller.Name, status)
		}
	})
}

// refuseHead answers a HEAD on a check route 405 with the methods that do
// run it, before authentication and without any side effect.
func refuseHead(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	allow := http.MethodGet
	if r.URL.Path == "/v1/supplier-checks" || r.URL.Path == "/v1/tender-checks" {
		allow = http.MethodPost
	}
	w.Header().Set("Allow", allow)
	adapter.WriteError(w, &adapter.RequestError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
		Message: "HEAD does not run checks: a check is a state query on the officer's behalf; use " + allow}, ri.lang, ri.id)
}

func (g *Gateway) prepare(r *http.Request, ri *reqInfo) (*call, error) {
	if err := checkHeaders(r.Header); err != nil {
		return nil, err
	}
	caller, err := g.auth.authenticate(r)
	if err != nil {
		return nil, err
	}
	ri.mu.Lock()
	ri.caller = caller.Name
	ri.mu.Unlock()
	q := g.quotas[caller]
	if err := q.admit(time.Now()); err != nil {
		return &call{caller: caller, quota: q, info: ri}, err
	}
	officer := r.Header.Get(HeaderUserID)
	if officer == "" {
		return nil, adapter.BadRequest("missing_user_id", HeaderUserID,
			"%s is required: the PIN of the authorised officer making the request (anonymous Tunduk requests are not allowed)", HeaderUserID)
	}
	if err := kgid.ValidatePIN(officer); err != nil {
		return nil, adapter.InvalidID(HeaderUserID, err)
	}
	ri.mu.Lock()
	ri.officer = officer
	ri.mu.Unlock()
	issue := r.Header.Get(HeaderIssue)
	if err := validIssue(HeaderIssue, issue); err != nil {
		return nil, err
	}
	return &call{caller: caller, quota: q, officer: officer, issue: issue, info: ri}, nil
}

func validIssue(field, issue string) error {
	if len(issue) > MaxIssueLen || strings.IndexFunc(issue, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }) >= 0 {
		return adapter.BadRequest("invalid_issue", field, "%s must be at most %d characters of valid UTF-8 without control characters", field, MaxIssueLen)
	}
	return nil
}

func (g *Gateway) single(c checks.Check) func(http.ResponseWriter, *http.Request, *call) error {
	return func(w http.ResponseWriter, r *http.Request, cl *call) error {
		req := cl.request(c.Name)
		switch c.Subject {
		case checks.Organisation:
			req.INN = r.PathValue("inn")
			if err := kgid.ValidateINN(req.INN); err != nil {
				return adapter.InvalidID("inn", err)
			}
		case checks.Person:
			req.PIN = r.PathValue("pin")
			if err := kgid.ValidatePIN(req.PIN); err != nil {
				return adapter.InvalidID("pin", err)
			}
		}
		if !cl.caller.allowed(c.Name) {
			return forbidden(cl.caller, []string{c.Name})
		}
		_, release, err := cl.quota.slots(1)
		if err != nil {
			return err
		}
		defer release()
		res, err := g.run(r.Context(), cl, req)
		if err != nil {
			return err
		}
		adapter.WriteResult(w, http.StatusOK, res)
		return nil
	}
}

// run bounds concurrency and runs one check. Not-found answers become a
// KindNotFound error so single-check endpoints answer 404 with evidence
// (and batch entries carry the same problem).
func (g *Gateway) run(ctx context.Context, cl *call, req adapter.Request) (*adapter.Result, error) {
	select {
	case g.sem <- struct{}{}:
	default:
		return nil, &adapter.CheckError{Check: req.Check, Kind: adapter.KindOverloaded, RetryAfter: time.Second}
	}
	defer func() { <-g.sem }()
	defer g.o.Metrics.CallerCheckStarted(cl.caller.Name)()
	res, err := g.o.Checker.Run(ctx, req)
	var ev *adapter.Evidence
	var ce *adapter.CheckError
	switch {
	case res != nil:
		ev = res.Evidence
	case errors.As(err, &ce):
		ev = ce.Evidence
	}
	if ev != nil {
		cl.info.addMessage(ev.MessageID)
	}
	if err != nil {
		return nil, err
	}
	if res.Status == adapter.StatusNotFound {
		return nil, &adapter.CheckError{Check: req.Check, Kind: adapter.KindNotFound, Code: res.Evidence.ProviderCode, Evidence: res.Evidence}
	}
	return res, nil
}
