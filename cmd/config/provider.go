package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/soap"
)

// Provider serves the participant's own backend as a Tunduk provider: the
// security server calls Listen with X-Road requests, and each service maps
// onto a backend JSON endpoint (package internal/adapter/provider). Leave Listen empty
// to run no provider.
//
//	provider:
//	  listen: 127.0.0.1:8081
//	  id: central-server/GOV/70000001/zakupki-registry
//	  allowFrom: [127.0.0.1]              # only the security server
//	  services:
//	    - code: getSupplierStatus         # described in the catalog: typed inputs, answers as its WSDL
//	      version: v1
//	      backend: https://registry.internal/api/suppliers/{inn}
//	      required: [inn]
//	      timeout: 10s
//	    - code: GetCertificate            # an existing WCF service, repaired for X-Road
//	      version: v1
//	      backend: http://legacy.internal/Service.svc
//	      soapBackend: true
//	      renameWrapper: true
//	    - code: unreliableSupplier        # PR-REST: /r1/<service id>/unreliable-suppliers/{inn}
//	      rest: true
//	      backend: https://registry.internal/api/v1
//	    - code: getSupplierInfo           # from PostgreSQL
//	      version: v1
//	      postgres: {dsnFile: /etc/tunduk/keys/registry.dsn, query: "SELECT …  WHERE inn = $1", args: [inn]}
type Provider struct {
	// Listen is the host:port the security server posts to; "" disables
	// the provider.
	Listen string `yaml:"listen"`
	// TLS, when certFile is set, serves HTTPS and, with clientCAFile,
	// requires the security server's internal TLS certificate.
	TLS GatewayTLS `yaml:"tls"`
	// ID is the member or subsystem served, e.g.
	// central-server/GOV/70000001/zakupki-registry.
	ID string `yaml:"id"`
	// Journal is deprecated and ignored, as gateway.journal: exchanges are
	// recorded in the signed message log (messageLog).
	Journal string `yaml:"journal"`
	// Services are the X-Road services offered.
	Services []ProviderService `yaml:"services"`
	// URL is the address the security server calls, which `tunduk catalog
	// apply` registers as each provided service's address; default
	// http(s)://LISTEN when listen names a host.
	URL string `yaml:"url"`
	// AllowFrom lists the addresses (IPs or CIDRs) the security server
	// connects from; anything else gets 403 and a log line.
	AllowFrom []string `yaml:"allowFrom"`
	// SecurityServerCertFile pins the security server's internal TLS
	// certificate (PEM, exported from its UI): requests must present it as
	// their client certificate. Needs tls.certFile.
	SecurityServerCertFile string `yaml:"securityServerCertFile"`
}

// Serves reports whether the provider serves a catalog service: same
// subsystem as provider.id, same code (and version, for SOAP).
func (c *Provider) Serves(s *catalog.Service) bool {
	id, err := soap.ParseClientID(c.ID)
	if err != nil || id.SubsystemCode != s.Subsystem {
		return false
	}
	for _, ps := range c.Services {
		if ps.Code == s.Code && (ps.REST || ps.Version == "" || ps.Version == s.Version) {
			return true
		}
	}
	return false
}

