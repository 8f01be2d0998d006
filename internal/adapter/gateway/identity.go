package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"

	"github.com/tunduk-kg/tunduk/internal/adapter"
)

// Request identity headers.
const (
	HeaderRequestID   = "X-Request-Id"
	HeaderTraceParent = "Traceparent" // W3C Trace Context "traceparent", canonical form
)

// MaxRequestIDLen bounds an accepted X-Request-Id.
const MaxRequestIDLen = 128

// reqInfo is what the gateway knows about one portal request; every log
// line of the request is built from it.
type reqInfo struct {
	id          string
	traceParent string
	lang        string

	mu       sync.Mutex
	caller   string
	officer  string
	messages []string // X-Road message ids of the request's exchanges
}

func (ri *reqInfo) addMessage(id string) {
	if id == "" {
		return
	}
	ri.mu.Lock()
	ri.messages = append(ri.messages, id)
	ri.mu.Unlock()
}

func (ri *reqInfo) messageIDs() []string {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	return append([]string(nil), ri.messages...)
}

type infoKey struct{}

func info(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(infoKey{}).(*reqInfo)
	if ri == nil {
		ri = &reqInfo{}
	}
	return ri
}

// identify accepts the caller's X-Request-Id and traceparent or generates
// them. A malformed or repeated one is an error (400), and fresh values
// are generated anyway so the error answer itself can be traced.
func identify(r *http.Request) (*reqInfo, error) {
	ri := &reqInfo{}
	var err error
	ids := r.Header.Values(HeaderRequestID)
	switch {
	case len(ids) > 1:
		err = duplicateHeader(HeaderRequestID)
	case len(ids) == 1 && !validRequestID(ids[0]):
		err = adapter.BadRequest("invalid_request_id", HeaderRequestID,
			"%s must be 1 to %d characters of A-Z, a-z, 0-9 and . _ - :", HeaderRequestID, MaxRequestIDLen)
	case len(ids) == 1:
		ri.id = ids[0]
	}
	if ri.id == "" {
		ri.id = newRequestID()
	}
	tps := r.Header.Values(HeaderTraceParent)
	switch {
	case len(tps) > 1:
		if err == nil {
			err = duplicateHeader("traceparent")
		}
	case len(tps) == 1 && !validTraceParent(tps[0]):
		if err == nil {
			err = adapter.BadRequest("invalid_traceparent", "traceparent",
				"traceparent must follow W3C Trace Context: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, ids not all zero")
		}
	case len(tps) == 1:
		ri.traceParent = tps[0]
	}
	if ri.traceParent == "" {
		ri.traceParent = newTraceParent()
	}
	return ri, err
}

func validRequestID(s string) bool {
	if s == "" || len(s) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// validTraceParent checks version 00 of W3C Trace Context's traceparent
// (lower-case hex, trace id and parent id not all zero). Later versions
// may append fields after the flags; those are accepted by their prefix.
func validTraceParent(s string) bool {
	if len(s) < 55 || (len(s) > 55 && s[55] != '-') {
		return false
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return false
	}
	version, trace, parent, flags := s[0:2], s[3:35], s[36:52], s[53:55]
	if version == "ff" || (version == "00" && len(s) != 55) {
		return false
	}
	for _, part := range []string{version, trace, parent, flags} {
		if !lowerHex(part) {
			return false
		}
	}
	return strings.Trim(trace, "0") != "" && strings.Trim(parent, "0") != ""
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newTraceParent starts a new trace (version 00, not sampled).
func newTraceParent() string {
	var b [24]byte
	rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-00"
}
