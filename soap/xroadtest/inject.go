package xroadtest

import (
	"time"

	"github.com/tunduk-kg/tunduk/soap"
)

// Injection is a fault the emulator injects into the exchanges of one
// service, to test how clients cope. Several injections for a service apply
// in the order they were added, each to its Times requests.
type Injection struct {
	// Times is how many requests the injection applies to; 0 means every
	// request until ClearInjections.
	Times int
	// Delay holds the request this long before it goes to the provider
	// (a slow provider); a client that gives up first sees a timeout. The
	// delay ends early when the client goes away.
	Delay time.Duration
	// FaultCode answers with this X-Road fault instead of calling the
	// provider: a SOAP fault, or X-Road-Error with the JSON body for REST.
	// Either code form works, e.g. "Server.ServerProxy.ServiceFailed.NetworkError"
	// or "server.serverproxy.service_failed.unknown_host". FaultString is
	// its text (default: a generic one).
	FaultCode, FaultString string
	// DropConnection calls the provider, then closes the connection without
	// answering: the request may have had its effect, the client cannot know.
	DropConnection bool
	// CorruptEcho alters the echoed id header field in the answer after the
	// emulator's own checks, as a broken intermediary would.
	CorruptEcho bool
	// WrongRequestHash puts the hash of other bytes into requestHash (or
	// X-Road-Request-Hash for REST).
	WrongRequestHash bool
	// Malformed replaces the answer with MalformedBody sent as
	// MalformedContentType; an empty body sends a truncated copy of the real
	// answer, an empty content type keeps the real one.
	Malformed            bool
	MalformedBody        []byte
	MalformedContentType string
}

type injection struct {
	Injection
	left int // remaining uses; <0 means unlimited
}

// Inject adds a fault injection for service (matched like registered
// services: the version is ignored when the service has none).
func (s *SecurityServer) Inject(service soap.ServiceID, in Injection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := in.Times
	if left == 0 {
		left = -1
	}
	k := serviceKey(service)
	s.injected[k] = append(s.injected[k], &injection{Injection: in, left: left})
}

// ClearInjections removes every injection for service.
func (s *SecurityServer) ClearInjections(service soap.ServiceID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.injected, serviceKey(service))
}

// take returns the injection applying to the next request for id, if any.
func (s *SecurityServer) take(id soap.ServiceID) (Injection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{serviceKey(id), serviceKey(soap.ServiceID{ClientID: id.ClientID, ServiceCode: id.ServiceCode})} {
		list := s.injected[k]
		if len(list) == 0 {
			continue
		}
		in := list[0]
		if in.left > 0 {
			in.left--
			if in.left == 0 {
				s.injected[k] = list[1:]
			}
		}
		return in.Injection, true
	}
	return Injection{}, false
}
