// Package ssapitest is an in-process emulation of the X-Road Security
// Server Management REST API, for tests of internal/catalog/ssapi and
// internal/catalog/register (NewServer), the way net/http/httptest stands in for a
// real server, and for `tunduk demo` (Start), where an operator tries
// `tunduk catalog plan|apply|diff` without a security server.
//
// The fake listens with TLS on 127.0.0.1 and checks EVERY request against the
// API's own definition (openapi-definition.yaml from the conformance corpus,
// made strict: undeclared properties are errors) with kin-openapi's
// openapi3filter. A request that does not match the spec fails the calling
// test (or, started with Start, is reported through Options.Report and
// answered 400); every answer the fake gives is validated against the spec
// as well.
//
// It keeps state like a security server: clients and subsystems, service
// descriptions (WSDL, OPENAPI3, REST) with their services (url, timeout,
// ssl_auth), the enabled state, endpoints and access rights. Tests publish
// what a WSDL or OpenAPI URL would describe (Publish), and can inject
// warnings, HTTP 429 and failures at the N-th call of an operation.
//
// Only tests import this package.
//
// Public API: tests of security-server management clients may import this package as a test double of the Security Server Management REST API. Everything under internal/ is tunduk's own and may change
// without notice.
package ssapitest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// BasePath is where the API lives on the server.
const BasePath = "/api/v1"

// Options configure a fake.
type Options struct {
	// APIKey is the key the fake accepts (default "ssapitest-key").
	APIKey string
	// Owner is the security server's owner member, INSTANCE:CLASS:MEMBER
	// (default DEV:GOV:1234). It is present as a client from the start.
	Owner string
	// SpecDir is the directory holding openapi-definition.yaml (default
	// for NewServer: the conformance corpus's openapi directory; the test is
	// skipped when the corpus is absent). Start requires it.
	SpecDir string
	// Listen is the address Start listens on (default 127.0.0.1:0).
	Listen string
	// Report receives every request or answer that breaks the spec (Start;
	// NewServer fails the test). Nil drops them; the request is still
	// answered 400 spec_violation.
	Report func(format string, args ...any)
}

// Request is one request the fake received.
type Request struct {
	Method, Path string // Path without the /api/v1 base
	Op           string // the spec's operationId, e.g. "addClient"
	Body         []byte
	Status       int // the status the fake answered
}

// Write reports whether the request asked for a change.
func (r Request) Write() bool { return r.Method != http.MethodGet }

// Server is a running fake.
type Server struct {
	// URL is the API base, https://127.0.0.1:PORT/api/v1.
	URL string
	// CertPEM is the server's TLS certificate; Pin its SHA-256 fingerprint.
	CertPEM []byte
	Pin     []byte

	report func(format string, args ...any)
	fatal  func(format string, args ...any) // misuse of the seeding methods
	spec   *spec
	key    string
	srv    *httptest.Server

	mu       sync.Mutex
	st       *state
	faults   []*Fault
	warnings map[string][][]ssapi.CodeWithDetails
	reqs     []Request
}

