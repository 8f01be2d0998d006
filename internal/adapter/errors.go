package adapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/problem"
	"github.com/tunduk-kg/tunduk/internal/adapter/kgid"
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
	// RetryAfter is set for KindUnavailable / KindOverloaded (KindJournal
	// answers with 1s: the log is full or its database unreachable).
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
// 404, 405, 413, 415, 422, 429). Message is shown as is (English detail).
type RequestError struct {
	Status  int
	Code    string
	Message string
	// Field names the offending input (inn, representativePin, X-User-Id…).
	Field string
	// Type is the problem type; zero means the type of Status
	// (400 invalid-input, 401, 403, 404 no-route, 405, 413, 415, 422, 429).
	Type problem.Type
	// Args fill the localized detail's template after Field ({1}, {2}…).
	Args []string
	// RetryAfter is set for 429.
	RetryAfter time.Duration
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("adapter: request: %d %s: %s", e.Status, e.Code, e.Message)
}

// With adds localization arguments to e and returns it.
func (e *RequestError) With(args ...string) *RequestError {
	e.Args = append(e.Args, args...)
	return e
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

// Problem decides the RFC 9457 problem (type, status, English detail and
// extension fields) for err. It never puts err.Error() of an unexpected
// error into the answer. The evidence, when an exchange took place, is
// the problem's evidence member.
func Problem(err error) problem.Problem {
	var re *RequestError
	if errors.As(err, &re) {
		t := re.Type
		if t == "" {
			t = requestType(re.Status)
		}
		p := problem.New(t, re.Code, re.Message, append([]string{re.Field}, re.Args...)...)
		p.Field = re.Field
		if re.RetryAfter > 0 {
			p.RetryAfterSeconds = retrySeconds(re.RetryAfter)
		}
		return p
	}
	var ce *CheckError
	if !errors.As(err, &ce) {
		return problem.New(problem.Internal, string(KindInternal), "internal error; the gateway log has the details")
	}
	p := problem.New(problem.Internal, string(KindInternal), "internal error; the gateway log has the details")
	k, ok := kindProblems[ce.Kind]
	if ok {
		p = problem.New(k.typ, string(ce.Kind), k.detail)
	}
	switch k.code {
	case providerCode:
		p.ProviderCode = ce.Code
	case faultCode:
		p.FaultCode = ce.Code
	}
	if ce.Kind == KindUnavailable || ce.Kind == KindOverloaded || ce.Kind == KindJournal {
		ra := ce.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		p.RetryAfterSeconds = retrySeconds(ra)
	}
	p.Check = ce.Check
	if ce.Evidence != nil {
		p.Evidence = ce.Evidence
	}
	return p
}

// codeField is where a CheckError's Code goes in the problem.
type codeField int

const (
	noCode       codeField = iota
	providerCode           // the producer's own error code
	faultCode              // the SOAP fault or X-Road-Error code
)

// kindProblems is how each Kind is told to the portal: the problem type,
// the detail and where the error's code goes. A Kind not listed is an
// internal error.
var kindProblems = map[Kind]struct {
	typ    problem.Type
	detail string
	code   codeField
}{
	KindNotFound:        {problem.SubjectNotFound, "the producer has no record of this subject", providerCode},
	KindRejected:        {problem.ProviderError, "the producer rejected the request", providerCode},
	KindProviderError:   {problem.ProviderError, "the producer reported an internal error", providerCode},
	KindFault:           {problem.XRoadFault, "the security server or producer answered with a fault", faultCode},
	KindInvalidResponse: {problem.InvalidResponse, "the answer failed the gateway's checks (header echo, requestHash or body)", faultCode},
	KindUnreachable:     {problem.Unreachable, "the security server could not be reached", faultCode},
	KindTimeout:         {problem.Timeout, "the security server did not answer in time", noCode},
	KindUnavailable:     {problem.BreakerOpen, "the service is failing; calls are paused (circuit breaker open)", noCode},
	KindOverloaded:      {problem.Overloaded, "too many checks in flight; retry later", noCode},
	KindJournal:         {problem.JournalUnavailable, "the exchange could not be journalled; no result is given without evidence", noCode},
	KindNotConfigured:   {problem.NotConfigured, "this check has no service mapping configured", noCode},
}

func requestType(status int) problem.Type {
	switch status {
	case http.StatusUnauthorized:
		return problem.Unauthenticated
	case http.StatusForbidden:
		return problem.Forbidden
	case http.StatusNotFound:
		return problem.NoRoute
	case http.StatusMethodNotAllowed:
		return problem.MethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return problem.BodyTooLarge
	case http.StatusUnsupportedMediaType:
		return problem.UnsupportedMedia
	case http.StatusUnprocessableEntity:
		return problem.IdempotencyKeyReused
	case http.StatusTooManyRequests:
		return problem.RateLimited
	}
	return problem.InvalidInput
}

func retrySeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// WriteError writes err as an application/problem+json answer with detail
// in lang (problem.Negotiate) and the request id; it returns the status.
func WriteError(w http.ResponseWriter, err error, lang, requestID string) int {
	p := Problem(err)
	p.RequestID = requestID
	return problem.Write(w, p, lang)
}

func jsonHeader(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	jsonHeader(w, status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away
}
