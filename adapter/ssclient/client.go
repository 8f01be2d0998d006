// Package ssclient is tunduk's client of the participant's own X-Road
// (Tunduk) security server: the information system's side of PR-MESS 4.0
// (SOAP) and PR-REST, plus the metaservices of PR-META / PR-MREST.
//
// Every SOAP answer is parsed and checked before it is returned: the header
// echo (soap.Echoes), the requestHash (soap.CheckRequestHash), and faults in
// both of X-Road's code styles, normalised to *FaultError. The client bounds
// concurrency, applies per-call timeouts (ErrTimeout), retries only where it
// is safe (nothing was sent yet, or an idempotent metaservice), with
// exponential backoff and jitter, and keeps a circuit breaker per service
// (*BreakerOpenError with RetryAfter).
//
// HTTPS with a client certificate (the X-Road 7.4 default) is configured
// with Options.TLSConfig.
//
// Non-goals: signing, message logging (see internal/signing/msglog), mapping bodies
// to business results (see internal/adapter/mapping).
//
// Public API: other Go programs may import this package as a client of a participant's security server (SOAP and REST, TLS with client certificates). Everything under internal/ is tunduk's own and may change
// without notice.
package ssclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"

	"github.com/tunduk-kg/tunduk/soap"
)

// Options configure a Client. Only URL is required.
type Options struct {
	// URL of the security server's consumer endpoint, e.g.
	// https://ss.example.kg:8443 (SOAP is POSTed to it, REST goes to
	// URL/r1/…, listClients to URL/listClients).
	URL string
	// TLSConfig for an https URL: the information system's client
	// certificate and how the security server is trusted.
	TLSConfig *tls.Config
	// Client is the participant's client subsystem; REST and metaservice
	// calls are sent as it. SOAP requests carry their own client header.
	Client soap.ClientID
	// Timeout is the default per-call timeout (default 30s).
	Timeout time.Duration
	// MaxConcurrent bounds the calls in flight (default 64); further calls
	// wait, within their timeout, for a slot.
	MaxConcurrent int
	// Retry configures safe retries.
	Retry RetryOptions
	// Breaker configures the per-service circuit breaker.
	Breaker BreakerOptions
	// Limits bound the answers parsed; the zero value is safe. Each call's
	// answer limit and context are applied on top (MaxBytes, Context).
	Limits soap.Limits
	// MaxAnswerBytes bounds one answer (SOAP part and attachments) when
	// the call does not set its own (CallOptions.MaxAnswerBytes); default
	// 64 MiB, for metaservices and the command line. Checks configure a
	// much smaller limit per mapping.
	MaxAnswerBytes int64
	// MaxInFlightBytes bounds the answer bytes all calls together may hold
	// while they are read and checked (default 128 MiB); a call whose
	// answer does not fit waits, within its timeout.
	MaxInFlightBytes int64
	// Logger receives one debug line per call (service, message id,
	// outcome, duration; never bodies or userId); default zap.NewNop().
	Logger *zap.Logger
}

// RetryOptions configure retries. A call is retried only when that cannot
// duplicate its effect: when nothing was sent (connection refused, DNS, TLS
// handshake), or when it is an idempotent metaservice. A service call that
// may have reached the provider is never retried.
type RetryOptions struct {
	// MaxAttempts is the total number of attempts (default 3; 1 disables
	// retries).
	MaxAttempts int
	// InitialBackoff is the wait before the first retry (default 100ms);
	// each retry doubles it, up to MaxBackoff (default 2s). Each wait is
	// drawn uniformly from [wait/2, wait] (jitter).
	InitialBackoff, MaxBackoff time.Duration
}

// CallOptions adjust one call.
type CallOptions struct {
	// Timeout overrides Options.Timeout for this call.
	Timeout time.Duration
	// MaxAnswerBytes overrides Options.MaxAnswerBytes for this call: the
	// answer is read up to it and refused at it (*AnswerTooLargeError).
	MaxAnswerBytes int64
	// LenientEcho checks the answer's header with X-Road's looser pair check
	// (soap.CheckConsistency: client, service, id, userId, issue,
	// representedParty equal) instead of the strict echo rule (every field,
	// in order; soap.Echoes). For providers known to reorder header fields.
	LenientEcho bool
}

