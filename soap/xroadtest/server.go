// Package xroadtest is an in-process Tunduk (X-Road) security server for
// tests and the demo, in the style of net/http/httptest: NewSecurityServer
// listens on 127.0.0.1:0, NewTLSSecurityServer adds HTTPS with built-in test
// certificates and requires an information-system client certificate, as a
// Tunduk security server does by default since X-Road 7.4.
//
// Providers are registered per service: SOAP providers as an http.Handler
// (the provider's information system) or a ProviderFunc receiving the parsed
// request, REST providers as an http.Handler behind /r1/…. The emulator does
// what a consumer's and a provider's security server do together, as far as
// the consumer can observe:
//
//   - it checks requests with the PR-MESS rules (package soap) and rejects
//     bad ones with X-Road's own fault codes (Client.MissingHeaderField, …);
//   - it answers Server.ServerProxy.UnknownService and
//     Server.ServerProxy.AccessDenied from its registry and access lists;
//   - it forwards the request to the provider, checks the provider's answer
//     (Server.ServerProxy.ServiceFailed.*, and the header echo:
//     Server.ClientProxy.ServiceFailed.InconsistentResponse), and adds
//     requestHash;
//   - it answers the metaservices listClients, listMethods, allowedMethods,
//     getWsdl (WSDL as a MIME attachment) and, for REST, listMethods,
//     allowedMethods and getOpenAPI (PR-META, PR-MREST);
//   - it answers the monitoring metaservices getSecurityServerOperationalData
//     and getSecurityServerHealthData (PR-OPMON) from its own SOAP traffic
//     (opmon.go);
//   - REST (PR-REST) requests carry X-Road-Client; errors come back with
//     X-Road-Error and the JSON body {type, message, detail}.
//
// Fault injection (Inject) makes the emulator slow, failing, or dishonest
// (corrupted echo, wrong requestHash, malformed answers, dropped connections)
// so that clients' defences can be tested.
//
// Non-goals: signatures, timestamps, the message log, global configuration,
// and everything else between two real security servers. It is a test
// double, never part of a production configuration.
//
// Public API: tests of any X-Road client may import this package as a security-server test double, as net/http/httptest serves HTTP tests. Everything under internal/ is tunduk's own and may change
// without notice.
package xroadtest

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
)

// Options configures an emulated security server. The zero value works:
// every client may call every registered service.
type Options struct {
	// Limits bound requests and provider answers; the zero value is safe.
	Limits soap.Limits
	// Members are the X-Road members and subsystems listClients reports, in
	// addition to the providers registered with Register.
	Members []Member
	// LocalClients, when set, are the client subsystems registered on this
	// security server; requests from other clients are rejected with
	// Server.ClientProxy.UnknownMember (with TLS, the client certificate is
	// also required).
	LocalClients []soap.ClientID
	// LenientEcho checks provider answers with X-Road's own looser pair
	// check (soap.CheckConsistency: client, service, id, userId, issue,
	// representedParty) instead of the strict echo rule (soap.Echoes: every
	// field, in order).
	LenientEcho bool
	// OnExchange, when set, is called after each SOAP or REST request with
	// what the emulator received and sent.
	OnExchange func(Exchange)
	// OpmonPageSize is how many records one getSecurityServerOperationalData
	// answer holds at most (default 10,000, X-Road's default).
	OpmonPageSize int
	// Now is the emulator's clock for operational monitoring records
	// (default time.Now).
	Now func() time.Time
}

// Member is an entry of listClients: a member or a subsystem with its names.
type Member struct {
	ID            soap.ClientID
	Name          string // the member's name
	SubsystemName string // for subsystems
}

// Exchange is one request handled by the emulator, for OnExchange.
type Exchange struct {
	Service   soap.ServiceID // zero for listClients or when the request had no usable service
	REST      bool
	Request   []byte // the request body as received (SOAP: the whole HTTP body)
	Response  []byte // what the emulator sent back
	FaultCode string // the X-Road fault code the emulator answered with, or "" (provider faults pass through and are not set here)
	// Started is when the request arrived (SOAP; by Options.Now).
	Started time.Time

	client soap.ClientID
	id     string
}

