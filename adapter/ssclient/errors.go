package ssclient

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrTimeout: the call did not finish within its timeout (the per-call
	// or default timeout, or the caller's context deadline). The request may
	// or may not have been processed by the provider.
	ErrTimeout = errors.New("ssclient: timeout")
	// ErrUnreachable: the security server could not be reached and nothing
	// was sent (connection refused, DNS failure, TLS handshake failure).
	ErrUnreachable = errors.New("ssclient: security server unreachable")
	// ErrConnectionLost: the connection failed after the whole request was
	// written; the provider may have processed it. Never retried (except
	// for idempotent metaservices). Note that with TLS 1.3 a security
	// server refusing our client certificate can also surface this way,
	// because the client has written its request before the refusal.
	ErrConnectionLost = errors.New("ssclient: connection lost after the request was sent")
)

// FaultError is a technical fault: a SOAP fault from the security server or
// passed through from the provider, or a REST X-Road-Error. Code is
// normalised to X-Road's classic CamelCase form (soap.NormalizeFaultCode),
// whichever form the server sent ("server.serverproxy.access_denied" gives
// "Server.ServerProxy.AccessDenied"); a provider's own codes such as
// "soap:Server" are kept. RawCode is the code as received.
type FaultError struct {
	Code    string
	RawCode string
	String  string // faultstring / JSON message
	Actor   string // SOAP faultactor, if any
	Detail  string // SOAP detail inner XML / JSON detail
	// HTTPStatus is the HTTP status the fault came with.
	HTTPStatus int
	// REST is true for an X-Road-Error on a REST call.
	REST bool
}

func (e *FaultError) Error() string {
	if e.String == "" {
		return "ssclient: fault " + e.Code
	}
	return fmt.Sprintf("ssclient: fault %s: %s", e.Code, e.String)
}

// IsClientError reports whether the fault blames the request
// ("Client.*"), as opposed to the security servers or the provider.
func (e *FaultError) IsClientError() bool { return strings.HasPrefix(e.Code, "Client.") }

// IsXRoad reports whether Code is one of X-Road's own codes (Client.*,
// Server.ClientProxy.*, Server.ServerProxy.*) rather than a provider's.
func (e *FaultError) IsXRoad() bool {
	return strings.HasPrefix(e.Code, "Client.") || strings.HasPrefix(e.Code, "Server.ClientProxy.") || strings.HasPrefix(e.Code, "Server.ServerProxy.")
}

// BreakerOpenError is returned without calling the security server while
// the circuit breaker of Service is open. RetryAfter is when it will let a
// trial call through.
type BreakerOpenError struct {
	Service    string
	RetryAfter time.Duration
}

func (e *BreakerOpenError) Error() string {
	return fmt.Sprintf("ssclient: circuit breaker open for %s; retry after %s", e.Service, e.RetryAfter.Round(time.Millisecond))
}

// MalformedResponseError is an answer that is not a usable message: not
// SOAP, wrong content type, truncated, unparsable metaservice payload.
// Schema-level violations of a parsed SOAP answer (missing header fields,
// broken echo, wrong requestHash) are *soap.ValidationError instead.
type MalformedResponseError struct {
	HTTPStatus  int
	ContentType string
	Err         error
}

func (e *MalformedResponseError) Error() string {
	return fmt.Sprintf("ssclient: malformed response (HTTP %d, %s): %v", e.HTTPStatus, e.ContentType, e.Err)
}

func (e *MalformedResponseError) Unwrap() error { return e.Err }

// AnswerTooLargeError is an answer larger than the call's limit
// (CallOptions.MaxAnswerBytes, from the mapping's maxAnswerBytes, or
// Options.MaxAnswerBytes). Nothing past the limit was read: a declared
// Content-Length above it fails before reading. It matches soap.ErrTooLarge
// with errors.Is.
type AnswerTooLargeError struct {
	Limit         int64
	ContentLength int64 // as declared; -1 when the answer had none
}

func (e *AnswerTooLargeError) Error() string {
	declared := ""
	if e.ContentLength >= 0 {
		declared = fmt.Sprintf(" (Content-Length %d)", e.ContentLength)
	}
	return fmt.Sprintf("ssclient: the answer is larger than the %d-byte limit for this service%s; "+
		"raise maxAnswerBytes in its mapping if such answers are legitimate", e.Limit, declared)
}

func (e *AnswerTooLargeError) Unwrap() error { return soap.ErrTooLarge }