// NewServer starts a fake for a test and stops it when the test ends; a
// request or answer that breaks the spec fails the test.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.SpecDir == "" {
		opts.SpecDir = corpus.Dir(t, "openapi")
	}
	opts.Report = t.Errorf
	s, err := start(opts, t.Fatalf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake outside tests (tunduk demo); Close stops it. Misuse
// of the seeding methods (AddDescription for an unknown client, …)
// panics.
func Start(opts Options) (*Server, error) {
	if opts.SpecDir == "" {
		return nil, errors.New("ssapitest: Options.SpecDir is required: the directory of X-Road's " + SpecFile)
	}
	if opts.Report == nil {
		opts.Report = func(string, ...any) {}
	}
	return start(opts, func(format string, args ...any) { panic(fmt.Sprintf(format, args...)) })
}

func start(opts Options, fatal func(string, ...any)) (*Server, error) {
	if opts.APIKey == "" {
		opts.APIKey = "ssapitest-key"
	}
	if opts.Owner == "" {
		opts.Owner = "DEV:GOV:1234"
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	sp, err := loadSpec(opts.SpecDir)
	if err != nil {
		return nil, err
	}
	owner, err := ssapi.ParseClientID(opts.Owner)
	if err != nil || owner.SubsystemCode != "" {
		return nil, fmt.Errorf("ssapitest: owner %q: want INSTANCE:CLASS:MEMBER", opts.Owner)
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("ssapitest: %w", err)
	}
	s := &Server{report: opts.Report, fatal: fatal, spec: sp, key: opts.APIKey, st: newState(owner), warnings: map[string][][]ssapi.CodeWithDetails{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.StartTLS()
	cert := s.srv.Certificate()
	sum := sha256.Sum256(cert.Raw)
	s.Pin = sum[:]
	s.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	s.URL = s.srv.URL + BasePath
	return s, nil
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// APIKey returns the key the fake accepts.
func (s *Server) APIKey() string { return s.key }

// Requests returns what the fake received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Writes returns the change requests (not GET) received so far.
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Write() {
			out = append(out, r)
		}
	}
	return out
}

// Fault makes calls of an operation fail.
type Fault struct {
	Op         string // operationId from the spec, e.g. "updateService"
	Skip       int    // let this many matching calls succeed first
	Times      int    // fail this many calls (default 1)
	Status     int    // HTTP status to answer, e.g. 429 or 500
	RetryAfter string // Retry-After header value (for 429)
	Code       string // error code in the ErrorInfo body (default "injected_failure")
}

// Inject adds a fault. Faults are checked after the request was validated,
// so an invalid request still fails the test.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Code == "" {
		f.Code = "injected_failure"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// InjectWarnings makes the next call of op that does not set
// ignore_warnings=true answer 400 warnings_detected with ws; a call that
// sets ignore_warnings=true consumes them and succeeds.
func (s *Server) InjectWarnings(op string, ws ...ssapi.CodeWithDetails) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warnings[op] = append(s.warnings[op], ws)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, BasePath)
	if !ok {
		s.report("ssapitest: %s %s is outside %s", r.Method, r.URL.Path, BasePath)
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	vr := r.Clone(context.Background())
	vr.URL.Path, vr.URL.RawPath = path, ""
	vr.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := s.spec.router.FindRoute(vr)
	if err != nil {
		s.report("ssapitest: %s %s matches no operation of %s: %v", r.Method, path, SpecFile, err)
		s.record(Request{Method: r.Method, Path: path, Body: body, Status: http.StatusNotFound})
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	op := route.Operation.OperationID
	in := &openapi3filter.RequestValidationInput{
		Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			RejectWhenRequestBodyNotSpecified: true,
			SkipSettingDefaults:               true,
			AuthenticationFunc: func(_ context.Context, ai *openapi3filter.AuthenticationInput) error {
				if ai.RequestValidationInput.Request.Header.Get("Authorization") != "X-Road-ApiKey token="+s.key {
					return errAuth
				}
				return nil
			},
		},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		var se *openapi3filter.SecurityRequirementsError
		if errors.As(err, &se) {
			s.record(Request{Method: r.Method, Path: path, Op: op, Body: body, Status: http.StatusUnauthorized})
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		s.report("ssapitest: %s %s (%s) does not match %s: %v\nbody: %s", r.Method, path, op, SpecFile, err, body)
		s.record(Request{Method: r.Method, Path: path, Op: op, Body: body, Status: http.StatusBadRequest})
		writeError(w, http.StatusBadRequest, "spec_violation")
		return
	}

	rec := httptest.NewRecorder()
	injected := s.handle(rec, op, params, body)
	s.record(Request{Method: r.Method, Path: path, Op: op, Body: body, Status: rec.Code})
	if !injected {
		vr.Body = io.NopCloser(bytes.NewReader(body))
		rin := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 rec.Code,
			Header:                 rec.Header(),
			Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
			s.report("ssapitest: the fake's answer to %s %s (%s) does not match %s: %v\nbody: %s",
				r.Method, path, op, SpecFile, err, rec.Body.Bytes())
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

var errAuth = errors.New("ssapitest: wrong or missing API key")

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
}

// handle answers a validated request; it reports whether the answer came
// from an injected fault (whose status the spec may not list, e.g. 429).
func (s *Server) handle(w *httptest.ResponseRecorder, op string, params map[string]string, body []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Op != op || f.Times == 0 {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			continue
		}
		f.Times--
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, f.Code)
		return true
	}
	if pending := s.warnings[op]; len(pending) > 0 {
		var flag struct {
			IgnoreWarnings bool `json:"ignore_warnings"`
		}
		_ = json.Unmarshal(body, &flag)
		if !flag.IgnoreWarnings {
			writeJSON(w, http.StatusBadRequest, ssapi.ErrorInfo{Status: http.StatusBadRequest,
				Error: &ssapi.CodeWithDetails{Code: "warnings_detected"}, Warnings: pending[0]})
			return false
		}
		s.warnings[op] = pending[1:]
	}
	h, ok := handlers[op]
	if !ok {
		s.report("ssapitest: operation %s is in the spec but the fake does not implement it", op)
		writeError(w, http.StatusNotImplemented, "not_implemented")
		return true
	}
	h(s.st, w, params, body)
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("ssapitest: encoding answer: %v", err))
	}
}

func writeError(w http.ResponseWriter, status int, code string, metadata ...string) {
	writeJSON(w, status, ssapi.ErrorInfo{Status: status, Error: &ssapi.CodeWithDetails{Code: code, Metadata: metadata}})
}
