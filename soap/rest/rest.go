// Package rest holds the X-Road REST message protocol (PR-REST 1.x) pieces
// the adapter needs: the X-Road-* HTTP headers, the /r1/ service path and
// the JSON error body a security server returns.
//
// Non-goals: proxying, OpenAPI handling (see catalog).
//
// Public API: other Go programs may import this package for X-Road's REST message form (PR-REST headers and paths). Everything under internal/ is tunduk's own and may change
// without notice.
package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tunduk-kg/tunduk/soap"
)

// Header names of PR-REST.
const (
	HeaderClient      = "X-Road-Client"
	HeaderID          = "X-Road-Id"
	HeaderUserID      = "X-Road-UserId"
	HeaderIssue       = "X-Road-Issue"
	HeaderRequestHash = "X-Road-Request-Hash"
	HeaderError       = "X-Road-Error"
	HeaderService     = "X-Road-Service"
)

// ProtocolPrefix is the path prefix of PR-REST version 1.
const ProtocolPrefix = "/r1/"

// Headers are the X-Road-* headers of a REST request or response.
type Headers struct {
	Client      soap.ClientID // required in requests
	ID          string
	UserID      string
	Issue       string
	RequestHash string // responses
	Error       string // X-Road-Error on security server errors, e.g. "Server.ServerProxy.AccessDenied"
}

// Set writes the non-empty headers into h.
func (x Headers) Set(h http.Header) {
	if !x.Client.IsZero() {
		h.Set(HeaderClient, x.Client.String())
	}
	for _, kv := range [][2]string{{HeaderID, x.ID}, {HeaderUserID, x.UserID}, {HeaderIssue, x.Issue}, {HeaderRequestHash, x.RequestHash}, {HeaderError, x.Error}} {
		if kv[1] != "" {
			h.Set(kv[0], kv[1])
		}
	}
}

// ParseHeaders reads the X-Road-* headers. X-Road-Client, when present, must
// be a valid client identifier (slash form); requests must have it, which
// the caller checks with Client.IsZero.
func ParseHeaders(h http.Header) (Headers, error) {
	x := Headers{
		ID:          h.Get(HeaderID),
		UserID:      h.Get(HeaderUserID),
		Issue:       h.Get(HeaderIssue),
		RequestHash: h.Get(HeaderRequestHash),
		Error:       h.Get(HeaderError),
	}
	if c := h.Get(HeaderClient); c != "" {
		id, err := soap.ParseClientID(c)
		if err != nil {
			return Headers{}, fmt.Errorf("rest: %s: %w", HeaderClient, err)
		}
		x.Client = id
	}
	return x, nil
}

// Path returns the PR-REST request path "/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE"
// followed by rest (the service's own path and query, "" or starting with
// '/' or '?'). Each identifier part is path-escaped.
func Path(service soap.ServiceID, rest string) string {
	parts := []string{service.Instance, service.MemberClass, service.MemberCode}
	if service.SubsystemCode != "" {
		parts = append(parts, service.SubsystemCode)
	}
	parts = append(parts, service.ServiceCode)
	var b strings.Builder
	b.WriteString("/r1")
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	b.WriteString(rest)
	return b.String()
}

// ParsePath splits an escaped PR-REST path (r.URL.EscapedPath()) into the
// service and the remaining path (which keeps its escaping). The service
// must be on a subsystem: "/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/…]".
func ParsePath(escapedPath string) (soap.ServiceID, string, error) {
	if !strings.HasPrefix(escapedPath, ProtocolPrefix) {
		return soap.ServiceID{}, "", fmt.Errorf("rest: path %q does not start with %s", escapedPath, ProtocolPrefix)
	}
	segs := strings.SplitN(escapedPath[len(ProtocolPrefix):], "/", 6)
	if len(segs) < 5 {
		return soap.ServiceID{}, "", fmt.Errorf("rest: path %q: want /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path]", escapedPath)
	}
	var parts [5]string
	for i := range parts {
		p, err := url.PathUnescape(segs[i])
		if err != nil {
			return soap.ServiceID{}, "", fmt.Errorf("rest: path %q: %w", escapedPath, err)
		}
		parts[i] = p
	}
	sid := soap.ServiceID{
		ClientID:    soap.ClientID{Instance: parts[0], MemberClass: parts[1], MemberCode: parts[2], SubsystemCode: parts[3]},
		ServiceCode: parts[4],
	}
	if err := sid.Validate(); err != nil {
		return soap.ServiceID{}, "", fmt.Errorf("rest: path %q: %w", escapedPath, err)
	}
	rest := ""
	if len(segs) == 6 {
		rest = "/" + segs[5]
	}
	return sid, rest, nil
}

// Error is the JSON body of a security server's REST error response.
type Error struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

func (e *Error) Error() string { return "rest: " + e.Type + ": " + e.Message }

// WriteError writes e as X-Road does: JSON body, X-Road-Error header with
// e.Type, and the HTTP status.
func WriteError(w http.ResponseWriter, status int, e Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(HeaderError, e.Type)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

// ParseError decodes a JSON error body. The type is taken from the body, or
// else from the X-Road-Error header; both the CamelCase and X-Road 7.8 snake
// forms are normalised to CamelCase.
func ParseError(h http.Header, body []byte) (*Error, error) {
	var e Error
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("rest: error body: %w", err)
		}
	}
	if e.Type == "" {
		e.Type = h.Get(HeaderError)
	}
	if e.Type == "" {
		return nil, fmt.Errorf("rest: response carries no X-Road error type")
	}
	e.Type = soap.NormalizeFaultCode(e.Type)
	return &e, nil
}
