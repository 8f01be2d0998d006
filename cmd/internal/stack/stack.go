// Package stack assembles what `tunduk serve` and `tunduk demo` both run:
// the supplier-check gateway (callers, mappings, security-server client,
// metrics and health) and its companions (the provider for the
// participant's backend, the public catalog). serve builds it from the
// configuration file, demo from the emulator's settings; neither imports
// the other.
package stack

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
	"github.com/tunduk-kg/tunduk/soap"
)

// BuildOptions are what Build assembles the gateway from.
type BuildOptions struct {
	SecurityServer config.SecurityServer
	Gateway        config.Gateway
	// BaseDir resolves relative paths of the gateway section (the
	// configuration file's directory).
	BaseDir string
	// Mappings, when set, are used instead of gateway.mappingsDir/mappings
	// (the demo passes the embedded ones).
	Mappings []*mapping.Mapping
	// Recorder records every exchange durably (serve and demo pass the
	// signed message log); required.
	Recorder exchange.Recorder
	// Receipts, when set, gives each result its receipt and serves
	// GET /v1/evidence/{recordId} (serve passes the message log's evidence).
	Receipts adapter.Receipts
	// Registry, when set, receives the metrics (serve shares it with the
	// message log); otherwise Build makes its own.
	Registry *prometheus.Registry
	Logger   *zap.Logger
}

// Stack is an assembled gateway: the portal API, the ops endpoints and
// what must be closed afterwards.
type Stack struct {
	Gateway *gateway.Gateway
	Ops     http.Handler
	Ready   *observe.Readiness
	Runner  *adapter.Runner
	TLS     *tls.Config // nil for plain HTTP
	ss      *ssclient.Client
	// What Reload rebuilds the gateway with (see reload.go).
	build   BuildOptions
	rec     exchange.Recorder
	metrics *observe.Metrics
	client  soap.ClientID
	opsMux  *http.ServeMux
	extra   map[string]http.Handler // HandleOps patterns, for the gateway's listener when there is no ops listener
}

// Close releases the security-server connections (the recorder's log is
// its opener's to close).
func (s *Stack) Close() error {
	s.ss.Close()
	return nil
}

// SecurityServer is the stack's security-server client (for companions
// such as the monitoring collector that reach the same SS).
func (s *Stack) SecurityServer() *ssclient.Client { return s.ss }

// HandleOps adds a handler beside the ops endpoints (/metrics, /healthz,
// /readyz), wherever they are served; call it before ServerOptions.
func (s *Stack) HandleOps(pattern string, h http.Handler) {
	s.opsMux.Handle(pattern, h)
	if s.extra == nil {
		s.extra = map[string]http.Handler{}
	}
	s.extra[pattern] = h
}

// ServerOptions returns gateway.Serve's options for the stack.
func (s *Stack) ServerOptions(g config.Gateway, log *zap.Logger) gateway.ServerOptions {
	var handler http.Handler = s.Gateway
	if g.OpsListen == "" && len(s.extra) > 0 { // the gateway mounts only /metrics, /healthz, /readyz
		mux := http.NewServeMux()
		for p, h := range s.extra {
			mux.Handle(p, h)
		}
		mux.Handle("/", s.Gateway)
		handler = mux
	}
	return gateway.ServerOptions{Handler: handler, Listen: g.Listen, TLSConfig: s.TLS, Ops: s.Ops, OpsListen: g.OpsListen,
		Ready: s.Ready, ShutdownTimeout: g.ShutdownTimeout, Logger: log}
}

