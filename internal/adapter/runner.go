package adapter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/rest"
)

// Transport is the security-server client as the Runner uses it;
// *ssclient.Client implements it.
type Transport interface {
	Do(ctx context.Context, req *soap.Message, o ssclient.CallOptions) (*ssclient.Exchange, error)
	DoREST(ctx context.Context, r ssclient.RESTRequest, o ssclient.CallOptions) (*ssclient.RESTExchange, error)
}

// RunnerOptions configure NewRunner.
type RunnerOptions struct {
	// Mappings are the loaded check mappings (one per check).
	Mappings []*mapping.Mapping
	// Transport sends requests to the security server.
	Transport Transport
	// Journal keeps every exchange; a result is returned only once its
	// record is durable.
	Journal exchange.Recorder
	// Client is the participant's client subsystem (X-Road client header).
	Client soap.ClientID
	// UserIDPrefix is prepended to the officer's PIN to form X-Road userId
	// (e.g. "KG").
	UserIDPrefix string
	// SecurityServerURL is recorded in the journal as the request URL.
	SecurityServerURL string
	// JournalTimeout bounds one journal write (default 10 s). The write is
	// not cancelled when the portal goes away: the exchange happened.
	JournalTimeout time.Duration
	// Receipts, when set, supplies each result's evidence.receipt.
	Receipts Receipts
	Metrics  *observe.Metrics
	Logger   *zap.Logger
}

// Runner runs checks through Tunduk. It is safe for concurrent use.
type Runner struct {
	o        RunnerOptions
	mappings map[string]*mapping.Mapping
	log      *zap.Logger
	now      func() time.Time
}

