package xroadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
)

// maxBody bounds what the emulator reads from one HTTP request.
const maxBody = 64 << 20

// Fault codes the emulator sends that package soap has no constant for
// (security-server-only failures).
const (
	CodeUnknownService       = "Server.ServerProxy.UnknownService"
	CodeAccessDenied         = "Server.ServerProxy.AccessDenied"
	CodeUnknownMember        = "Server.ClientProxy.UnknownMember"
	CodeInconsistentResponse = "Server.ClientProxy.ServiceFailed.InconsistentResponse"
	CodeServiceHTTPError     = "Server.ServerProxy.ServiceFailed.HttpError"
)

// ProviderFunc is a SOAP provider that gets the parsed request and returns
// its response, usually built with soap.NewResponse (which echoes the
// request header byte for byte). Returning an error answers with a SOAP
// fault: a *ProviderFault as given, anything else as "soap:Server".
type ProviderFunc func(ctx context.Context, req *soap.Message) (*soap.Message, error)

// ProviderFault is a technical SOAP fault a provider answers with; service
// faults pass through the security server verbatim.
type ProviderFault struct{ soap.Fault }

func (f *ProviderFault) Error() string {
	return "xroadtest: provider fault " + f.Code + ": " + f.String
}

// HandlerFunc adapts a ProviderFunc to the http.Handler a provider's
// information system is: it parses the POSTed request with lim and writes
// the returned message (or fault).
func HandlerFunc(f ProviderFunc, lim soap.Limits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			writeFault(w, "soap:Server", "cannot read request")
			return
		}
		req, err := soap.ParseBytes(body, r.Header.Get("Content-Type"), lim)
		if err != nil {
			writeFault(w, soap.FaultCodeFor(err, soap.RoleRequest), "provider cannot parse the request")
			return
		}
		defer req.Close()
		resp, err := f(r.Context(), req)
		if err != nil {
			fault := soap.Fault{Code: "soap:Server", String: err.Error()}
			var pf *ProviderFault
			if errors.As(err, &pf) {
				fault = pf.Fault
			}
			if m, ferr := soap.NewFaultResponse(req, fault); ferr == nil {
				writeMessage(w, http.StatusInternalServerError, m.ContentType(), m.Bytes())
				return
			}
			writeFault(w, fault.Code, fault.String)
			return
		}
		defer resp.Close()
		writeMessage(w, http.StatusOK, resp.ContentType(), resp.Bytes())
	})
}

