package adapter

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/problem"
)

// Each kind of check failure becomes its problem type with the error's code
// in the right field; an unknown kind is an internal error that still names
// the check; a refused call says when to retry.
func TestProblemOfCheckError(t *testing.T) {
	for _, tc := range []struct {
		kind            Kind
		typ             problem.Type
		provider, fault string
	}{
		{KindNotFound, problem.SubjectNotFound, "C", ""},
		{KindRejected, problem.ProviderError, "C", ""},
		{KindProviderError, problem.ProviderError, "C", ""},
		{KindFault, problem.XRoadFault, "", "C"},
		{KindInvalidResponse, problem.InvalidResponse, "", "C"},
		{KindUnreachable, problem.Unreachable, "", "C"},
		{KindTimeout, problem.Timeout, "", ""},
		{KindUnavailable, problem.BreakerOpen, "", ""},
		{KindOverloaded, problem.Overloaded, "", ""},
		{KindJournal, problem.JournalUnavailable, "", ""},
		{KindNotConfigured, problem.NotConfigured, "", ""},
		{Kind("new"), problem.Internal, "", ""},
	} {
		p := Problem(&CheckError{Check: "tax", Kind: tc.kind, Code: "C", Err: errors.New("x")})
		if p.Kind() != tc.typ || p.ProviderCode != tc.provider || p.FaultCode != tc.fault || p.Check != "tax" || p.Detail == "" {
			t.Errorf("%s: got %+v", tc.kind, p)
		}
	}
	if p := Problem(&CheckError{Kind: KindOverloaded}); p.RetryAfterSeconds != 1 {
		t.Errorf("overloaded: retry after %d s, want 1", p.RetryAfterSeconds)
	}
	if p := Problem(&CheckError{Kind: KindUnavailable, RetryAfter: 2500 * time.Millisecond}); p.RetryAfterSeconds != 3 {
		t.Errorf("unavailable: retry after %d s, want 3", p.RetryAfterSeconds)
	}
}

// A check whose exchange could not be made durable (the log's queue is
// full, its database unreachable) is answered 503 with Retry-After, and
// the cause stays out of the answer.
func TestJournalFailureIsRetryable(t *testing.T) {
	cause := fmt.Errorf("pgstore: commit 3 records: %w", errors.New("dial tcp 10.0.0.5:5432: connect: connection refused"))
	rec := httptest.NewRecorder()
	status := problem.Write(rec, Problem(&CheckError{Check: "tax-debt", Kind: KindJournal, Err: cause}), "en")
	if status != 503 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("journal failure: %d, Retry-After %q; want 503 with Retry-After", status, rec.Header().Get("Retry-After"))
	}
	if strings.Contains(rec.Body.String(), "10.0.0.5") {
		t.Errorf("the answer leaks the cause: %s", rec.Body.String())
	}
}
