package config

import (
	"testing"
	"time"
)

func TestSecurityServerDefaultsAndDurations(t *testing.T) {
	cfg, err := Parse("ss.yaml", []byte("securityServer:\n  url: http://ss.local:8080\n  client: central-server/GOV/70000099/zakupki\n  timeout: 7s\n  breaker:\n    openFor: 1m\n"))
	if err != nil {
		t.Fatal(err)
	}
	ss := cfg.SecurityServer
	if ss.Timeout != 7*time.Second || ss.Breaker.OpenFor != time.Minute {
		t.Errorf("durations not decoded: %+v", ss)
	}
	if ss.MaxConcurrent != 64 || ss.Retry.MaxAttempts != 3 || ss.Breaker.FailureThreshold != 5 {
		t.Errorf("defaults lost when the section is partly set: %+v", ss)
	}
}

func TestSecurityServerValidate(t *testing.T) {
	checkRefusals(t, "ss.yaml", []refusal{
		{"https without cert", "securityServer:\n  url: https://ss:8443\n", "ss.yaml:1: securityServer.tls: https needs the client certificate"},
		{"https without trust", "securityServer:\n  url: https://ss:8443\n  tls:\n    certFile: c.pem\n    keyFile: k.pem\n", "https needs a way to trust the SS"},
		{"scheme", "securityServer:\n  url: ftp://ss\n", "ss.yaml:2: securityServer.url: scheme \"ftp\""},
		{"client", "securityServer:\n  client: central-server/GOV/70000099\n", "ss.yaml:2: securityServer.client: \"central-server/GOV/70000099\" is not a subsystem id"},
		{"half a keypair", "securityServer:\n  tls:\n    certFile: c.pem\n", "certFile and keyFile go together"},
		{"timeout", "securityServer:\n  timeout: 0s\n", "securityServer.timeout: must be positive"},
		{"backoff order", "securityServer:\n  retry:\n    initialBackoff: 2s\n    maxBackoff: 1s\n", "maxBackoff ≥ initialBackoff"},
	})
}
