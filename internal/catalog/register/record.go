package register

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/atomicfile"
)

// ApplyRole is the catalog role that may apply registrations.
const ApplyRole = catalog.RoleRegistrar

// Actor is who applies: an authorised person of the catalog. The PIN is
// left out: the handle identifies the person within the catalog, which is
// versioned alongside.
type Actor struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	Basis string `json:"basis,omitempty"` // the order that authorises the person
}

// NotAuthorisedError refuses an apply by someone the catalog does not
// authorise for it.
type NotAuthorisedError struct {
	ID     string
	Reason string
}

func (e *NotAuthorisedError) Error() string {
	return fmt.Sprintf("register: %q may not apply registrations: %s", e.ID, e.Reason)
}

// Authorize returns the actor for person id when the catalog lists them as
// an authorised person holding the registrar role.
func Authorize(c *catalog.Catalog, id string) (Actor, error) {
	if id == "" {
		return Actor{}, &NotAuthorisedError{ID: id, Reason: "name yourself with --as (an authorised person's id in the catalog)"}
	}
	p := c.Person(id)
	if p == nil {
		return Actor{}, &NotAuthorisedError{ID: id, Reason: "not an authorised person in the catalog's organisation"}
	}
	if !p.Has(ApplyRole) {
		return Actor{}, &NotAuthorisedError{ID: id, Reason: fmt.Sprintf("the catalog does not give them the %q role", ApplyRole)}
	}
	return Actor{ID: p.ID, Name: p.Name, Role: string(ApplyRole), Basis: p.Basis}, nil
}

// Phases of an apply record.
const (
	PhaseBegin = "begin" // before any change, with the plan
	PhaseEnd   = "end"   // after, with every change's outcome
)

// ApplyRecord is what is recorded about an apply: who, what, when.
type ApplyRecord struct {
	Phase          string    `json:"phase"`
	Time           time.Time `json:"time"`
	Actor          Actor     `json:"actor"`
	SecurityServer string    `json:"securityServer,omitempty"`
	// Planned is the plan (begin record).
	Planned []Change `json:"planned,omitempty"`
	// Results and Outcome (complete, partial, failed) are in the end record.
	Results []Result `json:"results,omitempty"`
	Outcome string   `json:"outcome,omitempty"`
}

// Recorder records applies. The signed message log implements it in
// production; JSONLRecorder is the plain-file version.
type Recorder interface {
	RecordApply(ctx context.Context, r ApplyRecord) error
}

// JSONLRecorder appends each record as one JSON line to a file, synced to
// disk before RecordApply returns.
type JSONLRecorder struct {
	Path string
	mu   sync.Mutex
}

// RecordApply appends r.
func (j *JSONLRecorder) RecordApply(_ context.Context, r ApplyRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("register: record: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := atomicfile.Append(j.Path, 0o640, b); err != nil {
		return fmt.Errorf("register: record: %w", err)
	}
	return nil
}
