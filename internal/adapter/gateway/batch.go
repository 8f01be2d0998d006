package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/tunduk-kg/tunduk/adapter/problem"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
	"github.com/tunduk-kg/tunduk/internal/adapter/kgid"
)

// post reads and checks a POST body, then runs h with it, honouring
// Idempotency-Key: a retry with the same key and body gets the recorded
// answer (Idempotent-Replayed: true) and makes no Tunduk query.
func (g *Gateway) post(h func(http.ResponseWriter, *http.Request, *call, []byte) error) func(http.ResponseWriter, *http.Request, *call) error {
	return func(w http.ResponseWriter, r *http.Request, cl *call) error {
		body, err := readBody(w, r, g.o.MaxBodyBytes)
		if err != nil {
			return err
		}
		key := r.Header.Get(HeaderIdempotencyKey)
		if key == "" {
			return h(w, r, cl, body)
		}
		if !validIdempotencyKey(key) {
			return adapter.BadRequest("invalid_idempotency_key", HeaderIdempotencyKey,
				"%s must be 1 to %d visible ASCII characters", HeaderIdempotencyKey, MaxIdempotencyKeyLen)
		}
		// The body is keyed with the route and the officer/issue headers:
		// the same body sent for another officer is another request.
		keyed := strings.Join([]string{r.URL.Path, cl.officer, cl.issue, string(body)}, "\x00")
		replay, fresh, err := g.idem.begin(r.Context(), cl.caller.Name, key, []byte(keyed))
		if err != nil {
			return err
		}
		if replay != nil {
			for k, v := range replay.header {
				w.Header()[k] = v
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(replay.status)
			w.Write(replay.body)
			return nil
		}
		rec := &recorder{ResponseWriter: w}
		err = h(rec, r, cl, body)
		if err != nil {
			adapter.WriteError(rec, err, cl.info.lang, cl.info.id)
		}
		hdr := http.Header{}
		for _, k := range []string{"Content-Type", "Content-Language", "Cache-Control", "X-Content-Type-Options"} {
			if v := w.Header().Values(k); len(v) > 0 {
				hdr[k] = v
			}
		}
		g.idem.finish(cl.caller.Name, key, fresh, rec.status, hdr, rec.buf.Bytes())
		if err != nil {
			return errWritten{err}
		}
		return nil
	}
}

// errWritten is an error whose problem answer was already written.
type errWritten struct{ error }

func (e errWritten) Unwrap() error { return e.error }

// BatchRequest is the body of POST /v1/supplier-checks.
type BatchRequest struct {
	INN               string   `json:"inn"`
	RepresentativePIN string   `json:"representativePin,omitempty"`
	Checks            []string `json:"checks"`
}

// BatchResult is one check's entry in a batch or tender answer. A check
// that failed or found nothing carries the problem the single endpoint
// answers for the same outcome (its evidence is the entry's evidence).
type BatchResult struct {
	Check    string            `json:"check"`
	Status   string            `json:"status"` // ok, not-found, error
	Data     map[string]any    `json:"data,omitempty"`
	Problem  *problem.Problem  `json:"problem,omitempty"`
	Evidence *adapter.Evidence `json:"evidence,omitempty"`
}

// BatchResponse is the answer of POST /v1/supplier-checks.
type BatchResponse struct {
	INN               string        `json:"inn"`
	RepresentativePIN string        `json:"representativePin,omitempty"`
	Complete          bool          `json:"complete"` // every check gave ok or not-found
	Results           []BatchResult `json:"results"`
}

var batchKeys = []string{"inn", "representativePin", "checks"}

func (g *Gateway) batch(w http.ResponseWriter, r *http.Request, cl *call, body []byte) error {
	var br BatchRequest
	if err := decodeStrict(body, &br, batchKeys, "{inn, representativePin?, checks: [...]}"); err != nil {
		return err
	}
	if err := g.checkSupplier(&br, ""); err != nil {
		return err
	}
	if err := allowed(cl.caller, br.Checks); err != nil {
		return err
	}
	n, release, err := cl.quota.slots(min(len(br.Checks), g.o.TenderConcurrency))
	if err != nil {
		return err
	}
	defer release()
	out := BatchResponse{INN: br.INN, RepresentativePIN: br.RepresentativePIN, Results: make([]BatchResult, len(br.Checks))}
	jobs := make([]job, len(br.Checks))
	for i, name := range br.Checks {
		jobs[i] = job{req: cl.subjectRequest(name, &br), out: &out.Results[i]}
	}
	g.runJobs(r.Context(), cl, jobs, n)
	out.Complete = complete(out.Results)
	adapter.WriteJSON(w, http.StatusOK, out)
	return nil
}

// TenderRequest is the body of POST /v1/tender-checks.
type TenderRequest struct {
	// Issue is the tender/lot reference, sent as X-Road issue with every
	// check (X-Issue, when also given, must be equal).
	Issue     string         `json:"issue"`
	Suppliers []BatchRequest `json:"suppliers"`
}

// TenderSupplier is one supplier's part of a tender answer.
type TenderSupplier struct {
	INN               string        `json:"inn"`
	RepresentativePIN string        `json:"representativePin,omitempty"`
	Complete          bool          `json:"complete"`
	Results           []BatchResult `json:"results"`
}

// TenderResponse is the answer of POST /v1/tender-checks.
type TenderResponse struct {
	Issue     string           `json:"issue"`
	Complete  bool             `json:"complete"` // every check of every supplier gave ok or not-found
	Suppliers []TenderSupplier `json:"suppliers"`
}

var tenderKeys = []string{"issue", "suppliers", "inn", "representativePin", "checks"}

func (g *Gateway) tender(w http.ResponseWriter, r *http.Request, cl *call, body []byte) error {
	var tr TenderRequest
	if err := decodeStrict(body, &tr, tenderKeys, "{issue, suppliers: [{inn, representativePin?, checks: [...]}]}"); err != nil {
		return err
	}
	if tr.Issue == "" {
		return adapter.BadRequest("missing_issue", "issue", "issue is required: the tender/lot reference sent to Tunduk with every check")
	}
	if err := validIssue("issue", tr.Issue); err != nil {
		return err
	}
	if cl.issue != "" && cl.issue != tr.Issue {
		return adapter.BadRequest("issue_mismatch", "issue", "issue in the body and the %s header differ; send one of them", HeaderIssue)
	}
	if len(tr.Suppliers) == 0 {
		return adapter.BadRequest("missing_suppliers", "suppliers", "suppliers must list at least one supplier")
	}
	if len(tr.Suppliers) > g.o.MaxSuppliers {
		return adapter.BadRequest("too_many_suppliers", "suppliers", "at most %d suppliers per tender check; split the tender into several requests",
			g.o.MaxSuppliers).With(fmt.Sprint(g.o.MaxSuppliers))
	}
	seen := map[string]bool{}
	var all []string
	total := 0
	for i := range tr.Suppliers {
		s := &tr.Suppliers[i]
		if err := g.checkSupplier(s, fmt.Sprintf("suppliers[%d].", i)); err != nil {
			return err
		}
		if seen[s.INN] {
			return adapter.BadRequest("duplicate_supplier", fmt.Sprintf("suppliers[%d].inn", i), "supplier %s is listed twice", kgid.Mask(s.INN))
		}
		seen[s.INN] = true
		all = append(all, s.Checks...)
		total += len(s.Checks)
	}
	if err := allowed(cl.caller, all); err != nil {
		return err
	}
	n, release, err := cl.quota.slots(min(total, g.o.TenderConcurrency))
	if err != nil {
		return err
	}
	defer release()
	tc := *cl
	tc.issue = tr.Issue
	out := TenderResponse{Issue: tr.Issue, Suppliers: make([]TenderSupplier, len(tr.Suppliers))}
	var jobs []job
	for i := range tr.Suppliers {
		s := &tr.Suppliers[i]
		out.Suppliers[i] = TenderSupplier{INN: s.INN, RepresentativePIN: s.RepresentativePIN, Results: make([]BatchResult, len(s.Checks))}
		for j, name := range s.Checks {
			jobs = append(jobs, job{req: tc.subjectRequest(name, s), out: &out.Suppliers[i].Results[j]})
		}
	}
	g.runJobs(r.Context(), &tc, jobs, n)
	out.Complete = true
	for i := range out.Suppliers {
		out.Suppliers[i].Complete = complete(out.Suppliers[i].Results)
		out.Complete = out.Complete && out.Suppliers[i].Complete
	}
	adapter.WriteJSON(w, http.StatusOK, out)
	return nil
}

// subjectRequest is the request of check name about supplier s.
func (c *call) subjectRequest(name string, s *BatchRequest) adapter.Request {
	req := c.request(name)
	req.RepresentativePIN = s.RepresentativePIN
	if ch, _ := checks.Lookup(name); ch.Subject == checks.Person {
		req.PIN = s.RepresentativePIN
	} else {
		req.INN = s.INN
	}
	return req
}

type job struct {
	req adapter.Request
	out *BatchResult
}

// runJobs runs jobs with at most workers at a time; each result lands in
// its job's slot.
func (g *Gateway) runJobs(ctx context.Context, cl *call, jobs []job, workers int) {
	next := make(chan job)
	var wg sync.WaitGroup
	for range max(1, min(workers, len(jobs))) {
		wg.Go(func() {
			for j := range next {
				res, err := g.run(ctx, cl, j.req)
				*j.out = batchResult(j.req.Check, res, err, cl.info.id)
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}

func complete(rs []BatchResult) bool {
	for _, r := range rs {
		if r.Status == "error" {
			return false
		}
	}
	return true
}

func batchResult(name string, res *adapter.Result, err error, requestID string) BatchResult {
	if err == nil {
		return BatchResult{Check: name, Status: string(res.Status), Data: res.Data, Evidence: res.Evidence}
	}
	p := adapter.Problem(err)
	p.RequestID = requestID
	out := BatchResult{Check: name, Status: "error", Problem: &p}
	if ev, ok := p.Evidence.(*adapter.Evidence); ok {
		// Evidence has one place in an entry, whatever its status.
		out.Evidence, p.Evidence = ev, nil
	}
	if p.Kind() == problem.SubjectNotFound {
		out.Status = string(adapter.StatusNotFound)
	}
	return out
}

// checkSupplier validates one supplier's INN, PIN and checks; prefix
// locates it in a tender body.
func (g *Gateway) checkSupplier(br *BatchRequest, prefix string) error {
	if err := kgid.ValidateINN(br.INN); err != nil {
		return adapter.InvalidID(prefix+"inn", err)
	}
	if br.RepresentativePIN != "" {
		if err := kgid.ValidatePIN(br.RepresentativePIN); err != nil {
			return adapter.InvalidID(prefix+"representativePin", err)
		}
	}
	if len(br.Checks) == 0 {
		return adapter.BadRequest("missing_checks", prefix+"checks", "checks must list at least one of %s", strings.Join(checks.Names(), ", "))
	}
	seen := map[string]bool{}
	for _, name := range br.Checks {
		c, ok := checks.Lookup(name)
		if !ok {
			return adapter.BadRequest("unknown_check", prefix+"checks", "unknown check %q; known: %s", name, strings.Join(checks.Names(), ", ")).With(name)
		}
		if seen[name] {
			return adapter.BadRequest("duplicate_check", prefix+"checks", "check %q is listed twice", name).With(name)
		}
		seen[name] = true
		if c.Subject == checks.Person && br.RepresentativePIN == "" {
			return adapter.BadRequest("missing_representative_pin", prefix+"representativePin", "check %q is about a person: give representativePin", name).With(name)
		}
	}
	return nil
}

func allowed(c *Caller, names []string) error {
	var denied []string
	seen := map[string]bool{}
	for _, name := range names {
		if !c.allowed(name) && !seen[name] {
			denied = append(denied, name)
			seen[name] = true
		}
	}
	if len(denied) > 0 {
		return forbidden(c, denied)
	}
	return nil
}
