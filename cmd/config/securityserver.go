package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/soap"
)

// SecurityServer is how tunduk reaches the participant's own security server
// (SS) as an information system: the SS's consumer endpoint, the TLS material
// for "HTTPS with a client certificate" (the X-Road 7.4 default), the
// participant's client subsystem, and the resilience settings of the client
// in adapter/ssclient.
//
//	securityServer:
//	  url: https://ss.example.kg:8443
//	  client: central-server/GOV/70000099/zakupki
//	  tls:
//	    certFile: /etc/tunduk/tls/is-client.crt
//	    keyFile: /etc/tunduk/tls/is-client.key
//	    serverCertFile: /etc/tunduk/tls/ss-internal.crt
//	  timeout: 30s
//	  maxConcurrent: 64
//	  userIdPrefix: KG
type SecurityServer struct {
	// URL of the SS consumer endpoint, http:// or https://.
	URL string `yaml:"url"`
	// Client is the participant's subsystem that sends requests, in the
	// slash form instance/class/member/subsystem.
	Client string `yaml:"client"`
	// TLS holds the client certificate and how the SS is trusted; required
	// for https:// URLs.
	TLS SecurityServerTLS `yaml:"tls"`
	// Timeout is the default per-call timeout (a service may override it).
	Timeout time.Duration `yaml:"timeout"`
	// MaxConcurrent bounds the requests in flight to the SS.
	MaxConcurrent int `yaml:"maxConcurrent"`
	// Retry configures retries of requests that cannot have reached a
	// provider (connection refused) and of idempotent metaservices.
	Retry SecurityServerRetry `yaml:"retry"`
	// Breaker configures the per-service circuit breaker.
	Breaker SecurityServerBreaker `yaml:"breaker"`
	// UserIDPrefix is prepended to the officer's PIN to form X-Road userId,
	// e.g. "KG" gives "KG21504199000123". Empty sends the PIN as is.
	UserIDPrefix string `yaml:"userIdPrefix"`
}

// SecurityServerTLS is the TLS material used for an https:// SS URL. Paths
// are relative to the configuration file's directory.
type SecurityServerTLS struct {
	// CertFile and KeyFile are the information system's client certificate
	// and key (PEM) registered on the SS for this client subsystem.
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
	// CAFile verifies the SS certificate against a CA (PEM bundle).
	CAFile string `yaml:"caFile"`
	// ServerCertFile pins the SS's internal TLS certificate (PEM), as
	// exported from the SS UI; the usual choice because the SS certificate is
	// self-signed. The host name is not checked when pinning.
	ServerCertFile string `yaml:"serverCertFile"`
}

// SecurityServerRetry configures retries with exponential backoff and jitter.
type SecurityServerRetry struct {
	MaxAttempts    int           `yaml:"maxAttempts"`    // total attempts including the first; 1 disables retries
	InitialBackoff time.Duration `yaml:"initialBackoff"` // first wait; doubled each retry
	MaxBackoff     time.Duration `yaml:"maxBackoff"`     // upper bound of one wait
}

// SecurityServerBreaker configures the per-service circuit breaker.
type SecurityServerBreaker struct {
	FailureThreshold int           `yaml:"failureThreshold"` // consecutive failures that open the breaker
	OpenFor          time.Duration `yaml:"openFor"`          // how long it stays open before a trial call
	HalfOpenMax      int           `yaml:"halfOpenMax"`      // trial calls allowed while half-open
}

// DefaultSecurityServer returns the section's defaults: a local SS over
// plain HTTP, 30 s timeout, 64 concurrent requests, 3 attempts for safe
// retries, a breaker opening after 5 consecutive failures for 30 s.
func DefaultSecurityServer() SecurityServer {
	return SecurityServer{
		URL:           "http://127.0.0.1:8080",
		Timeout:       30 * time.Second,
		MaxConcurrent: 64,
		Retry:         SecurityServerRetry{MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second},
		Breaker:       SecurityServerBreaker{FailureThreshold: 5, OpenFor: 30 * time.Second, HalfOpenMax: 1},
	}
}