// Service registers a provider's service.
type Service struct {
	ID soap.ServiceID
	// SOAP is the provider's information system for a SOAP service: it gets
	// the request as an HTTP POST (same body, Content-Type and SOAPAction)
	// and writes the answer. Use HandlerFunc for a ProviderFunc.
	SOAP http.Handler
	// REST is the provider's information system for a REST service: it gets
	// the request with the path below the service ("/r1/…/SERVICE" removed)
	// and the X-Road-* headers.
	REST http.Handler
	// Allow, when non-nil, is the access list: only these clients (members
	// match all their subsystems) may call the service. Nil allows everyone.
	Allow []soap.ClientID
	// WSDL is returned by getWsdl; nil generates a minimal one.
	WSDL []byte
	// OpenAPI is returned by getOpenAPI for REST services (YAML or JSON);
	// nil generates a minimal one.
	OpenAPI []byte
	// Endpoints lists a REST service's endpoints for listMethods
	// (method and path, e.g. {"GET", "/{inn}"}).
	Endpoints []Endpoint
}

// Endpoint is a REST service endpoint.
type Endpoint struct{ Method, Path string }

// SecurityServer is a running emulated security server.
type SecurityServer struct {
	// URL is the base URL, http://127.0.0.1:PORT or https://127.0.0.1:PORT,
	// with no trailing slash: the information system's endpoint for SOAP
	// (POST URL), REST (URL + "/r1/…") and listClients (URL + "/listClients").
	URL string

	opts Options
	srv  *httptest.Server

	mu        sync.Mutex
	services  map[string]*registered // by serviceKey
	injected  map[string][]*injection
	received  map[string]int
	providers map[string]int // by serviceKey: calls that reached the provider
	tlsClient *http.Client

	opmon opmonLog // operational monitoring records of SOAP traffic (opmon.go)
}

type registered struct {
	Service
}

// NewSecurityServer starts an emulated security server on 127.0.0.1 over
// plain HTTP. The caller must Close it.
func NewSecurityServer(opts Options) *SecurityServer {
	s := NewUnstartedSecurityServer(opts)
	s.Start()
	return s
}

// NewTLSSecurityServer starts an emulated security server over HTTPS with
// the built-in test certificates. It requires a client certificate issued by
// the test CA (see Client, ClientTLSConfig, WriteTLSFiles). The caller must
// Close it.
func NewTLSSecurityServer(opts Options) *SecurityServer {
	s := NewUnstartedSecurityServer(opts)
	s.StartTLS()
	return s
}

// NewUnstartedSecurityServer returns an emulated security server that is not
// yet listening; call Start or StartTLS.
func NewUnstartedSecurityServer(opts Options) *SecurityServer {
	s := &SecurityServer{
		opts:      opts,
		services:  map[string]*registered{},
		injected:  map[string][]*injection{},
		received:  map[string]int{},
		providers: map[string]int{},
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	// Refused TLS handshakes and aborted answers are what tests provoke;
	// keep them out of the test output.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	return s
}

// Start starts the server over HTTP.
func (s *SecurityServer) Start() {
	s.srv.Start()
	s.URL = s.srv.URL
}

// StartTLS starts the server over HTTPS, requiring a client certificate.
func (s *SecurityServer) StartTLS() {
	p := loadPKI()
	s.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    CAPool(),
		MinVersion:   tls.VersionTLS12,
	}
	s.srv.StartTLS()
	s.URL = s.srv.URL
}

// Close shuts the server down and blocks until all requests are done.
func (s *SecurityServer) Close() {
	s.srv.Close()
	s.mu.Lock()
	if s.tlsClient != nil {
		s.tlsClient.CloseIdleConnections()
	}
	s.mu.Unlock()
}

// CloseClientConnections closes any open connections to the server.
func (s *SecurityServer) CloseClientConnections() { s.srv.CloseClientConnections() }

// Listener returns the server's listener (e.g. to learn its address).
func (s *SecurityServer) Listener() net.Listener { return s.srv.Listener }

