package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
)

// Outcome is what became of one change.
type Outcome string

// Outcomes.
const (
	Applied        Outcome = "applied"
	AlreadyPresent Outcome = "already-present" // the SS had it (409 or found on re-read)
	Failed         Outcome = "failed"
	NotAttempted   Outcome = "not-attempted" // after an earlier failure
)

// Result is one change and what became of it.
type Result struct {
	Change  Change  `json:"change"`
	Outcome Outcome `json:"outcome"`
	// Warnings the SS raised: accepted ones for Applied, the blocking ones
	// for Failed.
	Warnings []ssapi.CodeWithDetails `json:"warnings,omitempty"`
	Error    string                  `json:"error,omitempty"`
}

// Report is the outcome of an apply, change by change, in plan order.
type Report struct {
	Results []Result
}

// Count returns how many results have the outcome.
func (r *Report) Count(o Outcome) int {
	n := 0
	for _, x := range r.Results {
		if x.Outcome == o {
			n++
		}
	}
	return n
}

// Failed returns the failed result, or nil.
func (r *Report) Failed() *Result {
	for i := range r.Results {
		if r.Results[i].Outcome == Failed {
			return &r.Results[i]
		}
	}
	return nil
}

// ApplyOptions say who applies and where the apply is recorded.
type ApplyOptions struct {
	// Actor is the authorised person applying (see Authorize). Required.
	Actor Actor
	// Recorder records the apply before and after. Required: an apply that
	// cannot be recorded is not made.
	Recorder Recorder
	// SecurityServer names the SS in the record (its API URL).
	SecurityServer string
	// Logger gets one line per change. Default zap.NewNop().
	Logger *zap.Logger
	// Now is the clock for records (default time.Now).
	Now func() time.Time
}

// ErrNotRecorded is wrapped when the apply could not be recorded.
var ErrNotRecorded = errors.New("register: apply could not be recorded")