// Validate reports problems in the section.
func (c *SecurityServer) Validate(is *Issues) {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		is.Addf("securityServer.url", "missing; set the security server's consumer URL, e.g. https://ss.example.kg:8443")
	case err != nil || u.Host == "":
		is.Addf("securityServer.url", "%q is not an absolute URL; use http://host:port or https://host:port", c.URL)
	case u.Scheme == "https":
		if c.TLS.CertFile == "" || c.TLS.KeyFile == "" {
			is.Addf("securityServer.tls", "https needs the client certificate: set certFile and keyFile (the IS certificate registered on the SS)")
		}
		if c.TLS.CAFile == "" && c.TLS.ServerCertFile == "" {
			is.Addf("securityServer.tls", "https needs a way to trust the SS: set serverCertFile (the SS internal TLS certificate) or caFile")
		}
	case u.Scheme != "http":
		is.Addf("securityServer.url", "scheme %q not supported; use http or https", u.Scheme)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		is.Addf("securityServer.tls", "certFile and keyFile go together; set both or neither")
	}
	if c.Client != "" {
		id, err := soap.ParseClientID(c.Client)
		if err != nil || id.SubsystemCode == "" {
			is.Addf("securityServer.client", "%q is not a subsystem id; use instance/class/member/subsystem, e.g. central-server/GOV/70000099/zakupki", c.Client)
		}
	}
	if c.Timeout <= 0 {
		is.Addf("securityServer.timeout", "must be positive, e.g. 30s")
	}
	if c.MaxConcurrent < 1 {
		is.Addf("securityServer.maxConcurrent", "must be at least 1")
	}
	if c.Retry.MaxAttempts < 1 {
		is.Addf("securityServer.retry.maxAttempts", "must be at least 1 (1 disables retries)")
	}
	if c.Retry.InitialBackoff < 0 || c.Retry.MaxBackoff < c.Retry.InitialBackoff {
		is.Addf("securityServer.retry", "backoffs must be non-negative with maxBackoff ≥ initialBackoff")
	}
	if c.Breaker.FailureThreshold < 1 {
		is.Addf("securityServer.breaker.failureThreshold", "must be at least 1")
	}
	if c.Breaker.OpenFor <= 0 {
		is.Addf("securityServer.breaker.openFor", "must be positive, e.g. 30s")
	}
	if c.Breaker.HalfOpenMax < 1 {
		is.Addf("securityServer.breaker.halfOpenMax", "must be at least 1")
	}
	if strings.ContainsAny(c.UserIDPrefix, " \t/:") {
		is.Addf("securityServer.userIdPrefix", "%q must not contain spaces, ':' or '/'", c.UserIDPrefix)
	}
}

// ClientOptions turns the section into adapter/ssclient options, reading
// the TLS files. The logger may be nil.
func (c *SecurityServer) ClientOptions(log *zap.Logger) (ssclient.Options, error) {
	o := ssclient.Options{
		URL:           c.URL,
		Timeout:       c.Timeout,
		MaxConcurrent: c.MaxConcurrent,
		Retry:         ssclient.RetryOptions{MaxAttempts: c.Retry.MaxAttempts, InitialBackoff: c.Retry.InitialBackoff, MaxBackoff: c.Retry.MaxBackoff},
		Breaker:       ssclient.BreakerOptions{FailureThreshold: c.Breaker.FailureThreshold, OpenFor: c.Breaker.OpenFor, HalfOpenMax: c.Breaker.HalfOpenMax},
		Logger:        log,
	}
	if c.Client != "" {
		id, err := soap.ParseClientID(c.Client)
		if err != nil {
			return o, fmt.Errorf("config: securityServer.client: %w", err)
		}
		o.Client = id
	}
	if !strings.HasPrefix(c.URL, "https://") {
		return o, nil
	}
	cfg, err := c.TLS.Config()
	if err != nil {
		return o, err
	}
	o.TLSConfig = cfg
	return o, nil
}

// Config builds the TLS client configuration: the client certificate, and
// trust in the SS through the CA bundle or the pinned certificate.
func (t SecurityServerTLS) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("config: securityServer.tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if t.CAFile != "" {
		b, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("config: securityServer.tls.caFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("config: securityServer.tls.caFile %s: no PEM certificates", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.ServerCertFile != "" {
		b, err := os.ReadFile(t.ServerCertFile)
		if err != nil {
			return nil, fmt.Errorf("config: securityServer.tls.serverCertFile: %w", err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("config: securityServer.tls.serverCertFile %s: not a PEM certificate", t.ServerCertFile)
		}
		pinned := blk.Bytes
		// Pinning replaces chain and host-name verification: the SS's
		// internal certificate is self-signed and names the SS's own host.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, pinned) {
				return errors.New("security server certificate does not match securityServer.tls.serverCertFile")
			}
			return nil
		}
	}
	return cfg, nil
}