// Build turns the configuration sections into library options and wires
// ssclient → Runner (mappings, journal) → Gateway, with metrics, health
// and readiness.
func Build(o BuildOptions) (*Stack, error) {
	log := o.Logger
	if log == nil {
		log = zap.NewNop()
	}
	g := o.Gateway
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(o.BaseDir, p)
	}
	ms := o.Mappings
	if ms == nil {
		var err error
		if g.MappingsDir != "" {
			ms, err = mapping.LoadDir(rel(g.MappingsDir))
		} else {
			paths := make([]string, len(g.Mappings))
			for i, p := range g.Mappings {
				paths[i] = rel(p)
			}
			ms, err = mapping.LoadFiles(paths)
		}
		if err != nil {
			return nil, err
		}
	}
	callers, err := loadCallers(g.Callers, rel)
	if err != nil {
		return nil, err
	}
	sso, err := o.SecurityServer.ClientOptions(log.Named("ssclient"))
	if err != nil {
		return nil, err
	}
	if sso.Client.IsZero() {
		return nil, errors.New("securityServer.client is required: the portal's client subsystem, e.g. central-server/GOV/70000099/zakupki")
	}
	sc, err := ssclient.New(sso)
	if err != nil {
		return nil, err
	}
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := observe.NewMetrics(observe.MetricsOptions{Registerer: reg, BreakerStates: func() map[string]int {
		out := map[string]int{}
		for svc, st := range sc.BreakerStates() {
			out[svc] = int(st)
		}
		return out
	}})
	if err != nil {
		sc.Close()
		return nil, err
	}
	st := &Stack{ss: sc, build: o, metrics: metrics, client: sso.Client}
	rec := o.Recorder
	if rec == nil {
		sc.Close()
		return nil, errors.New("the gateway records every exchange in the signed message log: set messageLog (dir, archiveDir, signingKey); see configs/tunduk.yaml")
	}
	st.rec = rec
	fail := func(err error) (*Stack, error) { st.Close(); return nil, err }
	st.Runner, err = adapter.NewRunner(adapter.RunnerOptions{Mappings: ms, Transport: sc, Journal: rec, Client: sso.Client,
		UserIDPrefix: o.SecurityServer.UserIDPrefix, SecurityServerURL: sso.URL, Metrics: metrics, Logger: log.Named("runner"), Receipts: o.Receipts})
	if err != nil {
		return fail(err)
	}
	st.Ready = &observe.Readiness{Probe: sc.Ping, Interval: g.ReadyInterval, Logger: log}
	ops := http.NewServeMux()
	ops.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ops.Handle("GET /healthz", observe.Healthz())
	ops.Handle("GET /readyz", st.Ready)
	st.Ops, st.opsMux = ops, ops
	gopts := gateway.Options{Checker: st.Runner, Callers: callers, MaxInFlight: g.MaxInFlight, MaxBodyBytes: g.MaxBodyBytes,
		MaxSuppliers: g.MaxSuppliers, TenderConcurrency: g.TenderConcurrency, IdempotencyWindow: g.IdempotencyWindow,
		Metrics: metrics, Logger: log.Named("gateway"), Receipts: o.Receipts}
	if g.OpsListen == "" {
		gopts.Ops = ops
	}
	if st.Gateway, err = gateway.New(gopts); err != nil {
		return fail(err)
	}
	if st.TLS, err = serverTLS(g.TLS, rel); err != nil {
		return fail(err)
	}
	for _, c := range callers {
		for _, name := range c.Checks {
			if name != "*" && !contains(st.Runner.Checks(), name) {
				log.Warn("a caller may run a check that has no mapping; it will answer 501", zap.String("caller", c.Name), zap.String("check", name))
			}
		}
	}
	return st, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loadCallers resolves the callers' API keys (inline or from a key file).
func loadCallers(cs []config.Caller, rel func(string) string) ([]gateway.Caller, error) {
	out := make([]gateway.Caller, 0, len(cs))
	for _, c := range cs {
		key := c.APIKey.Value()
		if c.APIKeyFile != "" {
			var err error
			if key, err = gateway.ReadAPIKeyFile(rel(c.APIKeyFile), config.MinAPIKeyLen); err != nil {
				return nil, fmt.Errorf("caller %s: %w", c.Name, err)
			}
		}
		out = append(out, gateway.Caller{Name: c.Name, APIKey: key, CertSubject: c.CertSubject, Checks: c.Checks,
			RequestsPerSecond: c.RequestsPerSecond, Burst: c.Burst, MaxConcurrentChecks: c.MaxConcurrentChecks})
	}
	return out, nil
}

func serverTLS(t config.GatewayTLS, rel func(string) string) (*tls.Config, error) {
	if t.CertFile == "" {
		return nil, nil
	}
	pair, err := tls.LoadX509KeyPair(rel(t.CertFile), rel(t.KeyFile))
	if err != nil {
		return nil, fmt.Errorf("gateway.tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		b, err := os.ReadFile(rel(t.ClientCAFile))
		if err != nil {
			return nil, fmt.Errorf("gateway.tls.clientCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("gateway.tls.clientCAFile %s: no PEM certificates", t.ClientCAFile)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}
