package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/catalog/codec"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/rest"
)

// restError is a PR-REST error answer: X-Road-Error and {type,message,detail}.
type restError struct {
	status int
	typ    string
	msg    string
}

// restHeaders are the request headers a REST backend gets: what it needs
// to answer and the X-Road identity of the caller.
var restHeaders = []string{"Accept", "Accept-Language", "Content-Type", rest.HeaderUserID, rest.HeaderIssue}

// serveREST answers a PR-REST request the security server forwards:
// /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path] with X-Road-Client
// (and X-Road-Id, X-Road-UserId, X-Road-Issue). The request goes to the
// service's backend (Backend + path + query) and the answer comes back as
// the backend wrote it; inputs with a REST description are checked by type
// first. Every exchange is journalled (and signed, when the recorder is
// the signed log) before the answer is sent, as for SOAP.
func (h *Handler) serveREST(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	rec := &exchange.Exchange{Protocol: exchange.REST, Time: started, Check: "provider-rest",
		Request: exchange.Message{URL: r.URL.String(), Method: r.Method, Header: http.Header{}}}
	status, respHeader, respBody, rerr := h.restExchange(r, rec)
	if rerr != nil {
		status = rerr.status
		respHeader = http.Header{}
		e := rest.Error{Type: rerr.typ, Message: rerr.msg, Detail: rec.MessageID}
		rw := &headerRecorder{h: respHeader}
		rest.WriteError(rw, status, e)
		respBody = rw.body.Bytes()
		rec.Outcome, rec.FaultCode = "fault", rerr.typ
	}
	rec.Duration = time.Since(started)
	rec.Response = &exchange.Message{Status: status, Header: respHeader.Clone(), Body: respBody}
	if h.opts.Recorder != nil {
		if _, err := h.opts.Recorder.Record(context.WithoutCancel(r.Context()), rec); err != nil {
			h.opts.Logger.Error("journal write failed; refusing to answer", zap.Error(err))
			status, respHeader = http.StatusInternalServerError, http.Header{}
			rw := &headerRecorder{h: respHeader}
			rest.WriteError(rw, status, rest.Error{Type: "Server.InternalError", Message: "the provider could not record the exchange"})
			respBody = rw.body.Bytes()
		}
	}
	h.opts.Logger.Info("provider exchange", zap.String("protocol", "REST"), zap.String("outcome", rec.Outcome),
		zap.Int("status", status), zap.String("messageId", rec.MessageID), zap.String("client", rec.Caller),
		zap.String("service", rec.Service), zap.Duration("duration", time.Since(started)))
	for k, v := range respHeader {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = w.Write(respBody)
}

func (h *Handler) restExchange(r *http.Request, rec *exchange.Exchange) (int, http.Header, []byte, *restError) {
	id, below, err := rest.ParsePath(r.URL.EscapedPath())
	if err != nil {
		return 0, nil, nil, &restError{http.StatusBadRequest, soap.CodeInvalidServiceIdentifier.Client(), "the path is not /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path]"}
	}
	rec.Service = id.Typed()
	for _, k := range []string{rest.HeaderClient, rest.HeaderID, rest.HeaderUserID, rest.HeaderIssue} {
		if v := r.Header.Values(k); len(v) > 1 {
			return 0, nil, nil, &restError{http.StatusBadRequest, soap.CodeInvalidMessage.Client(), k + " is given more than once"}
		}
	}
	hdr, err := rest.ParseHeaders(r.Header)
	if err != nil || hdr.Client.IsZero() {
		return 0, nil, nil, &restError{http.StatusBadRequest, soap.CodeMissingHeaderField.Client(), "X-Road-Client is missing or not a client identifier"}
	}
	rec.Caller, rec.MessageID, rec.UserID, rec.Issue = hdr.Client.String(), hdr.ID, hdr.UserID, hdr.Issue
	rec.Client = rec.Caller
	for _, k := range []string{rest.HeaderClient, rest.HeaderID, rest.HeaderUserID, rest.HeaderIssue, "Content-Type"} {
		if v := r.Header.Get(k); v != "" {
			rec.Request.Header.Set(k, v)
		}
	}
	if id.Provider() != h.opts.Provider {
		return 0, nil, nil, &restError{http.StatusNotFound, "Server.ServerProxy.UnknownService", fmt.Sprintf("this adapter serves %s, not %s", h.opts.Provider, id.Provider())}
	}
	var svc Service
	found := false
	for _, s := range h.services[id.ServiceCode] {
		if s.REST {
			svc, found = s, true
			break
		}
	}
	if !found {
		return 0, nil, nil, &restError{http.StatusNotFound, "Server.ServerProxy.UnknownService", "unknown REST service " + id.String()}
	}
	rec.Check = "provider:" + svc.Code
	body, err := io.ReadAll(io.LimitReader(r.Body, h.maxRequestBytes()+1))
	if err != nil {
		return 0, nil, nil, &restError{http.StatusBadRequest, soap.CodeInvalidMessage.Client(), "the request body could not be read"}
	}
	if int64(len(body)) > h.maxRequestBytes() {
		return 0, nil, nil, &restError{http.StatusRequestEntityTooLarge, soap.CodeInvalidMessage.Client(), fmt.Sprintf("the request body exceeds %d bytes", h.maxRequestBytes())}
	}
	rec.Request.Body = body
	if d := svc.Description; d != nil {
		if err := checkRESTInputs(d, r.Method, below, r.URL.Query()); err != nil {
			rec.Outcome = "rejected"
			return 0, nil, nil, &restError{http.StatusBadRequest, "Client.BadRequest", err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), svc.Timeout)
	defer cancel()
	target := strings.TrimSuffix(svc.Backend, "/") + below
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	hreq, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, &restError{http.StatusBadRequest, "Client.BadRequest", "the request path cannot be forwarded"}
	}
	for _, k := range restHeaders {
		if v := r.Header.Get(k); v != "" {
			hreq.Header.Set(k, v)
		}
	}
	hreq.Header.Set(rest.HeaderClient, hdr.Client.String())
	hreq.Header.Set(rest.HeaderService, id.String())
	hreq.Header.Set(rest.HeaderID, hdr.ID)
	resp, err := h.opts.HTTPClient.Do(hreq)
	if err != nil {
		return 0, nil, nil, h.restBackendError(ctx, svc, hdr.ID, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, h.opts.MaxBackendBytes+1))
	if err != nil {
		return 0, nil, nil, h.restBackendError(ctx, svc, hdr.ID, err)
	}
	if int64(len(raw)) > h.opts.MaxBackendBytes {
		return 0, nil, nil, h.restBackendError(ctx, svc, hdr.ID, fmt.Errorf("backend answer exceeds %d bytes", h.opts.MaxBackendBytes))
	}
	// A success answer must be what the description (and so the OpenAPI
	// generated from it) declares; extra members are allowed there.
	if d := svc.Description; d != nil && resp.StatusCode == http.StatusOK {
		if _, err := codec.EncodeOutput(d, raw); err != nil {
			h.opts.Logger.Warn("REST backend answer does not match the service description", zap.String("service", svc.Code),
				zap.String("messageId", hdr.ID), maskedErr(err))
			return 0, nil, nil, &restError{http.StatusBadGateway, "Server.ServiceFailed.InvalidBackendAnswer", "the backend's answer does not match the service description"}
		}
	}
	out := http.Header{}
	for _, k := range []string{"Content-Type", "Content-Language", "Cache-Control", "Location"} {
		if v := resp.Header.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	switch {
	case resp.StatusCode < 400:
		rec.Outcome = "ok"
	case resp.StatusCode == http.StatusNotFound:
		rec.Outcome = "not-found"
	case resp.StatusCode < 500:
		rec.Outcome = "business-error"
	default:
		rec.Outcome = "provider-error"
	}
	return resp.StatusCode, out, raw, nil
}

func (h *Handler) restBackendError(ctx context.Context, svc Service, msgID string, err error) *restError {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return &restError{http.StatusGatewayTimeout, "Server.ServiceFailed.Timeout", "the backend did not answer in time"}
	}
	h.opts.Logger.Warn("REST backend call failed", zap.String("service", svc.Code), zap.String("messageId", msgID), maskedErr(err))
	return &restError{http.StatusBadGateway, "Server.ServiceFailed", "the backend failed"}
}

func (h *Handler) maxRequestBytes() int64 {
	if h.opts.Limits.MaxBytes > 0 {
		return h.opts.Limits.MaxBytes
	}
	return soap.DefaultMaxBytes
}

// checkRESTInputs checks the path and query parameters against the
// description before the backend is called: the method, the path template
// (/suppliers/{inn}), each parameter's declared type, and no query
// parameter the description does not declare or declares once given twice.
func checkRESTInputs(d *catalog.Service, method, below string, q url.Values) error {
	if d.Method != "" && !strings.EqualFold(d.Method, method) {
		return fmt.Errorf("method %s: the service takes %s", method, d.Method)
	}
	tmpl := strings.Split(strings.Trim(d.Path, "/"), "/")
	got := strings.Split(strings.Trim(below, "/"), "/")
	if len(tmpl) != len(got) {
		return fmt.Errorf("path %q does not match %s", below, d.Path)
	}
	for i, seg := range tmpl {
		v, err := url.PathUnescape(got[i])
		if err != nil {
			return fmt.Errorf("path segment %d is not valid percent-encoding", i+1)
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			f := findInput(d, name)
			if f == nil {
				return fmt.Errorf("path parameter %s is not described", name)
			}
			if _, err := codec.Canonical(f, v); err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
		} else if v != seg {
			return fmt.Errorf("path %q does not match %s", below, d.Path)
		}
	}
	for k, vs := range q {
		f := findInput(d, k)
		if f == nil || f.In != "query" {
			return fmt.Errorf("query parameter %s is not an input of %s", k, d.Code)
		}
		if len(vs) > 1 && !f.Repeated {
			return fmt.Errorf("query parameter %s is given twice", k)
		}
		for _, v := range vs {
			if _, err := codec.Canonical(f, v); err != nil {
				return fmt.Errorf("%s: %v", k, err)
			}
		}
	}
	for _, f := range d.Input {
		if f.In == "query" && f.Required && len(q[f.Name]) == 0 {
			return fmt.Errorf("query parameter %s is required", f.Name)
		}
	}
	return nil
}

func findInput(d *catalog.Service, name string) *catalog.Field {
	for _, f := range d.Input {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// headerRecorder is a minimal http.ResponseWriter for rest.WriteError.
type headerRecorder struct {
	h    http.Header
	body bytes.Buffer
}

func (r *headerRecorder) Header() http.Header         { return r.h }
func (r *headerRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *headerRecorder) WriteHeader(int)             {}
