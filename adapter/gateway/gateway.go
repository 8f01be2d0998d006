// Package gateway is the portal-facing HTTP API of the supplier-check
// gateway: the four single-check endpoints, POST /v1/supplier-checks
// running several checks concurrently with partial results, and
// /openapi.json. It authenticates callers (API key or TLS client
// certificate), requires the authorised officer (X-User-Id), validates
// INN/PIN, enforces each caller's allowed checks and hands the work to a
// Checker (adapter.Runner). Errors are rendered by adapter.WriteError.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/adapter"
	"github.com/tunduk-kg/tunduk/adapter/checks"
	"github.com/tunduk-kg/tunduk/adapter/kgid"
	"github.com/tunduk-kg/tunduk/adapter/observe"
	"github.com/tunduk-kg/tunduk/adapter/portalapi"
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

// Options configures New.
type Options struct {
	Checker Checker
	Callers []Caller
	// MaxInFlight bounds checks running at once; beyond it checks fail fast
	// with 503 overloaded. Default 2048.
	MaxInFlight int
	// MaxBodyBytes bounds a POST body. Default 64 KiB.
	MaxBodyBytes int64
	Metrics      *observe.Metrics
	Logger       *zap.Logger
	// Ops, when set, is mounted for /metrics, /healthz and /readyz.
	Ops http.Handler
}

// Gateway is the portal API handler.
type Gateway struct {
	o    Options
	auth *authenticator
	sem  chan struct{}
	mux  *http.ServeMux
	log  *zap.Logger
}

// New builds the API.
func New(o Options) (*Gateway, error) {
	if o.Checker == nil {
		return nil, errors.New("gateway: no Checker")
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 2048
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	a, err := newAuthenticator(o.Callers)
	if err != nil {
		return nil, err
	}
	g := &Gateway{o: o, auth: a, sem: make(chan struct{}, o.MaxInFlight), mux: http.NewServeMux(), log: o.Logger}
	for _, c := range checks.All() {
		g.mux.Handle("GET "+c.Route, g.api(g.single(c)))
	}
	g.mux.Handle("POST /v1/supplier-checks", g.api(g.batch))
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

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	var h http.Handler = g.mux // routes and sets path values
	_, pattern := g.mux.Handler(r)
	if pattern == "" {
		// Unknown path or method: answer in JSON rather than the mux's text.
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &probe{}
			g.mux.ServeHTTP(rec, r)
			st := rec.status
			if st == 0 {
				st = http.StatusNotFound
			}
			if a := rec.Header().Get("Allow"); a != "" {
				w.Header().Set("Allow", a)
			}
			code := "not_found"
			if st == http.StatusMethodNotAllowed {
				code = "method_not_allowed"
			}
			adapter.WriteError(w, &adapter.RequestError{Status: st, Code: code, Message: http.StatusText(st)})
		})
		pattern = "unmatched"
	}
	h.ServeHTTP(sw, r)
	g.o.Metrics.ObserveHTTP(pattern, sw.code(), time.Since(start))
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
	officer string
	issue   string
}

// api authenticates the caller and reads the officer headers, then runs h.
func (g *Gateway) api(h func(http.ResponseWriter, *http.Request, *call) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			// ServeMux routes HEAD to GET patterns. A HEAD (link checker,
			// probe) must never run a state query on an officer's behalf.
			refuseHead(w, r)
			return
		}
		start := time.Now()
		c, err := g.prepare(r)
		if err == nil {
			err = h(w, r, c)
		}
		status := http.StatusOK
		if err != nil {
			status = adapter.WriteError(w, err)
		}
		fields := []zap.Field{zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Int("status", status),
			zap.Duration("duration", time.Since(start)), zap.String("remote", r.RemoteAddr)}
		if c != nil {
			fields = append(fields, zap.String("caller", c.caller.Name), zap.String("officer", kgid.Mask(c.officer)))
		}
		if err != nil && status >= 500 {
			g.log.Warn("portal request failed", append(fields, zap.Error(err))...)
		} else {
			g.log.Info("portal request", fields...)
		}
	})
}

// refuseHead answers a HEAD on a check route 405 with the methods that do
// run it, before authentication and without any side effect.
func refuseHead(w http.ResponseWriter, r *http.Request) {
	allow := http.MethodGet
	if r.URL.Path == "/v1/supplier-checks" {
		allow = http.MethodPost
	}
	w.Header().Set("Allow", allow)
	adapter.WriteError(w, &adapter.RequestError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
		Message: "HEAD does not run checks: a check is a state query on the officer's behalf; use " + allow})
}

func (g *Gateway) prepare(r *http.Request) (*call, error) {
	caller, err := g.auth.authenticate(r)
	if err != nil {
		return nil, err
	}
	officer := r.Header.Get(HeaderUserID)
	if officer == "" {
		return nil, adapter.BadRequest("missing_user_id", HeaderUserID,
			"%s is required: the PIN of the authorised officer making the request (anonymous Tunduk requests are not allowed)", HeaderUserID)
	}
	if err := kgid.ValidatePIN(officer); err != nil {
		return nil, adapter.InvalidID(HeaderUserID, err)
	}
	issue := r.Header.Get(HeaderIssue)
	if len(issue) > MaxIssueLen || strings.IndexFunc(issue, unicode.IsControl) >= 0 {
		return nil, adapter.BadRequest("invalid_issue", HeaderIssue, "%s must be at most %d characters without control characters", HeaderIssue, MaxIssueLen)
	}
	return &call{caller: caller, officer: officer, issue: issue}, nil
}

