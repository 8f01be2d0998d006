// Package provider serves a participant's own backend as a Tunduk (X-Road)
// provider. The security server POSTs X-Road SOAP requests (PR-MESS 4.0) to
// the Handler; each configured service turns the request body into an HTTP
// call to the backend's JSON API and the backend's answer into the X-Road
// response body.
//
// The response header is the request's header block copied byte for byte
// (soap.NewResponseFrom), so the echo rule holds whatever the request carried.
// Technical failures (bad request, backend down, timeout) become SOAP faults;
// a backend's "not found" or refusal is a business answer and travels in the
// body as a non-technical fault (PR-MESS Annex D.2), as X-Road expects.
// Every exchange is journalled before the security server gets its answer.
//
// A service with a catalog Description is answered exactly as its WSDL
// (catalog/wsdl, generated from the same description) declares: inputs are
// checked by type before the backend is called, and the answer, the
// not-found answer and business errors are written by internal/catalog/codec. Backend
// URL placeholders are escaped by position (path segment or query value)
// and refused at load where ambiguous.
//
// Backends: an HTTP/JSON API (Backend with {placeholders}), a PostgreSQL
// query (Postgres), or an existing SOAP service whose answers are repaired
// for X-Road (SOAPBackend, legacy.go). REST (PR-REST) services are served
// at /r1/<service id>[/path] (rest.go). Guard admits only the security
// server.
//
// Non-goals: WSDL serving (catalog/wsdl generates descriptions), MTOM
// packaging and attachments to JSON or PostgreSQL backends.
//
// Requests are read by package soap within Options.Limits (size, depth,
// attributes per element, names and text; linear in the input), so the
// body parameters read afterwards come from a bounded, well-formed
// wrapper.
package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/kgid"
	"github.com/tunduk-kg/tunduk/internal/catalog/codec"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/rest"
)

// Service maps one X-Road service onto one backend endpoint.
type Service struct {
	// Code and Version are the X-Road serviceCode and serviceVersion; an
	// empty Version matches requests with any version.
	Code, Version string
	// Namespace is the body wrapper's namespace in responses; "" keeps the
	// request wrapper's namespace.
	Namespace string
	// Backend is the endpoint URL. "{name}" placeholders are replaced by
	// the request parameter of that name (path-escaped).
	Backend string
	// Method is GET (parameters go to the query string) or POST
	// (parameters go as a JSON object). Default GET.
	Method string
	// Params lists the request elements passed to the backend. Empty means
	// every leaf element of the request body.
	Params []string
	// Required lists parameters that must be present and non-empty; their
	// absence is answered with a non-technical fault (the consumer's error).
	Required []string
	// EchoRequest copies the request's <request> element into the response
	// before <response>, the legacy Tunduk wrapper style
	// (<opResponse><request>…</request><response>…</response></opResponse>).
	EchoRequest bool
	// Timeout bounds the backend call; default 30 s.
	Timeout time.Duration
	// Description is the service's catalog description. When set it is the
	// single source of the answer's shape, the same one catalog/wsdl turns
	// into the WSDL: inputs are read and checked by their declared types
	// before the backend is called (a bad one is a BAD_REQUEST business
	// error), the backend's JSON becomes the declared elements in declared
	// order and namespace form, "not found" and business errors take their
	// declared shape, and an answer the description cannot express is a
	// technical fault rather than an invalid message. Namespace, Params,
	// Required and EchoRequest are then taken from the description.
	Description *catalog.Service
	// Postgres, when set, answers from a PostgreSQL query instead of an
	// HTTP backend (Backend is then unused).
	Postgres *Postgres
	// REST makes this a PR-REST service: requests to
	// /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/CODE[/path] go to Backend (a base
	// URL without placeholders) + path + query, and the backend's answer
	// comes back as it wrote it. A REST Description checks the method, the
	// path and the query parameters by type first.
	REST bool
	// SOAPBackend makes Backend an existing SOAP service (WCF, JAX-WS,
	// ASMX…) that gets the request as it came and whose answer is repaired
	// for X-Road (see passThrough). Backend then has no placeholders.
	SOAPBackend bool
	// StripHeader sends a SOAPBackend the request without its X-Road
	// SOAP Header, for backends that refuse unknown headers.
	StripHeader bool
	// RenameWrapper renames a SOAPBackend's answer wrapper to
	// <serviceCode>Response, as X-Road requires.
	RenameWrapper bool

	tmpl *backendTemplate
}

