package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tunduk-kg/tunduk/adapter/portalapi"
	"github.com/tunduk-kg/tunduk/adapter/problem"
)

// validator is an http.RoundTripper that checks every exchange a test
// makes with the gateway against openapi.json (kin-openapi
// openapi3filter): the answer's status must be documented for the
// operation and its headers and body must match; a request the document
// refuses must not be answered 2xx; unknown paths and methods must get
// their problems. It runs in tests only: the gateway itself never
// validates against the document on the request path.
type validator struct {
	t      testing.TB
	base   http.RoundTripper
	router routers.Router
	doc    *openapi3.T

	mu      sync.Mutex
	checked int
}

var (
	validators   sync.Map // server URL → *validator
	validatedDoc = sync.OnceValues(func() ([]byte, error) {
		doc, err := openapi3.NewLoader().LoadFromData(portalapi.JSON)
		if err != nil {
			return nil, err
		}
		return nil, doc.Validate(context.Background())
	})
)

// newValidator returns the validating transport for the gateway at
// serverURL (one per server, shared by the tests that call it).
func newValidator(t testing.TB, serverURL string) *validator {
	t.Helper()
	if _, err := validatedDoc(); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if v, ok := validators.Load(serverURL); ok {
		return v.(*validator)
	}
	doc, err := openapi3.NewLoader().LoadFromData(portalapi.JSON)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: serverURL}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	v := &validator{t: t, base: http.DefaultTransport, router: r, doc: doc}
	validators.Store(serverURL, v)
	return v
}

// validatedTLS is a client over base (TLS settings) whose exchanges
// with the gateway at serverURL are checked against openapi.json.
func validatedTLS(t testing.TB, serverURL string, base http.RoundTripper) *http.Client {
	shared := newValidator(t, serverURL)
	return &http.Client{Transport: &validator{t: t, base: base, router: shared.router, doc: shared.doc}}
}

// validated is a client whose exchanges with the gateway at api are
// checked against openapi.json.
func validated(t testing.TB, serverURL string) *http.Client {
	return &http.Client{Transport: newValidator(t, serverURL)}
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := v.check(req, reqBody, resp, respBody); err != nil {
		v.t.Errorf("OpenAPI: %s %s → %d: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, truncate(respBody))
	}
	v.mu.Lock()
	v.checked++
	v.mu.Unlock()
	return resp, nil
}

func (v *validator) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("Traceparent") == "" {
		if req.URL.Path != "/openapi.json" {
			return errors.New("answer without X-Request-Id or traceparent")
		}
	}
	if req.Method == http.MethodHead {
		// A HEAD answer has no body: 405 with Allow, never a check.
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" || len(respBody) != 0 {
			return fmt.Errorf("HEAD: %d, Allow %q, %d body bytes", resp.StatusCode, resp.Header.Get("Allow"), len(respBody))
		}
		return nil
	}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := v.router.FindRoute(vreq)
	if err != nil {
		var re *routers.RouteError
		if !errors.As(err, &re) {
			return fmt.Errorf("router: %w", err)
		}
		switch req.URL.Path {
		case "/metrics", "/healthz", "/readyz":
			return nil
		}
		if v.pathExists(req) {
			if resp.Header.Get("Allow") == "" {
				return errors.New("405 without Allow")
			}
			return v.problem(resp, respBody, problem.MethodNotAllowed, problem.InvalidInput)
		}
		return v.problem(resp, respBody, problem.NoRoute, problem.InvalidInput)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
			MultiError: true}}
	if rerr := openapi3filter.ValidateRequest(context.Background(), in); rerr != nil && resp.StatusCode < 400 {
		return fmt.Errorf("the server answered %d to a request the document refuses: %v", resp.StatusCode, rerr)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return err
	}
	return nil
}

// pathExists reports whether the document has the path with some method.
func (v *validator) pathExists(req *http.Request) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r := req.Clone(context.Background())
		r.Method = m
		if _, _, err := v.router.FindRoute(r); err == nil {
			return true
		}
	}
	return false
}

// problem checks an answer no operation documents (unknown path or
// method) against the Problem schema and the expected types.
func (v *validator) problem(resp *http.Response, body []byte, types ...problem.Type) error {
	if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
		return fmt.Errorf("Content-Type %q, want %s", ct, problem.ContentType)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	if err := v.doc.Components.Schemas["Problem"].Value.VisitJSON(p); err != nil {
		return err
	}
	for _, t := range types {
		if p["type"] == t.URI() && p["status"] == float64(resp.StatusCode) {
			return nil
		}
	}
	return fmt.Errorf("type %v status %d, want one of %v", p["type"], resp.StatusCode, types)
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return strings.TrimSpace(s)
}
