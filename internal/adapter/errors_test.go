package adapter

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/adapter/problem"
)

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
