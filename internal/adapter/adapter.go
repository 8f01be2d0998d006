// Package adapter runs the procurement portal's supplier checks through
// Tunduk: a Runner turns a check request into the X-Road request its
// mapping describes (internal/adapter/mapping), sends it through the participant's
// security server (adapter/ssclient), checks the answer (header echo,
// requestHash, body wrapper), records the exchange durably in the signed
// message log (internal/adapter/exchange, internal/adapter/recorder) and
// returns the result with its evidence. errors.go is
// the one place that turns failures into portal HTTP errors.
//
// Sub-packages: checks (the registry of checks), mapping (declarative
// service mappings), gateway (the portal HTTP API), portalapi (its OpenAPI
// document), exchange (what is recorded of an exchange), recorder (into
// the signed message log), observe (metrics, health,
// masking logs), kgid (PIN/INN rules), ssclient (security-server client).
package adapter

import (
	"encoding/json"
	"time"
)

// Request asks for one check.
type Request struct {
	// Check is the check's name (internal/adapter/checks).
	Check string
	// INN is the supplier (organisation checks).
	INN string
	// PIN is the person (person checks).
	PIN string
	// RepresentativePIN is the supplier's representative, when known.
	RepresentativePIN string
	// Caller is the authenticated portal system.
	Caller string
	// OfficerPIN is the authorised officer who asked (X-Road userId is the
	// configured country prefix + this PIN).
	OfficerPIN string
	// Issue is the tender/lot reference (X-Road issue), optional.
	Issue string
	// RequestID and TraceParent identify the portal request (X-Request-Id
	// and W3C traceparent); they go into logs, the journal/signed record
	// and the evidence.
	RequestID   string
	TraceParent string
}

// Status of a check that produced an answer.
type Status string

// Result statuses.
const (
	StatusOK       Status = "ok"
	StatusNotFound Status = "not-found"
)

// Result is a check's answer with its evidence.
type Result struct {
	Check    string         `json:"check"`
	Status   Status         `json:"status"`
	Data     map[string]any `json:"data,omitempty"`
	Evidence *Evidence      `json:"evidence"`
}

// Evidence says which service answered, when, in which X-Road exchange,
// for whom, and where the exchange is kept.
type Evidence struct {
	// Service is the X-Road service id (SERVICE:…).
	Service string `json:"service"`
	// MessageID is the X-Road message id (X-Road-Id for REST).
	MessageID string `json:"messageId"`
	// RequestHash is the requestHash the security server returned, which
	// the gateway checked against the request it sent.
	RequestHash string `json:"requestHash,omitempty"`
	// UserID and Issue are the X-Road header values sent.
	UserID string `json:"userId"`
	Issue  string `json:"issue,omitempty"`
	// Time is when the request was sent (UTC).
	Time time.Time `json:"time"`
	// DurationMs is how long the security server took.
	DurationMs float64 `json:"durationMs"`
	// RecordID is the journal record that holds the exchange byte for byte.
	RecordID string `json:"recordId"`
	// ProviderCode is the producer's business code (CauseOfError, status…).
	ProviderCode string `json:"providerCode,omitempty"`
	// RequestID and TraceParent are the portal request's X-Request-Id and
	// traceparent, also kept in the journal/signed record.
	RequestID   string `json:"requestId,omitempty"`
	TraceParent string `json:"traceparent,omitempty"`
	// Receipt is the record's receipt (signing/receipt) when the signed
	// message log keeps one: verifiable offline with
	// `tunduk evidence verify`; GET /v1/evidence/{recordId} returns it
	// again with the inclusion proof once the record is sealed.
	Receipt json.RawMessage `json:"receipt,omitempty"`
}
