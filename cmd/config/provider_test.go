package config

import (
	"strings"
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
	_, err := Parse("p.yaml", []byte(yaml))
	if err == nil {
		t.Fatal("Parse accepted an invalid provider section")
	}
	for _, want := range []string{
		"p.yaml:3: provider.id:",
		"p.yaml:7: provider.services[1].code:",
		"p.yaml:8: provider.services[1].backend:",
		"p.yaml:9: provider.services[1].method:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
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