func writeMessage(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeFault(w http.ResponseWriter, code, msg string) []byte {
	b := soap.NewFault(soap.Fault{Code: code, String: msg, Detail: "<faultDetail>" + newID() + "</faultDetail>"})
	writeMessage(w, http.StatusInternalServerError, "text/xml; charset=UTF-8", b)
	return b
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *SecurityServer) serveSOAP(w http.ResponseWriter, r *http.Request) {
	x := Exchange{Started: s.now()}
	fail := func(code, msg string) {
		x.FaultCode = code
		x.Response = writeFault(w, code, msg)
		s.exchange(x)
	}
	var action *string
	if v, ok := r.Header["Soapaction"]; ok && len(v) > 0 {
		action = &v[0]
	}
	if err := soap.CheckHTTP(r.Method, action); err != nil {
		fail(soap.FaultCodeFor(err, soap.RoleRequest), reason(err))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	x.Request = body
	if err != nil {
		fail(soap.CodeInvalidMessage.Client(), "cannot read the request body")
		return
	}
	req, err := soap.ParseBytes(body, r.Header.Get("Content-Type"), s.opts.Limits)
	if err != nil {
		fail(soap.FaultCodeFor(err, soap.RoleRequest), reason(err))
		return
	}
	defer req.Close()
	if err := req.Validate(soap.RoleRequest); err != nil {
		fail(soap.FaultCodeFor(err, soap.RoleRequest), reason(err))
		return
	}
	h := req.Header()
	x.Service = *h.Service
	x.client, x.id = h.Client, h.ID
	if !s.isLocalClient(h.Client) {
		fail(CodeUnknownMember, "Client "+h.Client.Typed()+" is not registered on this security server")
		return
	}
	svc, ok := s.lookup(*h.Service)
	if !ok || svc.SOAP == nil {
		if isMeta(h.Service.ServiceCode) {
			// Injected faults apply to metaservices too (e.g. the
			// monitoring queries of a security server that refuses them).
			if inj, _ := s.take(*h.Service); inj.FaultCode != "" {
				fail(inj.FaultCode, orDefault(inj.FaultString, "injected fault"))
				return
			}
			s.serveMetaSOAP(w, req, &x)
			return
		}
		fail(CodeUnknownService, "Unknown service: "+h.Service.Typed())
		return
	}
	if !allowed(svc, h.Client) {
		fail(CodeAccessDenied, "Request is not allowed: "+h.Service.Typed())
		return
	}
	s.count(s.received, *h.Service)
	inj, _ := s.take(*h.Service)
	if !sleep(r.Context(), inj.Delay) {
		return
	}
	if inj.FaultCode != "" {
		fail(inj.FaultCode, orDefault(inj.FaultString, "injected fault"))
		return
	}

	s.count(s.providers, *h.Service)
	rec := NewRecorder()
	svc.SOAP.ServeHTTP(rec, ProviderRequest(r.Context(), req, action))
	resp, fault := check(req, rec, s.opts.Limits, s.opts.LenientEcho)
	if fault != nil {
		fail(fault.Code, fault.String)
		return
	}
	defer resp.Close()
	if inj.DropConnection {
		panic(http.ErrAbortHandler)
	}
	out, ct := resp.Bytes(), resp.ContentType()
	status := http.StatusOK
	if _, isFault := resp.Fault(); isFault {
		status = http.StatusInternalServerError
	} else {
		out = mutate(out, req, resp, inj)
	}
	if inj.Malformed {
		out = inj.MalformedBody
		if len(out) == 0 {
			out = resp.Bytes()[:len(resp.Bytes())/2]
		}
		ct = orDefault(inj.MalformedContentType, ct)
	}
	x.Response = out
	s.exchange(x)
	writeMessage(w, status, ct, out)
}

// mutate applies CorruptEcho and WrongRequestHash to an answer's bytes.
func mutate(out []byte, req, resp *soap.Message, inj Injection) []byte {
	if inj.CorruptEcho {
		for _, f := range resp.HeaderFields() {
			if f.Name.Space == soap.NSXRoad && f.Name.Local == "id" {
				gt := bytes.IndexByte(f.Raw, '>')
				if gt < 0 {
					break
				}
				changed := append(append(append([]byte{}, f.Raw[:gt+1]...), "tampered-"...), f.Raw[gt+1:]...)
				out = bytes.Replace(out, f.Raw, changed, 1)
				break
			}
		}
	}
	if inj.WrongRequestHash {
		if h := resp.Header().RequestHash; h != "" {
			wrong := soap.RequestHash(append(append([]byte{}, req.SOAP()...), ' '))
			out = bytes.Replace(out, []byte(h), []byte(wrong), 1)
		}
	}
	return out
}

// ProviderRequest is the HTTP request the emulator sends a SOAP provider for
// req: a POST of the message bytes with its Content-Type and the client's
// SOAPAction (nil when absent).
func ProviderRequest(ctx context.Context, req *soap.Message, soapAction *string) *http.Request {
	pr := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(req.Bytes())).WithContext(ctx)
	pr.Header.Set("Content-Type", req.ContentType())
	if soapAction != nil {
		pr.Header.Set("SOAPAction", *soapAction)
	}
	return pr
}

// Check applies the emulator's checks to what a provider answered (rec) to
// req, and returns the response with requestHash added, or the fault the
// security server would send instead. Provider SOAP faults pass through
// verbatim (they are returned as the response). Use it to test a provider
// handler without a running server.
func Check(req *soap.Message, rec *Recorder, lim soap.Limits) (*soap.Message, *soap.Fault) {
	return check(req, rec, lim, false)
}

func check(req *soap.Message, rec *Recorder, lim soap.Limits, lenient bool) (*soap.Message, *soap.Fault) {
	ct := rec.Header().Get("Content-Type")
	body := rec.Body.Bytes()
	resp, err := soap.ParseBytes(body, ct, lim)
	if err != nil {
		if rec.Code != http.StatusOK && rec.Code != http.StatusInternalServerError {
			return nil, &soap.Fault{Code: CodeServiceHTTPError, String: "Service responded with HTTP " + http.StatusText(rec.Code)}
		}
		return nil, &soap.Fault{Code: soap.FaultCodeFor(err, soap.RoleResponse), String: reason(err)}
	}
	if _, isFault := resp.Fault(); isFault {
		return resp, nil
	}
	if err := resp.Validate(soap.RoleResponse); err != nil {
		return nil, &soap.Fault{Code: soap.FaultCodeFor(err, soap.RoleResponse), String: reason(err)}
	}
	echo := soap.Echoes
	if lenient {
		echo = soap.CheckConsistency
	}
	if err := echo(req, resp); err != nil {
		return nil, &soap.Fault{Code: CodeInconsistentResponse, String: "Response from server proxy is not consistent with request: " + reason(err)}
	}
	hashed, err := soap.AddRequestHash(resp, req)
	if err != nil {
		return nil, &soap.Fault{Code: soap.CodeInternalError.ServiceFailed(), String: reason(err)}
	}
	return hashed, nil
}

// reason is an error's text without the package prefix, for fault strings.
func reason(err error) string {
	var ve *soap.ValidationError
	if errors.As(err, &ve) {
		return ve.Reason()
	}
	return err.Error()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sleep waits d unless ctx ends first; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
