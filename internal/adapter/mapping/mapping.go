// Package mapping reads the declarative mappings that tie a portal check
// (internal/adapter/checks) to a Tunduk service: which service answers it (SOAP
// service id, or a REST service plus path), the request body template, where
// the answer's facts are (element paths) and how the producer's business
// codes map to a result.
//
// The SOAP body wrapper is never configured: it is always the service code
// (request) and serviceCode+"Response" (answer), so the two cannot diverge.
// The three body styles seen in Tunduk traffic are supported:
//
//   - legacy: <op><request>…</request></op> → <opResponse><request>echo</request><response>…</response></opResponse>
//   - wcf:    <Op><PIN/>…</Op> → <OpResponse><CauseOfError>OK</CauseOfError>…</OpResponse>
//   - rest:   GET /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path] with a JSON answer
//
// Result fields are typed (internal/adapter/checks): strings, booleans, numbers,
// exact decimals, dates (read in the producer's format: and answered as
// YYYY-MM-DD), enumerations (the producer's wording mapped by values: to
// stable API values), nested objects and lists of objects (repeated
// elements). A field may also be a constant (value:) the producer implies
// but does not send, such as its currency.
//
// Loading validates a mapping fully — the check exists, every required
// result field is mapped, templates execute and give well-formed XML,
// formats, enumerations and constants fit their fields — and reports each
// problem with its file and line.
//
// Answers are bounded: the security-server client reads at most the
// mapping's maxAnswerBytes (default 1 MiB), the SOAP envelope is parsed by
// package soap within its limits, and the body wrapper is read here in
// linear time with at most 100,000 elements, nesting 64 and 256 attributes
// per element; JSON answers have the same element and depth bounds.
package mapping

import (
	"fmt"
	"text/template"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
	"github.com/tunduk-kg/tunduk/soap"
)

// Answer size limits (maxAnswerBytes).
const (
	DefaultMaxAnswerBytes = 1 << 20
	MaxMaxAnswerBytes     = 64 << 20
)

// Style is the body style of the service.
type Style string

// Body styles.
const (
	Legacy Style = "legacy"
	WCF    Style = "wcf"
	REST   Style = "rest"
)

// Outcome is what a producer's answer means for the check.
type Outcome string

// Outcomes of an answer.
const (
	// OK: the producer answered with the facts.
	OK Outcome = "ok"
	// NotFound: the producer does not know the subject.
	NotFound Outcome = "not-found"
	// Rejected: the producer refused the request as invalid (BAD_REQUEST,
	// PIN_INCORRECT).
	Rejected Outcome = "rejected"
	// ProviderError: the producer failed (INTERNAL_ERROR).
	ProviderError Outcome = "provider-error"
)

func validOutcome(o Outcome) bool {
	switch o {
	case OK, NotFound, Rejected, ProviderError:
		return true
	}
	return false
}

// Mapping is one loaded, validated check mapping.
type Mapping struct {
	// File is where the mapping was read from.
	File string
	// Check is the portal check it implements.
	Check checks.Check
	// Style is the body style.
	Style Style
	// Service is the Tunduk service.
	Service soap.ServiceID
	// Public is false when the service code is not published and was
	// configured from the producer's metaservices.
	Public bool
	// Discover says how an operator finds the real service code.
	Discover string
	// Namespace is the SOAP body wrapper's namespace.
	Namespace string
	// Timeout overrides the security-server client's timeout, if non-zero.
	Timeout time.Duration
	// MaxAnswerBytes bounds the service's answer (maxAnswerBytes in the
	// file; default DefaultMaxAnswerBytes): a supplier check's answer is a
	// few KB, so an answer past this is refused at the limit rather than
	// read to the timeout.
	MaxAnswerBytes int64
	// Method and Path are the REST request's method and path template
	// (appended to the service's /r1/… path).
	Method string

	vars      map[string]string
	request   *template.Template // SOAP: inner XML of the wrapper
	compiled  []tmplPart         // request, when simple enough (see compileSimple)
	path      *template.Template // REST: path suffix
	status    []statusRule
	notFound  []int
	errorCode []string // REST: where a non-2xx JSON body names its code
	fields    []fieldSpec
}

type statusRule struct {
	path      []string
	codes     map[string]Outcome
	otherwise Outcome
	missing   Outcome // "" ⇒ a missing status element is a malformed answer
}

type fieldSpec struct {
	name     string
	typ      checks.FieldType
	required bool
	paths    [][]string      // alternatives, first present wins ("pin|inn")
	truthy   map[string]bool // for bool
	fields   []fieldSpec     // for list and object
	constant any             // value: — a fixed answer, no path
	layout   string          // date: Go layout of the producer's format
	enum     map[string]string
	// otherwise is the enum value for producer wording not in enum; ""
	// makes such an answer malformed.
	otherwise string
}

// Input is what a check request supplies to the templates.
type Input struct {
	// INN of the supplier (organisation checks).
	INN string
	// PIN of the person (person checks).
	PIN string
	// RepresentativePIN is the supplier's representative, when given.
	RepresentativePIN string
	// UserID is the X-Road userId (country prefix + officer PIN).
	UserID string
	// OfficerPIN is the officer's PIN without prefix.
	OfficerPIN string
	// Issue is the X-Road issue, when given.
	Issue string
}

// Answer is what a producer's answer says.
type Answer struct {
	Outcome Outcome
	// Code is the business code that decided the outcome, e.g. "OK",
	// "PIN_NOTFOUND", "200"; empty when no status rule applied.
	Code string
	// Fields are the result fields read from the answer (OK only); lists are
	// []map[string]any, numbers json.Number, booleans bool.
	Fields map[string]any
}

// MalformedError says an answer does not fit the mapping: wrong wrapper,
// missing status, a required field absent or of the wrong type. It is safe
// to show: it names elements, never values.
type MalformedError struct {
	Check  string
	Reason string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("mapping: %s: malformed answer: %s", e.Check, e.Reason)
}

// IsSOAP reports whether the service is called with SOAP.
func (m *Mapping) IsSOAP() bool { return m.Style != REST }