// Options configures a Handler.
type Options struct {
	// Provider is the member or subsystem this handler serves; requests for
	// other providers are refused.
	Provider soap.ClientID
	// Services are the services offered.
	Services []Service
	// HTTPClient calls the backend; default a client with no overall timeout
	// (each Service's Timeout applies).
	HTTPClient *http.Client
	// Limits bound the requests accepted.
	Limits soap.Limits
	// MaxBackendBytes bounds a backend answer; default 10 MiB.
	MaxBackendBytes int64
	// Recorder journals every exchange; nil journals nothing (tests only).
	Recorder exchange.Recorder
	// Logger receives one line per exchange; default zap.NewNop().
	Logger *zap.Logger
}

// Handler is the provider endpoint the security server calls.
type Handler struct {
	opts     Options
	services map[string][]Service // by serviceCode
}

// New validates opts and returns the Handler.
func New(opts Options) (*Handler, error) {
	if err := opts.Provider.Validate(); err != nil {
		return nil, fmt.Errorf("provider: provider id: %w", err)
	}
	if len(opts.Services) == 0 {
		return nil, errors.New("provider: no services configured")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.MaxBackendBytes <= 0 {
		opts.MaxBackendBytes = 10 << 20
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	h := &Handler{opts: opts, services: map[string][]Service{}}
	for i, s := range opts.Services {
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("provider: services[%d] (%s): %w", i, s.Code, err)
		}
		if s.Method == "" {
			s.Method = http.MethodGet
		}
		if d := s.Description; d != nil && !s.REST {
			s.Namespace, s.EchoRequest, s.Required = d.Namespace, false, nil
			s.Params = nil
			for _, f := range d.Input {
				s.Params = append(s.Params, f.Name)
			}
		}
		s.tmpl, _ = parseBackend(s.Backend)
		if s.Timeout <= 0 {
			s.Timeout = 30 * time.Second
		}
		h.services[s.Code] = append(h.services[s.Code], s)
	}
	return h, nil
}

func (s Service) check() error {
	id := soap.ServiceID{ClientID: soap.ClientID{Instance: "x", MemberClass: "x", MemberCode: "x"}, ServiceCode: s.Code, ServiceVersion: s.Version}
	if err := id.Validate(); err != nil {
		return err
	}
	if s.Postgres != nil {
		if s.REST || s.SOAPBackend || s.Backend != "" {
			return errors.New("a PostgreSQL service has no backend URL and is neither REST nor a SOAP backend")
		}
		if err := s.Postgres.check(); err != nil {
			return err
		}
	} else if _, err := parseBackend(s.Backend); err != nil {
		return err
	}
	if s.SOAPBackend && (strings.Contains(s.Backend, "{") || s.Description != nil) {
		return fmt.Errorf("a SOAP backend gets the request as it is: no {placeholders} in %q and no description", s.Backend)
	}
	if (s.StripHeader || s.RenameWrapper) && !s.SOAPBackend {
		return errors.New("stripHeader and renameWrapper are for SOAP backends (soapBackend: true)")
	}
	if s.REST {
		if s.SOAPBackend || strings.Contains(s.Backend, "{") {
			return fmt.Errorf("REST service: backend %q is a base URL (no {placeholders}; the request path is appended)", s.Backend)
		}
		if d := s.Description; d != nil && (d.Protocol != catalog.REST || d.Code != s.Code) {
			return fmt.Errorf("description %s (%s) does not describe REST service %s", d.FullCode(), d.Protocol, s.Code)
		}
		if s.Description != nil {
			return codec.Precompile(s.Description)
		}
		return nil
	}
	if d := s.Description; d != nil {
		if d.Protocol != catalog.SOAP || d.Code != s.Code || (s.Version != "" && d.Version != s.Version) {
			return fmt.Errorf("description %s (%s) does not describe SOAP service %s %s", d.FullCode(), d.Protocol, s.Code, s.Version)
		}
		if err := codec.CheckInputs(d); err != nil {
			return err
		}
		if err := codec.Precompile(d); err != nil {
			return err
		}
		if _, err := codec.EncodeNotFound(d); err != nil {
			return err
		}
	}
	switch strings.ToUpper(s.Method) {
	case "", http.MethodGet, http.MethodPost:
	default:
		return fmt.Errorf("method %q: use GET or POST", s.Method)
	}
	return nil
}

// inflight is what one request produced, for the journal and the log line.
type inflight struct {
	started  time.Time
	req      *soap.Message
	resp     *soap.Message // the answer, when it is a parsed message
	respBody []byte
	respType string
	status   int
	outcome  string
	fault    string
}

// ServeHTTP answers one X-Road request from the security server.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, rest.ProtocolPrefix) {
		h.serveREST(w, r)
		return
	}
	x := &inflight{started: time.Now()}
	resp, err := h.handle(r, x)
	if resp != nil {
		defer resp.Close() // attachments' temporary files, if any
	}
	if err != nil {
		// Faults that could not even echo a header (unparseable request).
		x.status, x.respType = http.StatusInternalServerError, "text/xml; charset=UTF-8"
		x.respBody = soap.NewFault(soap.Fault{Code: soap.FaultCodeFor(err, soap.RoleRequest), String: publicReason(err)})
		x.outcome, x.fault = "rejected", soap.FaultCodeFor(err, soap.RoleRequest)
	} else {
		x.resp, x.respBody, x.respType = resp, resp.Bytes(), resp.ContentType()
		if x.status == 0 {
			x.status = http.StatusOK
		}
	}
	if recErr := h.record(r.Context(), r, x); recErr != nil {
		// No evidence, no answer: the security server retries or reports.
		var msgID string
		if x.req != nil {
			msgID = x.req.Header().ID
		}
		h.opts.Logger.Error("journal write failed; refusing to answer", zap.String("messageId", msgID), zap.Error(recErr))
		x.status, x.respType, x.resp = http.StatusInternalServerError, "text/xml; charset=UTF-8", nil
		x.respBody = soap.NewFault(soap.Fault{Code: "Server.InternalError", String: "the provider could not record the exchange"})
	}
	h.log(x)
	w.Header().Set("Content-Type", x.respType)
	w.WriteHeader(x.status)
	_, _ = w.Write(x.respBody)
}

