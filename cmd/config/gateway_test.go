package config

import (
	"strings"
	"testing"
)

const okGateway = `gateway:
  listen: 127.0.0.1:8088
  callers:
    - name: portal
      apiKeyFile: /etc/tunduk/keys/portal.key
      checks: [tax-debt, founders]
  mappingsDir: /etc/tunduk/mappings
`

func TestGatewayValid(t *testing.T) {
	cfg, err := Parse("ok.yaml", []byte(okGateway))
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Gateway
	if g.MaxInFlight != 2048 || g.ShutdownTimeout.Seconds() != 30 || len(g.Callers) != 1 || g.Callers[0].Checks[1] != "founders" {
		t.Errorf("gateway = %+v", g)
	}
}

func TestGatewayProblems(t *testing.T) {
	checkRefusals(t, "x.yaml", []refusal{
		{"plain http off loopback", strings.Replace(okGateway, "127.0.0.1:8088", "0.0.0.0:8088", 1), "x.yaml:2: gateway.listen: plain HTTP is allowed on loopback only"},
		{"unknown check", strings.Replace(okGateway, "founders]", "passport]", 1), `x.yaml:6: gateway.callers[0].checks[1]: unknown check "passport"`},
		{"no credential", strings.Replace(okGateway, "      apiKeyFile: /etc/tunduk/keys/portal.key\n", "", 1), `x.yaml:4: gateway.callers[0]: caller "portal" has no credential`},
		{"short key", strings.Replace(okGateway, "apiKeyFile: /etc/tunduk/keys/portal.key", "apiKey: short", 1), "x.yaml:5: gateway.callers[0].apiKey: too short"},
		{"cert without CA", strings.Replace(okGateway, "apiKeyFile: /etc/tunduk/keys/portal.key", "certSubject: CN=portal", 1), "gateway.callers[0].certSubject: certificate callers need gateway.tls.clientCAFile"},
		{"both mapping sources", okGateway + "  mappings: [a.yaml]\n", "gateway.mappingsDir: set mappingsDir"},
		{"no callers", "gateway:\n  mappingsDir: m\n", "gateway.callers: no callers"},
		{"mappings missing", strings.Replace(okGateway, "  mappingsDir: /etc/tunduk/mappings\n", "", 1), "gateway.mappingsDir: set mappingsDir"},
		{"unknown key", okGateway + "  colour: red\n", "x.yaml:8: gateway.colour: unknown key; remove it, or use one of: callers,"},
	})
}
