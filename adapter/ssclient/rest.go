package ssclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/rest"
)

// RESTRequest is a PR-REST call through the security server.
type RESTRequest struct {
	// Service is the provider subsystem and service code (no version).
	Service soap.ServiceID
	// Client sends the request; zero means Options.Client.
	Client soap.ClientID
	// Method defaults to GET.
	Method string
	// Path is the service's own path below the service code, "" or
	// starting with "/", unescaped (e.g. "/01503201010234").
	Path string
	// Query parameters.
	Query url.Values
	// UserID and Issue become X-Road-UserId and X-Road-Issue.
	UserID, Issue string
	// ID is X-Road-Id; "" generates a UUID.
	ID string
	// Header holds further request headers (Accept, Content-Type).
	Header http.Header
	// Body of the request, if any.
	Body []byte
}

// RESTExchange is a completed REST exchange. DoREST returns it whenever an
// answer was received.
type RESTExchange struct {
	// Request is the request as sent (ID and Client filled in); URL is
	// where it went.
	Request RESTRequest
	URL     string
	// StatusCode, Header and Body are the provider's answer (or the
	// security server's error).
	StatusCode int
	Header     http.Header
	Body       []byte
	// ID and RequestHash are X-Road-Id and X-Road-Request-Hash of the
	// answer.
	ID, RequestHash   string
	Started, Finished time.Time
	Attempts          int
}

// DoREST sends a PR-REST request and checks the answer: an X-Road-Error
// gives *FaultError (REST true, the JSON {type, message, detail} read, the
// type normalised); otherwise the answer must echo X-Road-Id and carry
// X-Road-Request-Hash (*soap.ValidationError with CodeInconsistentResponse
// or CodeInvalidRequestHash). The hash is computed by the security server
// over its own representation of the request, so the client can check its
// presence, not its value. The provider's HTTP status (e.g. 204, 404, 500
// without X-Road-Error) is its business answer and is returned without
// error. Retries happen only before anything was sent.
func (c *Client) DoREST(ctx context.Context, r RESTRequest, o CallOptions) (*RESTExchange, error) {
	if r.Client.IsZero() {
		r.Client = c.opts.Client
	}
	if r.Client.IsZero() {
		return nil, errors.New("ssclient: DoREST: no client (set RESTRequest.Client or Options.Client)")
	}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if r.ID == "" {
		r.ID = uuid.NewString()
	}
	ex, err := c.rest(ctx, r, o, r.Service.String(), false)
	return ex, err
}

func (c *Client) rest(ctx context.Context, r RESTRequest, o CallOptions, breakerKey string, idempotent bool) (*RESTExchange, error) {
	target := c.base.String() + rest.Path(r.Service, escapePath(r.Path))
	if len(r.Query) > 0 {
		target += "?" + r.Query.Encode()
	}
	ex := &RESTExchange{Request: r, URL: target, Started: c.now()}
	res, attempts, err := c.call(ctx, breakerKey, o, idempotent, func(ctx context.Context) (*http.Request, error) {
		hr, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(r.Body))
		if err != nil {
			return nil, err
		}
		for k, v := range r.Header {
			hr.Header[k] = v
		}
		rest.Headers{Client: r.Client, ID: r.ID, UserID: r.UserID, Issue: r.Issue}.Set(hr.Header)
		return hr, nil
	}, func(_ context.Context, res *result) error {
		return checkREST(r, res)
	})
	ex.Attempts, ex.Finished = attempts, c.now()
	c.logCall(breakerKey, r.ID, ex.Finished.Sub(ex.Started), attempts, err)
	if res == nil {
		if attempts == 0 {
			return nil, err
		}
		return ex, err
	}
	ex.StatusCode, ex.Header, ex.Body = res.status, res.header, res.body
	ex.ID, ex.RequestHash = res.header.Get(rest.HeaderID), res.header.Get(rest.HeaderRequestHash)
	return ex, err
}

func checkREST(r RESTRequest, res *result) error {
	if res.header.Get(rest.HeaderError) != "" {
		e, err := rest.ParseError(res.header, res.body)
		if err != nil || e == nil {
			code := soap.NormalizeFaultCode(res.header.Get(rest.HeaderError))
			return &FaultError{Code: code, RawCode: res.header.Get(rest.HeaderError), HTTPStatus: res.status, REST: true,
				String: "security server error with an unreadable body"}
		}
		return &FaultError{Code: e.Type, RawCode: res.header.Get(rest.HeaderError), String: e.Message, Detail: e.Detail, HTTPStatus: res.status, REST: true}
	}
	if id := res.header.Get(rest.HeaderID); id != r.ID {
		return fmt.Errorf("ssclient: %w", &soap.ValidationError{Code: soap.CodeInconsistentResponse,
			Detail: fmt.Sprintf("X-Road-Id of the answer is %q, the request's is %q", id, r.ID)})
	}
	if res.header.Get(rest.HeaderRequestHash) == "" {
		return fmt.Errorf("ssclient: %w", &soap.ValidationError{Code: soap.CodeInvalidRequestHash, Detail: "the answer has no X-Road-Request-Hash"})
	}
	return nil
}

// escapePath escapes each segment of a service path.
func escapePath(p string) string {
	if p == "" {
		return ""
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