func (h *Handler) handle(r *http.Request, x *inflight) (*soap.Message, error) {
	var action *string
	if v, ok := r.Header["Soapaction"]; ok && len(v) > 0 {
		action = &v[0]
	}
	if err := soap.CheckHTTP(r.Method, action); err != nil {
		return nil, err
	}
	lim := h.opts.Limits
	lim.Context = r.Context() // stop parsing when the security server gives up
	req, err := soap.Parse(r.Body, r.Header.Get("Content-Type"), lim)
	if err != nil {
		return nil, err
	}
	x.req = req
	if err := req.Validate(soap.RoleRequest); err != nil {
		return nil, err
	}
	hdr := req.Header()
	if hdr.Service.Provider() != h.opts.Provider {
		return h.fault(req, x, "Server.ServerProxy.UnknownService",
			fmt.Sprintf("this adapter serves %s, not %s", h.opts.Provider, hdr.Service.Provider()))
	}
	svc, ok := h.lookup(hdr.Service.ServiceCode, hdr.Service.ServiceVersion)
	if !ok {
		return h.fault(req, x, "Server.ServerProxy.UnknownService", "unknown service "+hdr.Service.String())
	}
	if svc.SOAPBackend {
		return h.passThrough(r.Context(), r, req, svc, x)
	}
	if svc.Description != nil {
		return h.described(r.Context(), req, svc, x)
	}
	in, err := readParams(req.BodyElement())
	if err != nil {
		return h.fault(req, x, soap.CodeInvalidBody.Client(), err.Error())
	}
	for _, name := range svc.Required {
		if strings.TrimSpace(in.values[name]) == "" {
			return h.business(req, svc, x, in, "BAD_REQUEST", fmt.Sprintf("required parameter %s is missing", name))
		}
	}
	raw, err := h.fetch(r.Context(), svc, hdr, in.select_(svc.Params))
	var out []byte
	if err == nil {
		out, err = jsonToXML(raw)
	}
	var be *backendError
	switch {
	case errors.As(err, &be) && be.business:
		return h.business(req, svc, x, in, be.code, be.msg)
	case err != nil:
		return h.backendFault(req, svc, x, err)
	}
	var body bytes.Buffer
	if svc.EchoRequest {
		body.Write(in.requestElement)
	}
	body.WriteString("<response>")
	body.Write(out)
	body.WriteString("</response>")
	x.outcome = "ok"
	return soap.NewResponseFrom(req, soap.Response{BodyNamespace: svc.Namespace, Body: body.Bytes()})
}

