// Package problem is the portal API's error model: RFC 9457 problem
// details (application/problem+json) with one stable type URI per kind of
// failure, so a portal can branch on "type" alone and never confuses a
// mistyped URL with a subject the register does not know.
//
// A Problem is built once (in English) by adapter.Problem and localized
// for the caller's Accept-Language (ky, ru or en) just before it is
// written; the type, title, status and extension fields never change with
// the language, only detail does.
//
// Public API: portal clients written in Go may import this package to decode the gateway's RFC 9457 problems by type. Everything under internal/ is tunduk's own and may change
// without notice.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// BaseURI prefixes every problem type. The URIs are identifiers: stable,
// documented in the OpenAPI document, not necessarily dereferenceable.
const BaseURI = "https://tunduk-kg.github.io/tunduk/problems/"

// ContentType is the media type of a problem answer (RFC 9457 §3).
const ContentType = "application/problem+json"

// Type is a kind of failure; its URI is BaseURI + the value.
type Type string

// The kinds of failure, each with one HTTP status (see Status).
const (
	NoRoute              Type = "no-route"               // 404: no such path
	MethodNotAllowed     Type = "method-not-allowed"     // 405: the path exists, the method does not
	InvalidInput         Type = "invalid-input"          // 400: a header, path parameter or body field is wrong
	Unauthenticated      Type = "unauthenticated"        // 401
	Forbidden            Type = "forbidden"              // 403: the caller may not run the check
	BodyTooLarge         Type = "body-too-large"         // 413
	UnsupportedMedia     Type = "unsupported-media-type" // 415: not JSON, or a Content-Encoding
	IdempotencyKeyReused Type = "idempotency-key-reused" // 422: same Idempotency-Key, different body
	RateLimited          Type = "rate-limited"           // 429 + Retry-After: the caller's rate or concurrency quota
	SubjectNotFound      Type = "subject-not-found"      // 404: the register has no record of the subject
	ProviderError        Type = "provider-error"         // 502: the producer answered with a business error
	XRoadFault           Type = "xroad-fault"            // 502: SOAP fault or X-Road-Error
	InvalidResponse      Type = "invalid-response"       // 502: the answer failed the gateway's checks
	Unreachable          Type = "security-server-unreachable"
	Timeout              Type = "timeout"              // 504
	Overloaded           Type = "overloaded"           // 503 + Retry-After: the gateway's global in-flight bound
	BreakerOpen          Type = "breaker-open"         // 503 + Retry-After: the service's circuit breaker is open
	JournalUnavailable   Type = "journal-unavailable"  // 503: no result without durable evidence
	NotConfigured        Type = "check-not-configured" // 501
	Internal             Type = "internal"             // 500
)

var statuses = map[Type]int{
	NoRoute: 404, MethodNotAllowed: 405, InvalidInput: 400, Unauthenticated: 401, Forbidden: 403,
	BodyTooLarge: 413, UnsupportedMedia: 415, IdempotencyKeyReused: 422, RateLimited: 429,
	SubjectNotFound: 404, ProviderError: 502, XRoadFault: 502, InvalidResponse: 502, Unreachable: 502,
	Timeout: 504, Overloaded: 503, BreakerOpen: 503, JournalUnavailable: 503, NotConfigured: 501, Internal: 500,
}

var titles = map[Type]string{
	NoRoute:              "No such route",
	MethodNotAllowed:     "Method not allowed",
	InvalidInput:         "Invalid input",
	Unauthenticated:      "Unknown caller",
	Forbidden:            "Check not allowed for this caller",
	BodyTooLarge:         "Request body too large",
	UnsupportedMedia:     "Unsupported request body encoding",
	IdempotencyKeyReused: "Idempotency-Key reused with another body",
	RateLimited:          "Rate limit exceeded",
	SubjectNotFound:      "Subject not found",
	ProviderError:        "Provider business error",
	XRoadFault:           "X-Road fault",
	InvalidResponse:      "Invalid answer from the security server",
	Unreachable:          "Security server unreachable",
	Timeout:              "Timeout",
	Overloaded:           "Gateway overloaded",
	BreakerOpen:          "Service paused (circuit breaker open)",
	JournalUnavailable:   "Journal unavailable",
	NotConfigured:        "Check not configured",
	Internal:             "Internal error",
}

// Types lists every kind, for documentation and tests.
func Types() []Type {
	out := make([]Type, 0, len(statuses))
	for t := range statuses {
		out = append(out, t)
	}
	return out
}

// URI is the type's stable identifier.
func (t Type) URI() string { return BaseURI + string(t) }

// Status is the HTTP status every problem of this type has.
func (t Type) Status() int {
	if s, ok := statuses[t]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Title is the type's fixed short summary (English, RFC 9457 §3.1.4: it
// does not change from occurrence to occurrence).
func (t Type) Title() string { return titles[t] }

// Problem is an RFC 9457 problem details object with the gateway's
// extension members.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Code is the finer machine-readable reason within the type
	// (invalid_inn, missing_user_id, provider_rejected, …).
	Code string `json:"code"`
	// Check names the check the problem is about.
	Check string `json:"check,omitempty"`
	// Field names the offending input (inn, X-User-Id, checks…).
	Field string `json:"field,omitempty"`
	// FaultCode is the X-Road fault code.
	FaultCode string `json:"faultCode,omitempty"`
	// ProviderCode is the producer's business code.
	ProviderCode string `json:"providerCode,omitempty"`
	// RetryAfterSeconds repeats the Retry-After header.
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
	// RequestID is the request's X-Request-Id.
	RequestID string `json:"requestId,omitempty"`
	// Evidence is the exchange's evidence when one took place.
	Evidence any `json:"evidence,omitempty"`

	// kind and args drive localization; not serialized.
	kind Type
	args []string
}

// New builds a problem of type t with an English detail. key names the
// localized detail template (usually the code) and args fill it.
func New(t Type, code, detail string, args ...string) Problem {
	return Problem{Type: t.URI(), Title: t.Title(), Status: t.Status(), Code: code, Detail: detail, kind: t, args: args}
}

// Kind is the problem's type.
func (p *Problem) Kind() Type { return p.kind }

// Localize returns p with detail in lang (one of Languages); English and
// codes without a translation keep the English detail.
func (p Problem) Localize(lang string) Problem {
	if lang == "" || lang == "en" {
		return p
	}
	if d, ok := translate(lang, p.Code, p.kind, p.args); ok {
		p.Detail = d
	}
	return p
}

// Write writes p as application/problem+json in lang, with Retry-After
// when set. It returns p.Status.
func Write(w http.ResponseWriter, p Problem, lang string) int {
	p = p.Localize(lang)
	h := w.Header()
	if p.RetryAfterSeconds > 0 {
		h.Set("Retry-After", strconv.Itoa(p.RetryAfterSeconds))
	}
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="tunduk"`)
	}
	h.Set("Content-Type", ContentType)
	h.Set("Content-Language", orEn(lang))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(p) //nolint:errcheck // the client went away
	return p.Status
}

func orEn(l string) string {
	if l == "" {
		return "en"
	}
	return l
}

// Languages are the languages detail is available in, English first.
var Languages = []string{"en", "ru", "ky"}

// Negotiate picks ky, ru or en from an Accept-Language header (RFC 9110
// §12.5.4: quality values, language ranges matched by prefix); English
// when nothing acceptable is offered.
func Negotiate(accept string) string {
	best, bestQ := "en", 0.0
	for part := range strings.SplitSeq(accept, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(tag, "-")
		for _, l := range Languages {
			if primary == l && q > bestQ {
				best, bestQ = l, q
			}
		}
	}
	return best
}