func (g *Gateway) single(c checks.Check) func(http.ResponseWriter, *http.Request, *call) error {
	return func(w http.ResponseWriter, r *http.Request, cl *call) error {
		req := adapter.Request{Check: c.Name, Caller: cl.caller.Name, OfficerPIN: cl.officer, Issue: cl.issue}
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
		res, err := g.run(r.Context(), req)
		if err != nil {
			return err
		}
		adapter.WriteJSON(w, http.StatusOK, res)
		return nil
	}
}

// run bounds concurrency and runs one check. Not-found answers become a
// KindNotFound error so single-check endpoints answer 404 with evidence.
func (g *Gateway) run(ctx context.Context, req adapter.Request) (*adapter.Result, error) {
	select {
	case g.sem <- struct{}{}:
	default:
		return nil, &adapter.CheckError{Check: req.Check, Kind: adapter.KindOverloaded, RetryAfter: time.Second}
	}
	defer func() { <-g.sem }()
	res, err := g.o.Checker.Run(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.Status == adapter.StatusNotFound {
		return nil, &adapter.CheckError{Check: req.Check, Kind: adapter.KindNotFound, Code: res.Evidence.ProviderCode, Evidence: res.Evidence}
	}
	return res, nil
}

// BatchRequest is the body of POST /v1/supplier-checks.
type BatchRequest struct {
	INN               string   `json:"inn"`
	RepresentativePIN string   `json:"representativePin,omitempty"`
	Checks            []string `json:"checks"`
}

// BatchResult is one entry of the batch answer.
type BatchResult struct {
	Check    string             `json:"check"`
	Status   string             `json:"status"` // ok, not-found, error
	Data     map[string]any     `json:"data,omitempty"`
	Error    *adapter.ErrorInfo `json:"error,omitempty"`
	Evidence *adapter.Evidence  `json:"evidence,omitempty"`
}

// BatchResponse is the answer of POST /v1/supplier-checks.
type BatchResponse struct {
	INN               string        `json:"inn"`
	RepresentativePIN string        `json:"representativePin,omitempty"`
	Complete          bool          `json:"complete"` // every check gave ok or not-found
	Results           []BatchResult `json:"results"`
}

func (g *Gateway) batch(w http.ResponseWriter, r *http.Request, cl *call) error {
	br, err := g.readBatch(w, r)
	if err != nil {
		return err
	}
	var denied []string
	for _, name := range br.Checks {
		if !cl.caller.allowed(name) {
			denied = append(denied, name)
		}
	}
	if len(denied) > 0 {
		return forbidden(cl.caller, denied)
	}
	out := BatchResponse{INN: br.INN, RepresentativePIN: br.RepresentativePIN, Complete: true, Results: make([]BatchResult, len(br.Checks))}
	var wg sync.WaitGroup
	for i, name := range br.Checks {
		c, _ := checks.Lookup(name)
		req := adapter.Request{Check: name, Caller: cl.caller.Name, OfficerPIN: cl.officer, Issue: cl.issue,
			RepresentativePIN: br.RepresentativePIN}
		if c.Subject == checks.Person {
			req.PIN = br.RepresentativePIN
		} else {
			req.INN = br.INN
		}
		wg.Go(func() {
			res, err := g.run(r.Context(), req)
			out.Results[i] = batchResult(name, res, err)
		})
	}
	wg.Wait()
	for _, res := range out.Results {
		if res.Status == "error" {
			out.Complete = false
		}
	}
	adapter.WriteJSON(w, http.StatusOK, out)
	return nil
}

func batchResult(name string, res *adapter.Result, err error) BatchResult {
	if err == nil {
		return BatchResult{Check: name, Status: string(res.Status), Data: res.Data, Evidence: res.Evidence}
	}
	_, _, body := adapter.HTTPError(err)
	if body.Error.Code == string(adapter.KindNotFound) {
		return BatchResult{Check: name, Status: string(adapter.StatusNotFound), Evidence: body.Evidence}
	}
	return BatchResult{Check: name, Status: "error", Error: &body.Error, Evidence: body.Evidence}
}

func (g *Gateway) readBatch(w http.ResponseWriter, r *http.Request) (*BatchRequest, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, &adapter.RequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send the body as application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, g.o.MaxBodyBytes))
	dec.DisallowUnknownFields()
	var br BatchRequest
	if err := dec.Decode(&br); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &adapter.RequestError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("the body exceeds %d bytes", mbe.Limit)}
		}
		return nil, adapter.BadRequest("invalid_json", "", "the body is not the expected JSON object {inn, representativePin?, checks: [...]}: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, adapter.BadRequest("invalid_json", "", "the body must hold one JSON object")
	}
	if err := kgid.ValidateINN(br.INN); err != nil {
		return nil, adapter.InvalidID("inn", err)
	}
	if br.RepresentativePIN != "" {
		if err := kgid.ValidatePIN(br.RepresentativePIN); err != nil {
			return nil, adapter.InvalidID("representativePin", err)
		}
	}
	if len(br.Checks) == 0 {
		return nil, adapter.BadRequest("missing_checks", "checks", "checks must list at least one of %s", strings.Join(checks.Names(), ", "))
	}
	seen := map[string]bool{}
	for _, name := range br.Checks {
		c, ok := checks.Lookup(name)
		if !ok {
			return nil, adapter.BadRequest("unknown_check", "checks", "unknown check %q; known: %s", name, strings.Join(checks.Names(), ", "))
		}
		if seen[name] {
			return nil, adapter.BadRequest("duplicate_check", "checks", "check %q is listed twice", name)
		}
		seen[name] = true
		if c.Subject == checks.Person && br.RepresentativePIN == "" {
			return nil, adapter.BadRequest("missing_representative_pin", "representativePin", "check %q is about a person: give representativePin", name)
		}
	}
	return &br, nil
}

// jsonProblem describes a decoding error without echoing input values.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at offset %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return "malformed"
}