// described answers a request of a service with a catalog description:
// everything it writes is what the description (and so the WSDL) declares.
func (h *Handler) described(ctx context.Context, req *soap.Message, svc Service, x *inflight) (*soap.Message, error) {
	d, hdr := svc.Description, req.Header()
	answer := func(body []byte, outcome, code string) (*soap.Message, error) {
		x.outcome, x.fault = outcome, code
		return soap.NewResponseFrom(req, soap.Response{BodyNamespace: d.Namespace, Body: body})
	}
	in, err := codec.DecodeRequest(d, req.BodyElement())
	if err != nil {
		return answer(codec.EncodeFault(d, catalog.ErrorBadRequest, err.Error()), "business-error", catalog.ErrorBadRequest)
	}
	sent := map[string]string{}
	for k, v := range in {
		sent[k] = v[0]
	}
	raw, err := h.fetch(ctx, svc, hdr, sent)
	var be *backendError
	switch {
	case errors.As(err, &be) && be.business && be.code == catalog.ErrorNotFound:
		body, err := codec.EncodeNotFound(d)
		if err != nil {
			return h.backendFault(req, svc, x, err)
		}
		return answer(body, "not-found", "")
	case errors.As(err, &be) && be.business:
		code := be.code
		if !slices.Contains(d.ErrorCodes(), code) {
			code = catalog.ErrorBadRequest
		}
		return answer(codec.EncodeFault(d, code, be.msg), "business-error", code)
	case err != nil:
		return h.backendFault(req, svc, x, err)
	}
	body, err := codec.EncodeOutput(d, raw)
	if err != nil {
		return h.backendFault(req, svc, x, err)
	}
	return answer(body, "ok", "")
}

// backendFault answers a failed backend call with a technical SOAP fault;
// the detail is logged, never sent.
func (h *Handler) backendFault(req *soap.Message, svc Service, x *inflight, err error) (*soap.Message, error) {
	var ae *codec.AnswerError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return h.fault(req, x, "Server.ServiceFailed.Timeout", "the backend did not answer in time")
	case errors.As(err, &ae):
		h.opts.Logger.Warn("backend answer does not match the service description", zap.String("service", svc.Code),
			zap.String("messageId", req.Header().ID), zap.String("path", ae.Path), zap.String("reason", ae.Reason))
		return h.fault(req, x, "Server.ServiceFailed.InvalidBackendAnswer", "the backend's answer does not match the service description")
	}
	h.opts.Logger.Warn("backend call failed", zap.String("service", svc.Code), zap.String("messageId", req.Header().ID), maskedErr(err))
	return h.fault(req, x, "Server.ServiceFailed", "the backend failed")
}

func (h *Handler) lookup(code, version string) (Service, bool) {
	for _, s := range h.services[code] {
		if !s.REST && (s.Version == "" || s.Version == version) {
			return s, true
		}
	}
	return Service{}, false
}

// fault answers with a SOAP fault that still echoes the request header.
func (h *Handler) fault(req *soap.Message, x *inflight, code, reason string) (*soap.Message, error) {
	x.outcome, x.fault, x.status = "fault", code, http.StatusInternalServerError
	return soap.NewFaultResponse(req, soap.Fault{Code: code, String: reason})
}

// business answers with a non-technical fault in the response body.
func (h *Handler) business(req *soap.Message, svc Service, x *inflight, in params, code, msg string) (*soap.Message, error) {
	x.outcome, x.fault = "business-error", code
	var body bytes.Buffer
	if svc.EchoRequest {
		body.Write(in.requestElement)
	}
	body.WriteString("<fault><faultCode>")
	xmlEscape(&body, code)
	body.WriteString("</faultCode><faultString>")
	xmlEscape(&body, msg)
	body.WriteString("</faultString></fault>")
	return soap.NewResponseFrom(req, soap.Response{BodyNamespace: svc.Namespace, Body: body.Bytes()})
}

// publicReason is the faultstring for a rejected request: validation errors
// are the consumer's to fix and safe to show; anything else is not.
func publicReason(err error) string {
	var ve *soap.ValidationError
	if errors.As(err, &ve) {
		return ve.Error()
	}
	return "the request could not be processed"
}

func (h *Handler) record(ctx context.Context, r *http.Request, x *inflight) error {
	if h.opts.Recorder == nil {
		return nil
	}
	rec := &exchange.Exchange{
		Protocol: exchange.SOAP,
		Time:     x.started,
		Duration: time.Since(x.started),
		Check:    "provider",
		Outcome:  x.outcome,
		Request: exchange.Message{URL: r.URL.String(), Method: r.Method,
			Header: http.Header{"Content-Type": r.Header.Values("Content-Type")}},
		Response: &exchange.Message{Status: x.status, Header: http.Header{"Content-Type": {x.respType}}, Body: x.respBody,
			XRoadHeader: exchange.SOAPHeader(x.resp)},
		FaultCode: x.fault,
	}
	if x.req != nil {
		hdr := x.req.Header()
		rec.Request.Body, rec.Request.XRoadHeader = x.req.Bytes(), exchange.SOAPHeader(x.req)
		rec.Caller, rec.UserID, rec.Issue, rec.MessageID = hdr.Client.String(), hdr.UserID, hdr.Issue, hdr.ID
		rec.Client = rec.Caller
		if hdr.Service != nil {
			rec.Service = hdr.Service.Typed()
			rec.Check = "provider:" + hdr.Service.ServiceCode
		}
	}
	_, err := h.opts.Recorder.Record(context.WithoutCancel(ctx), rec)
	return err
}

