package config

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
)

// Gateway is the portal-facing supplier-check gateway run by `tunduk serve`:
// where it listens, how portal callers authenticate, which checks each may
// run, where the check mappings are. Every exchange is recorded in the
// signed message log (messageLog). The X-Road userId prefix is
// securityServer.userIdPrefix.
//
//	gateway:
//	  listen: 0.0.0.0:8443
//	  tls:
//	    certFile: /etc/tunduk/tls/gateway.crt
//	    keyFile: /etc/tunduk/tls/gateway.key
//	    clientCAFile: /etc/tunduk/tls/portal-ca.crt
//	  callers:
//	    - name: zakupki-portal
//	      apiKeyFile: /etc/tunduk/keys/zakupki-portal.key
//	      checks: [tax-debt, social-fund-debt, founders, criminal-record]
//	      requestsPerSecond: 20
//	      burst: 40
//	      maxConcurrentChecks: 64
//	    - name: audit
//	      certSubject: CN=audit.zakupki.gov.kg,O=State Procurement Department,C=KG
//	      checks: [founders]
//	  mappingsDir: /etc/tunduk/mappings
type Gateway struct {
	// Listen is the host:port of the portal API.
	Listen string `yaml:"listen"`
	// OpsListen, when set, serves /metrics, /healthz and /readyz on a
	// separate host:port (e.g. 127.0.0.1:9464) instead of Listen.
	OpsListen string `yaml:"opsListen"`
	// TLS is the server certificate and the CA for caller certificates.
	// Without certFile the API is plain HTTP, which is allowed only on a
	// loopback address.
	TLS GatewayTLS `yaml:"tls"`
	// Callers are the portal systems allowed to call the API.
	Callers []Caller `yaml:"callers"`
	// MappingsDir holds one YAML mapping per check (*.yaml); Mappings
	// lists files instead. Exactly one of the two is set.
	MappingsDir string   `yaml:"mappingsDir"`
	Mappings    []string `yaml:"mappings"`
	// Journal is deprecated and ignored: the JSON-lines journal is gone and
	// every exchange is recorded in the signed message log (messageLog).
	// tunduk config check warns where it is still set.
	Journal string `yaml:"journal"`
	// MaxInFlight bounds checks running at once; more get 503.
	MaxInFlight int `yaml:"maxInFlight"`
	// MaxBodyBytes bounds a POST body.
	MaxBodyBytes int64 `yaml:"maxBodyBytes"`
	// ShutdownTimeout is how long a graceful shutdown waits for in-flight
	// checks.
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout"`
	// ReadyInterval is how often /readyz re-checks that the security server
	// answers (listClients); results are cached in between.
	ReadyInterval time.Duration `yaml:"readyInterval"`
	// MaxSuppliers bounds the suppliers of one POST /v1/tender-checks.
	MaxSuppliers int `yaml:"maxSuppliers"`
	// TenderConcurrency bounds the checks one batch or tender check runs at
	// once (each caller's maxConcurrentChecks bounds it further).
	TenderConcurrency int `yaml:"tenderConcurrency"`
	// IdempotencyWindow is how long a POST's answer is kept for retries
	// with the same Idempotency-Key.
	IdempotencyWindow time.Duration `yaml:"idempotencyWindow"`
}

// GatewayTLS is the gateway's own TLS material. Paths are relative to the
// configuration file's directory.
type GatewayTLS struct {
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
	// ClientCAFile verifies callers' client certificates (PEM bundle);
	// needed for callers identified by certSubject.
	ClientCAFile string `yaml:"clientCAFile"`
}

// Caller is one portal system allowed to call the gateway. It
// authenticates with an API key (Authorization: Bearer KEY or X-API-Key),
// a TLS client certificate whose subject equals CertSubject, or either.
type Caller struct {
	Name string `yaml:"name"`
	// APIKeyFile holds the caller's API key (one line, at least 32
	// characters); the file should be mode 0600.
	APIKeyFile string `yaml:"apiKeyFile"`
	// APIKey is the key inline; prefer APIKeyFile. Never logged.
	APIKey Secret `yaml:"apiKey"`
	// CertSubject is the client certificate subject in RFC 2253 form,
	// e.g. "CN=portal.zakupki.gov.kg,O=State Procurement Department,C=KG".
	CertSubject string `yaml:"certSubject"`
	// Checks are the checks this caller may run; "*" allows all.
	Checks []string `yaml:"checks"`
	// RequestsPerSecond and Burst rate-limit the caller's requests (token
	// bucket; 0 = unlimited); beyond them the caller gets 429 with
	// Retry-After.
	RequestsPerSecond float64 `yaml:"requestsPerSecond"`
	Burst             int     `yaml:"burst"`
	// MaxConcurrentChecks bounds the caller's checks in flight (0 = only
	// gateway.maxInFlight applies).
	MaxConcurrentChecks int `yaml:"maxConcurrentChecks"`
}

// DefaultGateway returns the section's defaults.
func DefaultGateway() Gateway {
	return Gateway{
		Listen:          "127.0.0.1:8088",
		MaxInFlight:     2048,
		MaxBodyBytes:    64 << 10,
		ShutdownTimeout: 30 * time.Second,
		ReadyInterval:   10 * time.Second,
		// A tender has a few dozen bidders; 50 × 4 checks stay well within
		// maxBodyBytes.
		MaxSuppliers:      50,
		TenderConcurrency: 16,
		IdempotencyWindow: 24 * time.Hour,
	}
}

