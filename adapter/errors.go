package adapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/kgid"
)

// Kind classifies why a check produced no result.
type Kind string

// Kinds of check failure, each with its HTTP status (see HTTPError).
const (
	KindNotFound        Kind = "not_found"                   // 404: the producer does not know the subject
	KindRejected        Kind = "provider_rejected"           // 502: the producer refused our request (BAD_REQUEST)
	KindProviderError   Kind = "provider_error"              // 502: the producer failed (INTERNAL_ERROR)
	KindFault           Kind = "xroad_fault"                 // 502: SOAP fault / X-Road-Error
	KindInvalidResponse Kind = "invalid_response"            // 502: echo, requestHash or body did not check out
	KindUnreachable     Kind = "security_server_unreachable" // 502: the SS could not be reached or the connection broke
	KindTimeout         Kind = "timeout"                     // 504
	KindUnavailable     Kind = "service_unavailable"         // 503 + Retry-After: breaker open
	KindOverloaded      Kind = "overloaded"                  // 503 + Retry-After: too many checks in flight
	KindJournal         Kind = "journal_unavailable"         // 503: the exchange could not be made durable
	KindNotConfigured   Kind = "check_not_configured"        // 501
	KindInternal        Kind = "internal"                    // 500
)

// CheckError is why a check produced no result. Its fields are safe to
// show the portal; Err (the cause) is only logged.
type CheckError struct {
	Check string
	Kind  Kind
	// Code is the X-Road fault code, the producer's business code, or the
	// validation code (InconsistentResponse, InvalidRequestHash).
	Code string
	// RetryAfter is set for KindUnavailable / KindOverloaded.
	RetryAfter time.Duration
	// Evidence is set when an exchange took place (and was journalled).
	Evidence *Evidence
	Err      error
}

func (e *CheckError) Error() string {
	s := fmt.Sprintf("adapter: %s: %s", e.Check, e.Kind)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *CheckError) Unwrap() error { return e.Err }

// RequestError is a problem with the portal's request (400, 401, 403,
// 404, 405, 413, 415). Message is shown as is.
type RequestError struct {
	Status  int
	Code    string
	Message string
	// Field names the offending input (inn, representativePin, X-User-Id…).
	Field string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("adapter: request: %d %s: %s", e.Status, e.Code, e.Message)
}

// BadRequest is a 400 RequestError.
func BadRequest(code, field, format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// InvalidID turns a kgid validation error for an input field into a 400.
func InvalidID(field string, err error) *RequestError {
	var ie *kgid.InvalidError
	if errors.As(err, &ie) {
		return BadRequest("invalid_"+lower(string(ie.Kind)), field, "%s is not a valid %s: %s", field, ie.Kind, ie.Reason)
	}
	return BadRequest("invalid_input", field, "%s is not valid", field)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ErrorInfo is the JSON "error" object.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// FaultCode is the X-Road fault code (xroad_fault, invalid_response).
	FaultCode string `json:"faultCode,omitempty"`
	// ProviderCode is the producer's business code.
	ProviderCode string `json:"providerCode,omitempty"`
	// RetryAfterSeconds repeats the Retry-After header.
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error    ErrorInfo `json:"error"`
	Check    string    `json:"check,omitempty"`
	Evidence *Evidence `json:"evidence,omitempty"`
}

// HTTPError decides the HTTP status, headers and body for err. It never
// puts err.Error() of an unexpected error into the body.
func HTTPError(err error) (status int, retryAfter time.Duration, body ErrorBody) {
	var re *RequestError
	if errors.As(err, &re) {
		return re.Status, 0, ErrorBody{Error: ErrorInfo{Code: re.Code, Message: re.Message, Field: re.Field}}
	}
	var ce *CheckError
	if !errors.As(err, &ce) {
		return http.StatusInternalServerError, 0, ErrorBody{Error: ErrorInfo{Code: string(KindInternal), Message: "internal error; the gateway log has the details"}}
	}
	info := ErrorInfo{Code: string(ce.Kind)}
	status = http.StatusBadGateway
	switch ce.Kind {
	case KindNotFound:
		status, info.Message, info.ProviderCode = http.StatusNotFound, "the producer has no record of this subject", ce.Code
	case KindRejected:
		info.Message, info.ProviderCode = "the producer rejected the request", ce.Code
	case KindProviderError:
		info.Message, info.ProviderCode = "the producer reported an internal error", ce.Code
	case KindFault:
		info.Message, info.FaultCode = "the security server or producer answered with a fault", ce.Code
	case KindInvalidResponse:
		info.Message, info.FaultCode = "the answer failed the gateway's checks (header echo, requestHash or body)", ce.Code
	case KindUnreachable:
		info.Message, info.FaultCode = "the security server could not be reached", ce.Code
	case KindTimeout:
		status, info.Message = http.StatusGatewayTimeout, "the security server did not answer in time"
	case KindUnavailable:
		status, info.Message = http.StatusServiceUnavailable, "the service is failing; calls are paused (circuit breaker open)"
	case KindOverloaded:
		status, info.Message = http.StatusServiceUnavailable, "too many checks in flight; retry later"
	case KindJournal:
		status, info.Message = http.StatusServiceUnavailable, "the exchange could not be journalled; no result is given without evidence"
	case KindNotConfigured:
		status, info.Message = http.StatusNotImplemented, "this check has no service mapping configured"
	default:
		status, info.Code, info.Message = http.StatusInternalServerError, string(KindInternal), "internal error; the gateway log has the details"
	}
	var ra time.Duration
	if status == http.StatusServiceUnavailable && ce.Kind != KindJournal {
		ra = ce.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		info.RetryAfterSeconds = retrySeconds(ra)
	}
	return status, ra, ErrorBody{Error: info, Check: ce.Check, Evidence: ce.Evidence}
}

func retrySeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// WriteError writes err as a JSON error answer.
func WriteError(w http.ResponseWriter, err error) int {
	status, ra, body := HTTPError(err)
	if ra > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(ra)))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tunduk"`)
	}
	WriteJSON(w, status, body)
	return status
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away
}