func (h *Handler) log(x *inflight) {
	fields := []zap.Field{zap.String("outcome", x.outcome), zap.Int("status", x.status), zap.Duration("duration", time.Since(x.started))}
	if x.fault != "" {
		fields = append(fields, zap.String("faultCode", x.fault))
	}
	if x.req != nil {
		hdr := x.req.Header()
		fields = append(fields, zap.String("messageId", hdr.ID), zap.String("client", hdr.Client.String()))
		if hdr.Service != nil {
			fields = append(fields, zap.String("service", hdr.Service.String()))
		}
	}
	h.opts.Logger.Info("provider exchange", fields...)
}

// backendError is a backend answer other than success.
type backendError struct {
	business  bool // the consumer's problem (4xx): answered in the body
	code, msg string
}

func (e *backendError) Error() string { return "provider: backend: " + e.code + ": " + e.msg }

// fetch gets the service's answer as JSON from its backend: a PostgreSQL
// query or an HTTP call.
func (h *Handler) fetch(ctx context.Context, svc Service, hdr *soap.Header, in map[string]string) ([]byte, error) {
	if svc.Postgres != nil {
		return h.queryPostgres(ctx, svc, in)
	}
	return h.callBackend(ctx, svc, hdr, in)
}

// callBackend calls the backend with the request's values and returns its
// JSON answer.
func (h *Handler) callBackend(ctx context.Context, svc Service, hdr *soap.Header, sent map[string]string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, svc.Timeout)
	defer cancel()
	target, err := svc.tmpl.expand(sent)
	if err != nil {
		return nil, &backendError{business: true, code: "BAD_REQUEST", msg: err.Error()}
	}
	var body io.Reader
	if strings.EqualFold(svc.Method, http.MethodPost) {
		b, err := json.Marshal(sent)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	} else if len(sent) > 0 {
		q := url.Values{}
		for k, v := range sent {
			q.Set(k, v)
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + q.Encode()
	}
	hreq, err := http.NewRequestWithContext(ctx, strings.ToUpper(svc.Method), target, body)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Accept", "application/json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	// The backend sees who asks, as the security server would tell a REST provider.
	hreq.Header.Set("X-Road-Client", hdr.Client.String())
	hreq.Header.Set("X-Road-Service", hdr.Service.String())
	hreq.Header.Set("X-Road-Id", hdr.ID)
	if hdr.UserID != "" {
		hreq.Header.Set("X-Road-UserId", hdr.UserID)
	}
	if hdr.Issue != "" {
		hreq.Header.Set("X-Road-Issue", hdr.Issue)
	}
	resp, err := h.opts.HTTPClient.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, h.opts.MaxBackendBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if int64(len(raw)) > h.opts.MaxBackendBytes {
		return nil, fmt.Errorf("backend answer exceeds %d bytes", h.opts.MaxBackendBytes)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNoContent:
		return nil, &backendError{business: true, code: "NOT_FOUND", msg: "no record matches the request"}
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return nil, &backendError{business: true, code: backendCode(raw), msg: backendMessage(raw, resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("backend answered %s", resp.Status)
	}
	return raw, nil
}

// backendCode takes a JSON {"code": …} from a 4xx answer: a business error
// code the description may declare; BAD_REQUEST otherwise.
func backendCode(raw []byte) string {
	var m struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Code != "" && m.Code != "NOT_FOUND" {
		return m.Code
	}
	return "BAD_REQUEST"
}

// backendMessage takes a JSON {"message": …} or {"error": …} from a 4xx
// answer, so the consumer learns what to fix; otherwise the HTTP status.
func backendMessage(raw []byte, status string) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) == nil {
		for _, k := range []string{"message", "error", "detail"} {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return "backend refused the request: " + status
}

// maskedErr logs an error with PIN/INN-shaped numbers masked: backend
// errors carry the backend URL, whose path holds the request's identifiers.
func maskedErr(err error) zap.Field {
	return zap.String("error", kgid.MaskText(err.Error()))
}
