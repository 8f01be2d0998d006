package config

import (
	"testing"
)

func TestProviderSectionProblemsHaveLines(t *testing.T) {
	yaml := `provider:
  listen: 127.0.0.1:8081
  id: central-server/GOV/70000001
  services:
    - code: getSupplier
      backend: https://registry.internal/suppliers/{inn}
    - code: get/Supplier
      backend: ftp://x
      method: DELETE
`
	checkProblems(t, "p.yaml", yaml,
		"p.yaml:3: provider.id:",
		"p.yaml:7: provider.services[1].code:",
		"p.yaml:8: provider.services[1].backend:",
		"p.yaml:9: provider.services[1].method:",
	)
}

func TestProviderDisabledByDefault(t *testing.T) {
	cfg, err := Parse("p.yaml", []byte("provider:\n  journal: /tmp/j\n"))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if cfg.Provider.Listen != "" {
		t.Errorf("provider enabled by default: %+v", cfg.Provider)
	}
}

func TestProviderBackendKindsAndGuardChecked(t *testing.T) {
	yaml := `provider:
  listen: 0.0.0.0:8081
  id: central-server/GOV/70000001/registry
  allowFrom: [10.0.0.1, not-an-ip]
  securityServerCertFile: /etc/tunduk/tls/ss.crt
  services:
    - code: a
      backend: https://{host}/x
    - code: b
      backend: http://legacy/{inn}
      soapBackend: true
    - code: c
      backend: http://x/
      stripHeader: true
    - code: d
      backend: http://x/
      postgres: {dsnFile: /k, query: SELECT 1}
    - code: e
      backend: http://x/y?{k}=1
`
	checkProblems(t, "p.yaml", yaml,
		"provider.allowFrom:",
		"provider.securityServerCertFile:",
		"provider.services[0].backend:",
		"provider.services[1].backend:",
		"provider.services[2].soapBackend:",
		"provider.services[3].postgres:",
		"provider.services[4].backend:",
	)
	p := Provider{Listen: "0.0.0.0:8081"}
	if p.ServiceURL() != "" {
		t.Error("a URL was derived from a listen address on every interface")
	}
	p = Provider{Listen: "127.0.0.1:8081", TLS: GatewayTLS{CertFile: "c", KeyFile: "k"}}
	if got := p.ServiceURL(); got != "https://127.0.0.1:8081" {
		t.Errorf("ServiceURL = %q", got)
	}
}
