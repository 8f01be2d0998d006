package ssclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// result is an answer as received.
type result struct {
	status      int
	contentType string
	header      http.Header
	body        []byte
}

// call runs one logical call: breaker (when service != ""), concurrency
// slot, timeout, attempts with safe retries. build makes the HTTP request of
// an attempt; check judges a received answer. idempotent allows a retry
// after the request was sent (metaservices only). It returns the last
// answer, the number of attempts made (0: nothing was sent) and the error.
//
// An answer is read up to the call's size limit (o.MaxAnswerBytes, else
// Options.MaxAnswerBytes) and no further: a Content-Length above it fails
// before reading, a body that outgrows it fails at the limit, both with
// *AnswerTooLargeError. While an answer is read and checked it holds that
// many bytes (its Content-Length when known) of the client's in-flight
// budget (Options.MaxInFlightBytes), so concurrent calls cannot together
// hold more answer memory than the budget.
func (c *Client) call(ctx context.Context, service string, o CallOptions, idempotent bool,
	build func(context.Context) (*http.Request, error), check func(context.Context, *result) error) (*result, int, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = c.opts.Timeout
	}
	limit := o.MaxAnswerBytes
	if limit <= 0 {
		limit = c.opts.MaxAnswerBytes
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var b *breaker
	trial := false
	if service != "" {
		b = c.breaker(service)
		var err error
		if trial, err = b.allow(); err != nil {
			return nil, 0, err
		}
	}
	var (
		res      *result
		attempts int
		err      error
	)
	defer func() {
		if b != nil {
			failed, neutral := classify(err, parent)
			b.done(trial, failed, neutral)
		}
	}()

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		err = c.ctxError(parent, ctx, service, timeout)
		return nil, 0, err
	}
	defer func() { <-c.sem }()

	backoff := c.opts.Retry.InitialBackoff
	for {
		attempts++
		var sent atomic.Bool
		var req *http.Request
		// "sent" means the whole request reached the connection: only then
		// can the provider have acted on it. A failed write (the peer closed
		// first) leaves it false.
		req, err = build(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				sent.Store(true)
			}
		}}))
		if err != nil {
			return nil, attempts, fmt.Errorf("ssclient: building the HTTP request: %w", err)
		}
		var resp *http.Response
		resp, err = c.http.Do(req)
		if err == nil {
			res, err = c.readAnswer(ctx, resp, limit, check)
			stopped := ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled))
			if res != nil && !stopped {
				return res, attempts, err
			}
			res = nil // stopped at the deadline while reading or parsing: a timeout
		}
		// A transport error: decide whether it is safe to try again.
		if ctx.Err() != nil {
			err = c.ctxError(parent, ctx, service, timeout)
			return nil, attempts, err
		}
		wasSent := sent.Load()
		if isTLSRefusal(err) {
			// The TLS peer refused us (or we it): not transient, and the
			// request was not processed.
			err = fmt.Errorf("%w: TLS: %w", ErrUnreachable, err)
			return nil, attempts, err
		}
		if (!wasSent || idempotent) && attempts < c.opts.Retry.MaxAttempts {
			wait := backoff/2 + rand.N(backoff/2+1)
			backoff = min(2*backoff, c.opts.Retry.MaxBackoff)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				err = c.ctxError(parent, ctx, service, timeout)
				return nil, attempts, err
			}
		}
		if wasSent {
			err = fmt.Errorf("%w: %w", ErrConnectionLost, err)
		} else {
			err = fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		return nil, attempts, err
	}
}

// readAnswer reads and checks one answer within limit and the in-flight
// budget, and closes its body. A nil result with a nil-or-transport error
// means the body could not be read.
func (c *Client) readAnswer(ctx context.Context, resp *http.Response, limit int64, check func(context.Context, *result) error) (*result, error) {
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	if resp.ContentLength > limit {
		return &result{status: resp.StatusCode, contentType: ct, header: resp.Header},
			&MalformedResponseError{HTTPStatus: resp.StatusCode, ContentType: ct, Err: &AnswerTooLargeError{Limit: limit, ContentLength: resp.ContentLength}}
	}
	hold := limit
	if resp.ContentLength >= 0 {
		hold = resp.ContentLength
	}
	hold = min(max(hold, 1), c.opts.MaxInFlightBytes)
	if err := c.inFlight.Acquire(ctx, hold); err != nil {
		return nil, err
	}
	c.inFlightBytes.Add(hold)
	defer func() {
		c.inFlightBytes.Add(-hold)
		c.inFlight.Release(hold)
	}()
	body, err := readBody(resp, limit)
	if err != nil {
		return nil, err
	}
	res := &result{status: resp.StatusCode, contentType: ct, header: resp.Header, body: body}
	if int64(len(body)) > limit {
		res.body = nil
		return res, &MalformedResponseError{HTTPStatus: resp.StatusCode, ContentType: ct, Err: &AnswerTooLargeError{Limit: limit, ContentLength: resp.ContentLength}}
	}
	return res, check(ctx, res)
}

// readBody reads at most limit+1 bytes of the answer, into a buffer sized
// by Content-Length when the server gave one (io.ReadAll would start at
// 512 bytes and regrow several times for a typical answer).
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	r := io.LimitReader(resp.Body, limit+1)
	if n := resp.ContentLength; n > 0 && n <= limit {
		b := bytes.NewBuffer(make([]byte, 0, n+bytes.MinRead))
		_, err := b.ReadFrom(r)
		return b.Bytes(), err
	}
	return io.ReadAll(r)
}

// ctxError is the error for a call whose context ended: ErrTimeout for a
// deadline (ours or the caller's), the caller's cancellation otherwise.
func (c *Client) ctxError(parent, ctx context.Context, service string, timeout time.Duration) error {
	if parent.Err() == context.Canceled {
		return fmt.Errorf("ssclient: %s: %w", service, context.Canceled)
	}
	if service == "" {
		service = "call"
	}
	return fmt.Errorf("%w: %s did not finish within %v (%w)", ErrTimeout, service, timeout, context.DeadlineExceeded)
}

// isTLSRefusal reports a TLS failure: our verification of the server, or
// the server's alert (e.g. "certificate required", which TLS 1.3 delivers
// only after the client has written its request).
func isTLSRefusal(err error) bool {
	var (
		alert tls.AlertError
		op    *net.OpError
	)
	if errors.As(err, &alert) || (errors.As(err, &op) && op.Op == "remote error") {
		return true
	}
	return isCertError(err)
}

func isCertError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// classify says how an outcome counts for the breaker: failed (the service
// or the path to it is unhealthy) or neutral (says nothing about health:
// the caller canceled, or the request itself was at fault).
func classify(err error, parent context.Context) (failed, neutral bool) {
	if err == nil {
		return false, false
	}
	if errors.Is(err, context.Canceled) && parent.Err() != nil {
		return false, true
	}
	var fe *FaultError
	if errors.As(err, &fe) {
		switch {
		case fe.IsClientError():
			return false, true
		case fe.Code == "Server.ServerProxy.AccessDenied", fe.Code == "Server.ServerProxy.UnknownService",
			fe.Code == "Server.ClientProxy.UnknownMember", fe.Code == "Server.ServerProxy.ServiceDisabled":
			return false, true // configuration, not health
		}
		return true, false
	}
	return true, false
}