// Client talks to one security server. It is safe for concurrent use.
type Client struct {
	opts Options
	base *url.URL
	http *http.Client
	sem  chan struct{}
	log  *zap.Logger
	// inFlight is the byte budget of answers being read and checked.
	inFlight      *semaphore.Weighted
	inFlightBytes atomic.Int64

	mu       sync.Mutex
	breakers map[string]*breaker
	now      func() time.Time
}

// Defaults for answer sizes.
const (
	DefaultMaxAnswerBytes   = 64 << 20
	DefaultMaxInFlightBytes = 128 << 20
)

// New returns a Client for the security server at opts.URL.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ssclient: URL %q: want http://host:port or https://host:port", opts.URL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 64
	}
	if opts.MaxAnswerBytes <= 0 {
		opts.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if opts.MaxInFlightBytes <= 0 {
		opts.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	if opts.Retry.MaxAttempts <= 0 {
		opts.Retry.MaxAttempts = 3
	}
	if opts.Retry.InitialBackoff <= 0 {
		opts.Retry.InitialBackoff = 100 * time.Millisecond
	}
	if opts.Retry.MaxBackoff < opts.Retry.InitialBackoff {
		opts.Retry.MaxBackoff = max(2*time.Second, opts.Retry.InitialBackoff)
	}
	opts.Breaker.defaults()
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	tr := &http.Transport{
		Proxy:               nil, // the SS is local; never go through an environment proxy
		TLSClientConfig:     opts.TLSConfig,
		MaxIdleConnsPerHost: opts.MaxConcurrent,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	if u.Scheme == "https" && opts.TLSConfig == nil {
		return nil, errors.New("ssclient: https URL needs Options.TLSConfig (client certificate and trust)")
	}
	return &Client{
		opts:     opts,
		base:     u,
		http:     &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		sem:      make(chan struct{}, opts.MaxConcurrent),
		inFlight: semaphore.NewWeighted(opts.MaxInFlightBytes),
		log:      opts.Logger,
		breakers: map[string]*breaker{},
		now:      time.Now,
	}, nil
}

// InFlightBytes is how much of the in-flight answer budget
// (Options.MaxInFlightBytes) calls hold right now, for metrics.
func (c *Client) InFlightBytes() int64 { return c.inFlightBytes.Load() }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Exchange is a completed SOAP exchange: what was sent, what came back and
// when. Do returns it whenever an answer was received, even with an error,
// so the caller can keep the evidence.
type Exchange struct {
	Request  *soap.Message
	Response *soap.Message // nil when no parsable answer was received
	// HTTPStatus of the answer (0 when none).
	HTTPStatus int
	// Started is when the call began (before waiting for a slot), Finished
	// when the answer was read and checked.
	Started, Finished time.Time
	// Attempts is how many times the request was sent or tried.
	Attempts int
}

// Do sends a SOAP request (built with soap.NewRequest) to the security
// server and checks the answer. On success the response is a normal,
// non-fault message whose header echoes the request and carries its
// requestHash. Errors:
//
//   - *FaultError: a SOAP fault (security server or provider);
//   - *soap.ValidationError: the answer broke the protocol, e.g.
//     CodeInconsistentResponse (echo), CodeInvalidRequestHash, or another
//     code from soap's response validation;
//   - *MalformedResponseError: not a SOAP message at all;
//   - ErrTimeout, ErrUnreachable, ErrConnectionLost (errors.Is);
//   - *BreakerOpenError: the service's breaker is open; nothing was sent.
//
// The *Exchange is non-nil whenever something was sent.
func (c *Client) Do(ctx context.Context, req *soap.Message, o CallOptions) (*Exchange, error) {
	h := req.Header()
	if h.Service == nil {
		return nil, &soap.ValidationError{Code: soap.CodeMissingHeaderField, Detail: "request has no service header"}
	}
	return c.doSOAP(ctx, req, o, h.Service.String(), false)
}

func (c *Client) doSOAP(ctx context.Context, req *soap.Message, o CallOptions, breakerKey string, idempotent bool) (*Exchange, error) {
	ex := &Exchange{Request: req, Started: c.now()}
	_, attempts, err := c.call(ctx, breakerKey, o, idempotent, func(ctx context.Context) (*http.Request, error) {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String(), bytes.NewReader(req.Bytes()))
		if err != nil {
			return nil, err
		}
		hr.Header.Set("Content-Type", req.ContentType())
		return hr, nil
	}, func(ctx context.Context, r *result) error {
		ex.HTTPStatus = r.status
		lim := c.opts.Limits
		lim.Context = ctx
		if n := int64(len(r.body)); lim.MaxBytes <= 0 || lim.MaxBytes > n {
			lim.MaxBytes = max(n, 1) // the answer was read within its limit; parse no more than it
		}
		m, err := soap.ParseBytes(r.body, r.contentType, lim)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("ssclient: parsing the answer: %w", err)
			}
			return &MalformedResponseError{HTTPStatus: r.status, ContentType: r.contentType, Err: err}
		}
		ex.Response = m
		return checkSOAP(req, m, o)
	})
	ex.Attempts = attempts
	ex.Finished = c.now()
	c.logCall(breakerKey, req.Header().ID, ex.Finished.Sub(ex.Started), attempts, err)
	if attempts == 0 {
		return nil, err
	}
	return ex, err
}