// Client returns an HTTP client for the server. For a TLS server it trusts
// the test CA and presents the test client certificate.
func (s *SecurityServer) Client() *http.Client {
	if s.srv.TLS == nil {
		return s.srv.Client()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tlsClient == nil {
		s.tlsClient = &http.Client{Transport: &http.Transport{TLSClientConfig: s.ClientTLSConfig()}}
	}
	return s.tlsClient
}

// ClientTLSConfig returns a TLS configuration that trusts the server and
// presents the test client certificate; nil for a plain HTTP server.
func (s *SecurityServer) ClientTLSConfig() *tls.Config {
	if s.srv.TLS == nil {
		return nil
	}
	return &tls.Config{RootCAs: CAPool(), Certificates: []tls.Certificate{ClientCertificate()}, MinVersion: tls.VersionTLS12}
}

// Register adds or replaces a provider's service.
func (s *SecurityServer) Register(svc Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[serviceKey(svc.ID)] = &registered{Service: svc}
}

// Handle registers h as the SOAP provider of service, open to every client.
func (s *SecurityServer) Handle(service soap.ServiceID, h http.Handler) {
	s.Register(Service{ID: service, SOAP: h})
}

// HandleFunc registers f as the SOAP provider of service, open to every client.
func (s *SecurityServer) HandleFunc(service soap.ServiceID, f ProviderFunc) {
	s.Register(Service{ID: service, SOAP: HandlerFunc(f, s.opts.Limits)})
}

// HandleREST registers h as the REST provider of service, open to every client.
func (s *SecurityServer) HandleREST(service soap.ServiceID, h http.Handler) {
	s.Register(Service{ID: service, REST: h})
}

// Allow sets the access list of a registered service: only clients (members
// match their subsystems) may call it. No clients denies everyone.
func (s *SecurityServer) Allow(service soap.ServiceID, clients ...soap.ClientID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.services[serviceKey(service)]; ok {
		r.Allow = append([]soap.ClientID{}, clients...)
	}
}

// Received returns how many requests for service the emulator has accepted
// (parsed, known service, access granted), whether or not an injected fault
// then stopped them before the provider.
func (s *SecurityServer) Received(service soap.ServiceID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received[serviceKey(service)]
}

// ProviderCalls returns how many requests for service reached the provider.
func (s *SecurityServer) ProviderCalls(service soap.ServiceID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.providers[serviceKey(service)]
}

// Services returns the registered services sorted by identifier.
func (s *SecurityServer) Services() []Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Service, 0, len(s.services))
	for _, r := range s.services {
		out = append(out, r.Service)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.String() < out[j].ID.String() })
	return out
}

// lookup finds a registered service. SOAP services match on the whole
// identifier, version included; a service registered without a version also
// matches requests naming any version, and REST services match without one.
func (s *SecurityServer) lookup(id soap.ServiceID) (Service, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.services[serviceKey(id)]; ok {
		return r.Service, true
	}
	if id.ServiceVersion != "" {
		id.ServiceVersion = ""
		if r, ok := s.services[serviceKey(id)]; ok {
			return r.Service, true
		}
	}
	return Service{}, false
}

func (s *SecurityServer) count(m map[string]int, id soap.ServiceID) {
	s.mu.Lock()
	m[serviceKey(id)]++
	s.mu.Unlock()
}

func serviceKey(id soap.ServiceID) string { return id.String() }

// allowed reports whether client may call svc.
func allowed(svc Service, client soap.ClientID) bool {
	if svc.Allow == nil {
		return true
	}
	for _, a := range svc.Allow {
		if a == client || (a.SubsystemCode == "" && a.Instance == client.Instance && a.MemberClass == client.MemberClass && a.MemberCode == client.MemberCode) {
			return true
		}
	}
	return false
}

// isLocalClient reports whether client is served by this security server.
func (s *SecurityServer) isLocalClient(client soap.ClientID) bool {
	if len(s.opts.LocalClients) == 0 {
		return true
	}
	for _, c := range s.opts.LocalClients {
		if c == client {
			return true
		}
	}
	return false
}

func (s *SecurityServer) exchange(e Exchange) {
	s.opmonRecord(e)
	if s.opts.OnExchange != nil {
		s.opts.OnExchange(e)
	}
}

// serveHTTP dispatches: GET /listClients, /r1/… (REST), everything else SOAP.
func (s *SecurityServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/listClients":
		s.serveListClients(w, r)
	case len(r.URL.Path) >= 4 && r.URL.Path[:4] == "/r1/":
		s.serveREST(w, r)
	default:
		s.serveSOAP(w, r)
	}
}