// MinAPIKeyLen is the shortest API key accepted.
const MinAPIKeyLen = 32

// Validate reports problems in the section.
func (c *Gateway) Validate(is *Issues) {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		is.Addf("gateway.listen", "%q is not host:port, e.g. 0.0.0.0:8443", c.Listen)
	} else if c.TLS.CertFile == "" && !isLoopback(host) {
		is.Addf("gateway.listen", "plain HTTP is allowed on loopback only; set gateway.tls.certFile/keyFile or listen on 127.0.0.1")
	}
	if c.OpsListen != "" {
		if _, _, err := net.SplitHostPort(c.OpsListen); err != nil {
			is.Addf("gateway.opsListen", "%q is not host:port, e.g. 127.0.0.1:9464", c.OpsListen)
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		is.Addf("gateway.tls", "certFile and keyFile go together; set both or neither")
	}
	if c.TLS.ClientCAFile != "" && c.TLS.CertFile == "" {
		is.Addf("gateway.tls.clientCAFile", "client certificates need TLS: set certFile and keyFile too")
	}
	if !c.Configured() {
		return // the file configures other things; tunduk serve refuses to start without a gateway
	}
	if len(c.Callers) == 0 {
		is.Addf("gateway.callers", "no callers: add at least one portal system with apiKeyFile or certSubject and its checks")
	}
	names := map[string]bool{}
	subjects := map[string]bool{}
	known := checks.Names()
	for i, cl := range c.Callers {
		at := fmt.Sprintf("gateway.callers[%d]", i)
		if cl.Name == "" {
			is.Addf(at+".name", "missing; name the caller (it appears in logs, metrics and the journal)")
		} else if names[cl.Name] {
			is.Addf(at+".name", "duplicate caller name %q", cl.Name)
		}
		names[cl.Name] = true
		if cl.APIKeyFile == "" && cl.APIKey == "" && cl.CertSubject == "" {
			is.Addf(at, "caller %q has no credential; set apiKeyFile or certSubject", cl.Name)
		}
		if cl.APIKeyFile != "" && cl.APIKey != "" {
			is.Addf(at+".apiKey", "set apiKeyFile or apiKey, not both")
		}
		if cl.APIKey != "" && len(cl.APIKey.Value()) < MinAPIKeyLen {
			is.Addf(at+".apiKey", "too short; use at least %d random characters (openssl rand -hex 32)", MinAPIKeyLen)
		}
		if cl.CertSubject != "" {
			if c.TLS.ClientCAFile == "" {
				is.Addf(at+".certSubject", "certificate callers need gateway.tls.clientCAFile to verify their certificates")
			}
			if subjects[cl.CertSubject] {
				is.Addf(at+".certSubject", "two callers have the subject %q", cl.CertSubject)
			}
			subjects[cl.CertSubject] = true
		}
		if len(cl.Checks) == 0 {
			is.Addf(at+".checks", "no checks allowed; list some of %s, or \"*\"", strings.Join(known, ", "))
		}
		if cl.RequestsPerSecond < 0 {
			is.Addf(at+".requestsPerSecond", "must not be negative; 0 means no rate limit, e.g. 20")
		}
		if cl.Burst < 0 {
			is.Addf(at+".burst", "must not be negative; 0 means ceil(requestsPerSecond)")
		}
		if cl.MaxConcurrentChecks < 0 {
			is.Addf(at+".maxConcurrentChecks", "must not be negative; 0 means only gateway.maxInFlight applies")
		}
		for j, ch := range cl.Checks {
			if _, ok := checks.Lookup(ch); !ok && ch != "*" {
				is.Addf(fmt.Sprintf("%s.checks[%d]", at, j), "unknown check %q; known: %s", ch, strings.Join(known, ", "))
			}
		}
	}
	if (c.MappingsDir == "") == (len(c.Mappings) == 0) {
		is.Addf("gateway.mappingsDir", "set mappingsDir (a directory of *.yaml mappings) or mappings (a list of files), exactly one")
	}
	if c.MaxInFlight < 1 {
		is.Addf("gateway.maxInFlight", "must be at least 1")
	}
	if c.MaxBodyBytes < 1024 {
		is.Addf("gateway.maxBodyBytes", "must be at least 1024")
	}
	if c.ShutdownTimeout <= 0 {
		is.Addf("gateway.shutdownTimeout", "must be positive, e.g. 30s")
	}
	if c.ReadyInterval <= 0 {
		is.Addf("gateway.readyInterval", "must be positive, e.g. 10s")
	}
	if c.MaxSuppliers < 1 {
		is.Addf("gateway.maxSuppliers", "must be at least 1, e.g. 50")
	}
	if c.TenderConcurrency < 1 {
		is.Addf("gateway.tenderConcurrency", "must be at least 1, e.g. 16")
	}
	if c.IdempotencyWindow <= 0 {
		is.Addf("gateway.idempotencyWindow", "must be positive, e.g. 24h")
	}
}

// Configured reports whether the file configures the gateway at all
// (callers or mappings); a configuration for other commands may omit it,
// and Validate then checks only what is set.
func (c *Gateway) Configured() bool {
	return len(c.Callers) > 0 || c.MappingsDir != "" || len(c.Mappings) > 0
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
