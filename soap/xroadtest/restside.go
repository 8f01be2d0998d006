package xroadtest

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/rest"
)

// writeRESTError answers as a security server does on REST: X-Road-Error,
// JSON {type, message, detail}; HTTP 400 for Client.* codes, 500 otherwise.
func writeRESTError(w http.ResponseWriter, code, msg string) []byte {
	status := http.StatusInternalServerError
	if strings.HasPrefix(code, "Client.") || strings.HasPrefix(code, "client.") {
		status = http.StatusBadRequest
	}
	e := rest.Error{Type: code, Message: msg, Detail: newID()}
	rec := httptest.NewRecorder()
	rest.WriteError(rec, status, e)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	return rec.Body.Bytes()
}

// hop-by-hop and X-Road headers the emulator does not pass to the provider
// as they came.
var restDropHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Host": true, "Content-Length": true,
}

func (s *SecurityServer) serveREST(w http.ResponseWriter, r *http.Request) {
	x := Exchange{REST: true}
	fail := func(code, msg string) {
		x.FaultCode = code
		x.Response = writeRESTError(w, code, msg)
		s.exchange(x)
	}
	id, below, err := rest.ParsePath(r.URL.EscapedPath())
	if err != nil {
		fail(soap.CodeInvalidServiceIdentifier.Client(), "Invalid service identifier in the request path")
		return
	}
	x.Service = id
	hdr, err := rest.ParseHeaders(r.Header)
	if err != nil {
		fail(soap.CodeInvalidClientIdentifier.Client(), "Invalid X-Road-Client header")
		return
	}
	if hdr.Client.IsZero() {
		fail(soap.CodeMissingHeaderField.Client(), "X-Road-Client header is missing")
		return
	}
	if !s.isLocalClient(hdr.Client) {
		fail(CodeUnknownMember, "Client "+hdr.Client.Typed()+" is not registered on this security server")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		fail(soap.CodeInvalidMessage.Client(), "cannot read the request body")
		return
	}
	x.Request = body
	if hdr.ID == "" {
		hdr.ID = newID()
	}
	sum := sha512.Sum512(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"+hdr.ID+"\n"), body...))
	out := rest.Headers{Client: hdr.Client, ID: hdr.ID, UserID: hdr.UserID, Issue: hdr.Issue, RequestHash: base64.StdEncoding.EncodeToString(sum[:])}
	svc, ok := s.lookup(id)
	if !ok || svc.REST == nil {
		rec := httptest.NewRecorder()
		out.Set(rec.Header())
		if s.serveMetaREST(rec, r, id.Provider(), hdr.Client, id.ServiceCode) {
			x.Response = rec.Body.Bytes()
			s.exchange(x)
			copyRecorded(w, rec)
			return
		}
		fail(CodeUnknownService, "Unknown service: "+id.Typed())
		return
	}
	if !allowed(svc, hdr.Client) {
		fail(CodeAccessDenied, "Request is not allowed: "+id.Typed())
		return
	}
	s.count(s.received, id)
	inj, _ := s.take(id)
	if !sleep(r.Context(), inj.Delay) {
		return
	}
	if inj.FaultCode != "" {
		fail(inj.FaultCode, orDefault(inj.FaultString, "injected fault"))
		return
	}

	target := below
	if target == "" {
		target = "/"
	}
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	pr := httptest.NewRequest(r.Method, "/", bytes.NewReader(body)).WithContext(r.Context())
	if u, err := url.ParseRequestURI(target); err == nil {
		pr.URL, pr.RequestURI = u, target
	}
	for k, v := range r.Header {
		if !restDropHeaders[k] {
			pr.Header[k] = v
		}
	}
	pr.Header.Set(rest.HeaderID, hdr.ID)
	s.count(s.providers, id)
	rec := httptest.NewRecorder()
	svc.REST.ServeHTTP(rec, pr)
	if inj.DropConnection {
		panic(http.ErrAbortHandler)
	}

	if inj.CorruptEcho {
		out.ID = "tampered-" + out.ID
	}
	if inj.WrongRequestHash {
		other := sha512.Sum512([]byte(out.RequestHash))
		out.RequestHash = base64.StdEncoding.EncodeToString(other[:])
	}
	out.Set(rec.Header())
	rec.Header().Set(rest.HeaderService, id.String())
	if inj.Malformed {
		rec.Body = bytes.NewBuffer(inj.MalformedBody)
		if len(inj.MalformedBody) == 0 {
			rec.Body = bytes.NewBufferString("<html><body>502 Bad Gateway</body></html>")
			rec.Header().Set("Content-Type", "text/html")
		}
		if inj.MalformedContentType != "" {
			rec.Header().Set("Content-Type", inj.MalformedContentType)
		}
		rec.Header().Set(rest.HeaderError, "Server.ServerProxy.ServiceFailed.InvalidMessage")
		rec.Code = http.StatusInternalServerError
	}
	x.Response = rec.Body.Bytes()
	s.exchange(x)
	copyRecorded(w, rec)
}

func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
