// Package journal keeps the exchange journal of the supplier-check gateway:
// every request sent to the security server and the answer received, byte
// for byte, with who asked, for whom and how it ended. A record is durable
// (written and fsynced) before Record returns, so the portal never holds a
// result whose evidence could still be lost.
//
// The journal is the gateway's evidence store until the signed message log
// (internal/signing/msglog) replaces it behind the same Recorder interface; the
// JSON-lines File here is deliberately simple: one record per line,
// append-only, group-committed.
package journal

import (
	"context"
	"net/http"
	"time"
)

// Recorder stores one exchange durably and returns the id by which the
// evidence refers to it.
type Recorder interface {
	Record(ctx context.Context, x *Exchange) (recordID string, err error)
}

// Message is one side of an exchange as it crossed the wire.
type Message struct {
	// URL is the request URL (requests only).
	URL string `json:"url,omitempty"`
	// Method is the HTTP method (requests only).
	Method string `json:"method,omitempty"`
	// Status is the HTTP status code (responses only).
	Status int `json:"status,omitempty"`
	// Header holds the HTTP headers that matter for evidence
	// (Content-Type, SOAPAction, X-Road-*).
	Header http.Header `json:"header,omitempty"`
	// Body is the HTTP body exactly as sent or received.
	Body []byte `json:"body,omitempty"`
}

// Exchange is one journal record.
type Exchange struct {
	// ID is assigned by the journal; leave it empty.
	ID string `json:"id"`
	// Time is when the request was sent.
	Time time.Time `json:"time"`
	// Duration is how long the security server took to answer.
	Duration time.Duration `json:"durationNs"`
	// Check is the portal check name (tax-debt, founders, …).
	Check string `json:"check"`
	// Caller is the authenticated portal caller's configured name.
	Caller string `json:"caller"`
	// UserID is the X-Road userId sent (country prefix + officer PIN).
	UserID string `json:"userId"`
	// Officer is the officer's PIN as the portal sent it (X-User-Id),
	// without the prefix, so archives can be searched by either form.
	Officer string `json:"officer,omitempty"`
	// Issue is the X-Road issue sent, if any.
	Issue string `json:"issue,omitempty"`
	// Service is the X-Road service id (typed form).
	Service string `json:"service"`
	// MessageID is the X-Road message id.
	MessageID string `json:"messageId"`
	// RequestHash is the requestHash the response carried, if any.
	RequestHash string `json:"requestHash,omitempty"`
	// Request and Response are the bytes on the wire.
	Request  Message  `json:"request"`
	Response *Message `json:"response,omitempty"`
	// Outcome is how the check ended: found, not-found, rejected,
	// provider-error, fault, timeout, invalid-response, unavailable, error.
	Outcome string `json:"outcome"`
	// FaultCode is the X-Road fault code or provider business code, if any.
	FaultCode string `json:"faultCode,omitempty"`
	// Subjects are the INN/PIN identifiers the exchange is about (the
	// supplier, the representative, the person), so archives can be
	// searched by them.
	Subjects []string `json:"subjects,omitempty"`
	// RequestID and TraceParent are the portal request's X-Request-Id and
	// W3C traceparent, so a record can be traced to the request's logs.
	RequestID   string `json:"requestId,omitempty"`
	TraceParent string `json:"traceparent,omitempty"`
}
