// Package exchange is what the gateway and the provider hand to the
// exchange log for each exchange with the security server: the messages as
// they crossed the wire and the X-Road header fields the runner already
// holds (protocol, client, service, message id, userId, issue,
// requestHash), so the log neither guesses nor parses again.
//
// There is one durable store for exchanges, the signed message log
// (internal/signing/msglog); internal/adapter/recorder implements Recorder
// over it. A record is durable before Record returns, so the portal never
// holds a result whose evidence could still be lost.
package exchange

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
)

// Recorder stores one exchange durably and returns the id by which the
// evidence refers to it. It may wait when the log is busy (backpressure);
// when the record cannot be made durable in time it returns an error and the
// caller answers without a result (503 with Retry-After).
type Recorder interface {
	Record(ctx context.Context, x *Exchange) (recordID string, err error)
}

// RecorderFunc adapts a function to Recorder (tests, wrappers).
type RecorderFunc func(ctx context.Context, x *Exchange) (string, error)

// Record calls f.
func (f RecorderFunc) Record(ctx context.Context, x *Exchange) (string, error) { return f(ctx, x) }

// Protocols of an exchange.
const (
	SOAP = "soap"
	REST = "rest"
)

// Message is one side of an exchange as it crossed the wire.
type Message struct {
	// URL is the request URL (requests only).
	URL string
	// Method is the HTTP method (requests only).
	Method string
	// Status is the HTTP status code (responses only).
	Status int
	// Header holds the HTTP headers that matter for evidence
	// (Content-Type, SOAPAction, X-Road-*).
	Header http.Header
	// Body is the HTTP body exactly as sent or received.
	Body []byte
	// XRoadHeader is the SOAP message's header fields byte for byte, one
	// per line (see SOAPHeader); empty for REST, whose X-Road fields are
	// HTTP headers.
	XRoadHeader string
}

// Exchange is one exchange to record.
type Exchange struct {
	// Protocol is SOAP or REST, as the runner sent it.
	Protocol string
	// Time is when the request was sent.
	Time time.Time
	// Duration is how long the security server took to answer.
	Duration time.Duration
	// Check is the portal check name (tax-debt, founders, …).
	Check string
	// Caller is the authenticated portal caller's configured name (for the
	// provider: the X-Road client that called).
	Caller string
	// Client is the X-Road client of the request (slash form); empty
	// means our own side (the log's member).
	Client string
	// UserID is the X-Road userId sent (country prefix + officer PIN).
	UserID string
	// Officer is the officer's PIN as the portal sent it (X-User-Id),
	// without the prefix, so archives can be searched by either form.
	Officer string
	// Issue is the X-Road issue sent, if any.
	Issue string
	// Service is the X-Road service id (typed form).
	Service string
	// MessageID is the X-Road message id.
	MessageID string
	// RequestHash is the requestHash the response carried, if any.
	RequestHash string
	// Request and Response are the bytes on the wire.
	Request  Message
	Response *Message
	// Outcome is how the check ended: found, not-found, rejected,
	// provider-error, fault, timeout, invalid-response, unavailable, error.
	Outcome string
	// FaultCode is the X-Road fault code or provider business code, if any.
	FaultCode string
	// Subjects are the INN/PIN identifiers the exchange is about (the
	// supplier, the representative, the person), so archives can be
	// searched by them.
	Subjects []string
	// RequestID and TraceParent are the portal request's X-Request-Id and
	// W3C traceparent, so a record can be traced to the request's logs.
	RequestID   string
	TraceParent string
}

// SOAPHeader returns m's SOAP header fields byte for byte, one per line,
// from the already parsed message ("" for nil).
func SOAPHeader(m *soap.Message) string {
	if m == nil {
		return ""
	}
	fields := m.HeaderFields()
	n := 0
	for _, f := range fields {
		n += len(f.Raw) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.Write(f.Raw)
		b.WriteByte('\n')
	}
	return b.String()
}