// ServiceURL returns the address the security server must call for the
// provider (URL, or one derived from Listen and TLS), "" when none can be
// derived (listen on all interfaces without url).
func (c *Provider) ServiceURL() string {
	if c.URL != "" {
		return strings.TrimRight(c.URL, "/")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		return ""
	}
	scheme := "http"
	if c.TLS.CertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// ProviderService maps one X-Road service onto a backend endpoint.
type ProviderService struct {
	Code        string        `yaml:"code"`
	Version     string        `yaml:"version"`
	Namespace   string        `yaml:"namespace"`
	Backend     string        `yaml:"backend"`
	Method      string        `yaml:"method"`
	Params      []string      `yaml:"params"`
	Required    []string      `yaml:"required"`
	EchoRequest bool          `yaml:"echoRequest"`
	Timeout     time.Duration `yaml:"timeout"`
	// SOAPBackend: backend is an existing SOAP service that gets the
	// request as it came; its answer is repaired for X-Road (header echo,
	// wrapper name). StripHeader removes the X-Road header from what it
	// gets; RenameWrapper renames its answer's wrapper to <code>Response.
	// REST serves a PR-REST service: backend is a base URL to which the
	// request's path below the service id is appended.
	REST        bool `yaml:"rest"`
	SOAPBackend bool `yaml:"soapBackend"`
	// Postgres answers from a parameterised PostgreSQL query instead of
	// an HTTP backend (leave backend empty).
	Postgres      *ProviderPostgres `yaml:"postgres"`
	StripHeader   bool              `yaml:"stripHeader"`
	RenameWrapper bool              `yaml:"renameWrapper"`
}

// ProviderPostgres is a PostgreSQL backend: the DSN (with its password)
// in a file, never inline, and one parameterised query whose row
// (row_to_json) is the answer. Connect with a read-only role.
//
//	postgres:
//	  dsnFile: /etc/tunduk/keys/registry-db.dsn   # postgres://reader:…@db:5432/registry
//	  query: SELECT true AS found, json_build_object('inn', inn, 'name', name) AS supplier FROM suppliers WHERE inn = $1
//	  args: [inn]
type ProviderPostgres struct {
	DSNFile string   `yaml:"dsnFile"`
	Query   string   `yaml:"query"`
	Args    []string `yaml:"args"`
}

// DefaultProvider returns the section's defaults (no provider).
func DefaultProvider() Provider {
	return Provider{}
}

// Validate reports problems in the provider section.
func (c *Provider) Validate(is *Issues) {
	if c.Listen == "" {
		return
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		is.Addf("provider.listen", "%q is not host:port (e.g. 127.0.0.1:8081)", c.Listen)
	}
	if id, err := soap.ParseClientID(c.ID); err != nil {
		is.Addf("provider.id", "%v; write it as INSTANCE/CLASS/MEMBER/SUBSYSTEM", err)
	} else if id.SubsystemCode == "" {
		is.Addf("provider.id", "%s names a member; services are provided by a subsystem (INSTANCE/CLASS/MEMBER/SUBSYSTEM)", id)
	}
	if len(c.Services) == 0 {
		is.Addf("provider.services", "no services: list at least one or remove provider.listen")
	}
	if c.SecurityServerCertFile != "" && c.TLS.CertFile == "" {
		is.Addf("provider.securityServerCertFile", "a pinned client certificate needs TLS: set provider.tls.certFile and keyFile")
	}
	if _, err := provider.ParseAllowFrom(c.AllowFrom); err != nil {
		is.Addf("provider.allowFrom", "%v", err)
	}
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			is.Addf("provider.url", "%q is not an http(s) URL", c.URL)
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		is.Addf("provider.tls", "set both certFile and keyFile, or neither")
	}
	seen := map[string]bool{}
	for i, s := range c.Services {
		p := "provider.services[" + strconv.Itoa(i) + "]"
		id := soap.ServiceID{ClientID: soap.ClientID{Instance: "i", MemberClass: "c", MemberCode: "m"}, ServiceCode: s.Code, ServiceVersion: s.Version}
		if err := id.Validate(); err != nil {
			is.Addf(p+".code", "%v", err)
		}
		if seen[s.Code+"/"+s.Version] {
			is.Addf(p+".code", "service %s %s is listed twice", s.Code, s.Version)
		}
		seen[s.Code+"/"+s.Version] = true
		if s.Postgres != nil {
			if s.Backend != "" || s.REST || s.SOAPBackend {
				is.Addf(p+".postgres", "a PostgreSQL service has no backend URL and is neither rest nor soapBackend")
			}
			if s.Postgres.DSNFile == "" || strings.TrimSpace(s.Postgres.Query) == "" {
				is.Addf(p+".postgres", "set dsnFile (the connection string in a file) and query")
			}
		} else if err := provider.CheckBackend(s.Backend); err != nil {
			is.Addf(p+".backend", "%v", err)
		} else if (s.SOAPBackend || s.REST) && strings.Contains(s.Backend, "{") {
			is.Addf(p+".backend", "a SOAP or REST backend gets the request's own path and body; remove the {placeholders}")
		}
		if (s.StripHeader || s.RenameWrapper) && !s.SOAPBackend {
			is.Addf(p+".soapBackend", "stripHeader and renameWrapper need soapBackend: true")
		}
		switch strings.ToUpper(s.Method) {
		case "", "GET", "POST":
		default:
			is.Addf(p+".method", "%q: use GET or POST", s.Method)
		}
		if s.Timeout < 0 {
			is.Addf(p+".timeout", "must not be negative")
		}
	}
}