// Apply makes the plan's changes in order, stopping at the first failure,
// and records the apply (a "begin" record with the plan, an "end" record
// with the outcome of every change). Each change is idempotent: an item the
// SS already has (409, or found when re-read) counts as AlreadyPresent.
// The returned error is the first change's failure (errors.As finds
// *ssapi.WarningsError when warnings blocked it) or a recording failure;
// the report says exactly what was and was not applied.
func Apply(ctx context.Context, c *ssapi.Client, p *Plan, opts ApplyOptions) (*Report, error) {
	if opts.Actor.ID == "" {
		return nil, errors.New("register: apply refused: no authorised person named")
	}
	if opts.Recorder == nil {
		return nil, errors.New("register: apply refused: no recorder")
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	rec := ApplyRecord{Phase: PhaseBegin, Time: now().UTC(), Actor: opts.Actor, SecurityServer: opts.SecurityServer}
	rec.Planned = append(rec.Planned, p.Changes...)
	if err := opts.Recorder.RecordApply(ctx, rec); err != nil {
		return nil, fmt.Errorf("%w (nothing was changed): %w", ErrNotRecorded, err)
	}

	a := &applier{c: c, ids: map[string]string{}}
	if p.observed != nil {
		for client, sds := range p.observed.Descriptions {
			for _, sd := range sds {
				a.ids[client+"|"+sd.URL] = sd.ID
			}
		}
	}
	rep := &Report{}
	var firstErr error
	for _, ch := range p.Changes {
		if firstErr != nil {
			rep.Results = append(rep.Results, Result{Change: ch, Outcome: NotAttempted})
			continue
		}
		res := a.apply(ctx, ch)
		if res.Outcome == Failed {
			firstErr = a.lastErr
		}
		log.Info("register change", zap.String("kind", string(ch.Kind)), zap.String("target", ch.Target),
			zap.String("outcome", string(res.Outcome)))
		rep.Results = append(rep.Results, res)
	}

	end := ApplyRecord{Phase: PhaseEnd, Time: now().UTC(), Actor: opts.Actor, SecurityServer: opts.SecurityServer, Results: rep.Results}
	switch {
	case firstErr == nil:
		end.Outcome = "complete"
	case rep.Count(Applied)+rep.Count(AlreadyPresent) > 0:
		end.Outcome = "partial"
	default:
		end.Outcome = "failed"
	}
	if err := opts.Recorder.RecordApply(ctx, end); err != nil {
		return rep, errors.Join(firstErr, fmt.Errorf("%w (the changes above were made): %w", ErrNotRecorded, err))
	}
	return rep, firstErr
}

type applier struct {
	c       *ssapi.Client
	ids     map[string]string // client|url → description id
	lastErr error
}

func (a *applier) fail(ch Change, err error) Result {
	a.lastErr = fmt.Errorf("register: %s %s: %w", ch.Kind, ch.Target, err)
	r := Result{Change: ch, Outcome: Failed, Error: err.Error()}
	var we *ssapi.WarningsError
	if errors.As(err, &we) {
		r.Warnings = we.Warnings
	}
	return r
}

// descID finds the SS id of the change's description, reading the
// client's descriptions again when it was created during this apply.
func (a *applier) descID(ctx context.Context, ch Change) (string, error) {
	if id, ok := a.ids[ch.Client+"|"+ch.desc.URL]; ok {
		return id, nil
	}
	if ch.descID != "" {
		return ch.descID, nil
	}
	sds, err := a.c.ServiceDescriptions(ctx, ch.Client)
	if err != nil {
		return "", err
	}
	for _, sd := range sds {
		a.ids[ch.Client+"|"+sd.URL] = sd.ID
	}
	if id, ok := a.ids[ch.Client+"|"+ch.desc.URL]; ok {
		return id, nil
	}
	return "", fmt.Errorf("description %s not found on the security server", ch.desc.URL)
}

func (a *applier) apply(ctx context.Context, ch Change) Result {
	ok := Result{Change: ch, Outcome: Applied}
	switch ch.Kind {
	case AddClient:
		id, err := ssapi.ParseClientID(ch.Client)
		if err != nil {
			return a.fail(ch, err)
		}
		_, ws, err := a.c.AddClient(ctx, ssapi.ClientAdd{MemberClass: id.MemberClass, MemberCode: id.MemberCode, SubsystemCode: id.SubsystemCode})
		if errors.Is(err, ssapi.ErrConflict) {
			return Result{Change: ch, Outcome: AlreadyPresent}
		}
		if err != nil {
			return a.fail(ch, err)
		}
		ok.Warnings = ws
	case AddDescription:
		sd, ws, err := a.c.AddServiceDescription(ctx, ch.Client, ssapi.ServiceDescriptionAdd{URL: ch.desc.URL, Type: ch.desc.Type, RestServiceCode: ch.desc.RestServiceCode})
		var ae *ssapi.APIError
		if errors.As(err, &ae) && ae.Status == 409 && ae.Code() == "url_already_exists" {
			if _, err := a.descID(ctx, ch); err != nil {
				return a.fail(ch, err)
			}
			return Result{Change: ch, Outcome: AlreadyPresent}
		}
		if err != nil {
			return a.fail(ch, err)
		}
		a.ids[ch.Client+"|"+sd.URL] = sd.ID
		ok.Warnings = ws
	case UpdateDescription:
		sd, ws, err := a.c.UpdateServiceDescription(ctx, ch.descID, ssapi.ServiceDescriptionUpdate{URL: ch.desc.URL, Type: ch.desc.Type, RestServiceCode: ch.desc.RestServiceCode})
		if err != nil {
			return a.fail(ch, err)
		}
		a.ids[ch.Client+"|"+sd.URL] = sd.ID
		ok.Warnings = ws
	case UpdateService:
		_, ws, err := a.c.UpdateService(ctx, ch.Target, ssapi.ServiceUpdate{URL: ch.svc.URL, Timeout: ch.svc.Timeout, SSLAuth: ch.svc.SSLAuth})
		if err != nil {
			return a.fail(ch, err)
		}
		ok.Warnings = ws
	case AddEndpoint:
		code := ch.svc.FullCode
		_, err := a.c.AddEndpoint(ctx, ch.Target, ssapi.Endpoint{ServiceCode: code, Method: ch.endpoint.Method, Path: ch.endpoint.Path})
		if errors.Is(err, ssapi.ErrConflict) {
			return Result{Change: ch, Outcome: AlreadyPresent}
		}
		if err != nil {
			return a.fail(ch, err)
		}
	case GrantAccess:
		_, err := a.c.AddServiceClients(ctx, ch.Target, ch.consumers)
		if errors.Is(err, ssapi.ErrConflict) {
			// Someone granted part of it meanwhile: grant only what is missing.
			scs, rerr := a.c.ServiceClients(ctx, ch.Target)
			if rerr != nil {
				return a.fail(ch, rerr)
			}
			var missing []string
			for _, id := range ch.consumers {
				if !slices.ContainsFunc(scs, func(sc ssapi.ServiceClient) bool { return sc.ID == id }) {
					missing = append(missing, id)
				}
			}
			if len(missing) == 0 {
				return Result{Change: ch, Outcome: AlreadyPresent}
			}
			_, err = a.c.AddServiceClients(ctx, ch.Target, missing)
		}
		if err != nil {
			return a.fail(ch, err)
		}
	case EnableDescription, DisableDesc:
		id, err := a.descID(ctx, ch)
		if err != nil {
			return a.fail(ch, err)
		}
		if ch.Kind == EnableDescription {
			err = a.c.EnableServiceDescription(ctx, id)
		} else {
			err = a.c.DisableServiceDescription(ctx, id, "Disabled by catalog")
		}
		if err != nil {
			return a.fail(ch, err)
		}
	default:
		return a.fail(ch, fmt.Errorf("unknown change kind %q", ch.Kind))
	}
	return ok
}