// checkSOAP turns a parsed answer into nil or the error it carries.
func checkSOAP(req, resp *soap.Message, o CallOptions) error {
	if f, ok := resp.Fault(); ok {
		return faultError(f)
	}
	if err := resp.Validate(soap.RoleResponse); err != nil {
		return fmt.Errorf("ssclient: invalid response: %w", err)
	}
	echo := soap.Echoes
	if o.LenientEcho {
		echo = soap.CheckConsistency
	}
	if err := echo(req, resp); err != nil {
		var ve *soap.ValidationError
		if errors.As(err, &ve) && ve.Code != soap.CodeInconsistentResponse {
			err = &soap.ValidationError{Code: soap.CodeInconsistentResponse, Detail: ve.Reason()}
		}
		return fmt.Errorf("ssclient: response does not echo the request header: %w", err)
	}
	if err := resp.CheckRequestHash(req); err != nil {
		return fmt.Errorf("ssclient: %w", err)
	}
	return nil
}

func faultError(f *soap.Fault) *FaultError {
	return &FaultError{Code: soap.NormalizeFaultCode(strings.TrimSpace(f.Code)), RawCode: f.Code, String: strings.TrimSpace(f.String), Actor: f.Actor, Detail: f.Detail}
}

func (c *Client) logCall(service, id string, d time.Duration, attempts int, err error) {
	if ce := c.log.Check(zap.DebugLevel, "ssclient call"); ce != nil {
		fields := []zap.Field{zap.String("service", service), zap.String("messageId", id), zap.Duration("duration", d), zap.Int("attempts", attempts)}
		if err != nil {
			fields = append(fields, zap.String("error", err.Error()))
		}
		ce.Write(fields...)
	}
}

// breaker returns the breaker of a service.
func (c *Client) breaker(service string) *breaker {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.breakers[service]
	if !ok {
		now := c.now
		if c.opts.Breaker.Now != nil {
			now = c.opts.Breaker.Now
		}
		b = &breaker{service: service, opts: &c.opts.Breaker, now: now}
		c.breakers[service] = b
	}
	return b
}

// BreakerStates returns the state of every service's breaker that has seen
// a call, keyed by the service identifier (slash form), for metrics.
func (c *Client) BreakerStates() map[string]BreakerState {
	c.mu.Lock()
	bs := make([]*breaker, 0, len(c.breakers))
	for _, b := range c.breakers {
		bs = append(bs, b)
	}
	c.mu.Unlock()
	out := make(map[string]BreakerState, len(bs))
	for _, b := range bs {
		out[b.service] = b.current()
	}
	return out
}

// InFlight returns how many calls hold a concurrency slot.
func (c *Client) InFlight() int { return len(c.sem) }

// ClientID returns Options.Client: the subsystem REST and metaservice calls
// are sent as.
func (c *Client) ClientID() soap.ClientID { return c.opts.Client }