// NewRunner checks the options and returns a Runner.
func NewRunner(o RunnerOptions) (*Runner, error) {
	if o.Transport == nil || o.Journal == nil {
		return nil, errors.New("adapter: Runner needs a Transport and a Journal")
	}
	if err := o.Client.Validate(); err != nil || o.Client.IsZero() {
		return nil, fmt.Errorf("adapter: Runner needs the client subsystem id: %v", err)
	}
	if o.JournalTimeout <= 0 {
		o.JournalTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	r := &Runner{o: o, mappings: map[string]*mapping.Mapping{}, log: o.Logger, now: time.Now}
	for _, m := range o.Mappings {
		if _, dup := r.mappings[m.Check.Name]; dup {
			return nil, fmt.Errorf("adapter: check %s is mapped twice", m.Check.Name)
		}
		r.mappings[m.Check.Name] = m
	}
	return r, nil
}

// Checks returns the names of the mapped checks.
func (r *Runner) Checks() []string {
	out := make([]string, 0, len(r.mappings))
	for n := range r.mappings {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Services returns the X-Road services the mappings call, by check.
func (r *Runner) Services() map[string]soap.ServiceID {
	out := make(map[string]soap.ServiceID, len(r.mappings))
	for n, m := range r.mappings {
		out[n] = m.Service
	}
	return out
}

// outcome labels for metrics and the journal.
const (
	outOK          = "ok"
	outNotFound    = "not-found"
	outRejected    = "rejected"
	outProvider    = "provider-error"
	outFault       = "fault"
	outTimeout     = "timeout"
	outInvalid     = "invalid-response"
	outUnavailable = "unavailable"
	outUnreachable = "unreachable"
	outJournal     = "journal-error"
	outInternal    = "error"
)

// Run performs one check. It returns a Result (status ok or not-found) or
// a *CheckError; every exchange that reached the security server is
// journalled before Run returns, and its record id is in the evidence.
func (r *Runner) Run(ctx context.Context, req Request) (*Result, error) {
	m, ok := r.mappings[req.Check]
	if !ok {
		return nil, &CheckError{Check: req.Check, Kind: KindNotConfigured}
	}
	in := mapping.Input{INN: req.INN, PIN: req.PIN, RepresentativePIN: req.RepresentativePIN,
		UserID: r.o.UserIDPrefix + req.OfficerPIN, OfficerPIN: req.OfficerPIN, Issue: req.Issue}
	done := r.o.Metrics.CheckStarted()
	defer done()
	start := r.now()
	var res *Result
	var err error
	if m.IsSOAP() {
		res, err = r.runSOAP(ctx, m, req, in)
	} else {
		res, err = r.runREST(ctx, m, req, in)
	}
	outcome, code := outOK, ""
	if res != nil {
		outcome, code = string(res.Status), res.Evidence.ProviderCode
	}
	var ce *CheckError
	if errors.As(err, &ce) {
		outcome, code = outcomeOf(ce.Kind), ce.Code
	} else if err != nil {
		outcome = outInternal
	}
	r.o.Metrics.ObserveCheck(req.Check, m.Service.String(), outcome, code, r.now().Sub(start))
	if err != nil {
		var msgID string
		if ce != nil && ce.Evidence != nil {
			msgID = ce.Evidence.MessageID
		}
		r.log.Warn("check failed", zap.String("requestId", req.RequestID), zap.String("messageId", msgID),
			zap.String("check", req.Check), zap.String("caller", req.Caller),
			zap.String("outcome", outcome), zap.String("code", code), zap.Error(err))
	}
	return res, err
}

func outcomeOf(k Kind) string {
	switch k {
	case KindNotFound:
		return outNotFound
	case KindRejected:
		return outRejected
	case KindProviderError:
		return outProvider
	case KindFault:
		return outFault
	case KindTimeout:
		return outTimeout
	case KindInvalidResponse:
		return outInvalid
	case KindUnavailable:
		return outUnavailable
	case KindUnreachable:
		return outUnreachable
	case KindJournal:
		return outJournal
	}
	return outInternal
}

func (r *Runner) runSOAP(ctx context.Context, m *mapping.Mapping, req Request, in mapping.Input) (*Result, error) {
	body, err := m.Body(in)
	if err != nil {
		return nil, &CheckError{Check: req.Check, Kind: KindInternal, Err: err}
	}
	msg, err := soap.NewRequest(soap.Request{Client: r.o.Client, Service: m.Service, UserID: in.UserID, Issue: in.Issue,
		BodyNamespace: m.Namespace, Body: body})
	if err != nil {
		return nil, &CheckError{Check: req.Check, Kind: KindInternal, Err: err}
	}
	ex, err := r.o.Transport.Do(ctx, msg, ssclient.CallOptions{Timeout: m.Timeout, MaxAnswerBytes: m.MaxAnswerBytes})
	if ex == nil {
		return nil, r.transportError(req.Check, err, nil)
	}
	var answer *mapping.Answer
	if err == nil {
		answer, err = m.ReadSOAP(ex.Response.BodyElement())
	}
	x := &exchange.Exchange{Protocol: exchange.SOAP,
		Time: ex.Started.UTC(), Duration: ex.Finished.Sub(ex.Started), Check: req.Check, Caller: req.Caller,
		Client: msg.Header().Client.String(), UserID: in.UserID, Officer: req.OfficerPIN, Issue: in.Issue,
		Service: m.Service.Typed(), MessageID: msg.Header().ID,
		Subjects: req.subjects(), RequestID: req.RequestID, TraceParent: req.TraceParent,
		Request: exchange.Message{URL: r.o.SecurityServerURL, Method: http.MethodPost,
			Header: http.Header{"Content-Type": {msg.ContentType()}}, Body: msg.Bytes(), XRoadHeader: exchange.SOAPHeader(msg)},
	}
	if ex.Response != nil {
		x.RequestHash = ex.Response.Header().RequestHash
		x.Response = &exchange.Message{Status: ex.HTTPStatus, Header: http.Header{"Content-Type": {ex.Response.ContentType()}}, Body: ex.Response.Bytes(),
			XRoadHeader: exchange.SOAPHeader(ex.Response)}
	} else if ex.HTTPStatus != 0 {
		x.Response = &exchange.Message{Status: ex.HTTPStatus}
	}
	return r.finish(ctx, req, x, answer, err)
}

func (r *Runner) runREST(ctx context.Context, m *mapping.Mapping, req Request, in mapping.Input) (*Result, error) {
	path, err := m.PathSuffix(in)
	if err != nil {
		return nil, &CheckError{Check: req.Check, Kind: KindInternal, Err: err}
	}
	rr := ssclient.RESTRequest{Service: m.Service, Client: r.o.Client, Method: m.Method, Path: path,
		UserID: in.UserID, Issue: in.Issue, Header: http.Header{"Accept": {"application/json"}}}
	ex, err := r.o.Transport.DoREST(ctx, rr, ssclient.CallOptions{Timeout: m.Timeout, MaxAnswerBytes: m.MaxAnswerBytes})
	if ex == nil {
		return nil, r.transportError(req.Check, err, nil)
	}
	var answer *mapping.Answer
	if err == nil {
		answer, err = m.ReadREST(ex.StatusCode, ex.Body)
	}
	h := http.Header{}
	rest.Headers{Client: ex.Request.Client, ID: ex.Request.ID, UserID: in.UserID, Issue: in.Issue}.Set(h)
	for k, v := range rr.Header {
		h[k] = v
	}
	x := &exchange.Exchange{Protocol: exchange.REST,
		Time: ex.Started.UTC(), Duration: ex.Finished.Sub(ex.Started), Check: req.Check, Caller: req.Caller,
		Client: ex.Request.Client.String(), UserID: in.UserID, Officer: req.OfficerPIN, Issue: in.Issue, Service: m.Service.Typed(), MessageID: ex.Request.ID, RequestHash: ex.RequestHash,
		Subjects: req.subjects(), RequestID: req.RequestID, TraceParent: req.TraceParent,
		Request: exchange.Message{URL: ex.URL, Method: ex.Request.Method, Header: h},
	}
	if ex.StatusCode != 0 {
		x.Response = &exchange.Message{Status: ex.StatusCode, Header: ex.Header, Body: ex.Body}
	}
	return r.finish(ctx, req, x, answer, err)
}

// finish classifies the exchange, journals it and builds the result or
// error with evidence.
func (r *Runner) finish(ctx context.Context, req Request, x *exchange.Exchange, a *mapping.Answer, err error) (*Result, error) {
	var ce *CheckError
	if err != nil {
		ce = r.transportError(req.Check, err, nil)
	} else {
		switch a.Outcome {
		case mapping.OK, mapping.NotFound:
		case mapping.Rejected:
			ce = &CheckError{Check: req.Check, Kind: KindRejected, Code: a.Code}
		default:
			ce = &CheckError{Check: req.Check, Kind: KindProviderError, Code: a.Code}
		}
	}
	if ce != nil {
		x.Outcome, x.FaultCode = outcomeOf(ce.Kind), ce.Code
	} else {
		x.Outcome, x.FaultCode = string(a.Outcome), a.Code
	}
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.o.JournalTimeout)
	defer cancel()
	t0 := r.now()
	id, jerr := r.o.Journal.Record(jctx, x)
	r.o.Metrics.ObserveJournalWrite(r.now().Sub(t0))
	if jerr != nil {
		r.log.Error("journal write failed; withholding the result", zap.String("requestId", req.RequestID),
			zap.String("check", req.Check), zap.String("messageId", x.MessageID), zap.Error(jerr))
		return nil, &CheckError{Check: req.Check, Kind: KindJournal, Err: jerr}
	}
	ev := &Evidence{Service: x.Service, MessageID: x.MessageID, RequestHash: x.RequestHash, UserID: x.UserID, Issue: x.Issue,
		Time: x.Time, DurationMs: float64(x.Duration.Microseconds()) / 1000, RecordID: id,
		RequestID: x.RequestID, TraceParent: x.TraceParent}
	if a != nil {
		ev.ProviderCode = a.Code
	}
	if r.o.Receipts != nil {
		if rc, err := r.o.Receipts.Compact(id); err == nil {
			ev.Receipt = rc
		} else {
			r.log.Warn("no receipt for the record", zap.String("recordId", id), zap.Error(err))
		}
	}
	if ce != nil {
		ce.Evidence = ev
		return nil, ce
	}
	res := &Result{Check: req.Check, Status: StatusOK, Data: a.Fields, Evidence: ev}
	if a.Outcome == mapping.NotFound {
		res.Status = StatusNotFound
	}
	return res, nil
}

// transportError classifies what the security-server client or the
// mapping reported.
func (r *Runner) transportError(check string, err error, ev *Evidence) *CheckError {
	ce := &CheckError{Check: check, Err: err, Evidence: ev}
	var fe *ssclient.FaultError
	var bo *ssclient.BreakerOpenError
	var ve *soap.ValidationError
	var mre *ssclient.MalformedResponseError
	var me *mapping.MalformedError
	switch {
	case errors.As(err, &bo):
		ce.Kind, ce.RetryAfter = KindUnavailable, bo.RetryAfter
	case errors.As(err, &fe):
		ce.Kind, ce.Code = KindFault, fe.Code
	case errors.Is(err, ssclient.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		ce.Kind = KindTimeout
	case errors.Is(err, ssclient.ErrUnreachable):
		ce.Kind, ce.Code = KindUnreachable, "Unreachable"
	case errors.Is(err, ssclient.ErrConnectionLost):
		ce.Kind, ce.Code = KindUnreachable, "ConnectionLost"
	case errors.As(err, &mre):
		ce.Kind, ce.Code = KindInvalidResponse, "MalformedResponse"
	case errors.As(err, &ve):
		ce.Kind, ce.Code = KindInvalidResponse, string(ve.Code)
	case errors.As(err, &me):
		ce.Kind, ce.Code = KindInvalidResponse, "UnexpectedBody"
	default:
		ce.Kind = KindInternal
	}
	return ce
}

// subjects are the identifiers a check is about, for the evidence log.
func (r Request) subjects() []string {
	var out []string
	for _, id := range []string{r.INN, r.PIN, r.RepresentativePIN} {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}
