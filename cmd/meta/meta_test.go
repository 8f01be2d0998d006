package meta_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/cmd/meta"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// run executes `tunduk meta ARGS…` with buffer IO.
func run(t *testing.T, args ...string) (string, string, cli.ExitCode) {
	t.Helper()
	f, _ := clitest.New()
	return clitest.Run(f, meta.NewCmdMeta(f), args...).Streams()
}

func TestMetaAgainstTheEmulatorOverTLS(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{TLS: true})
	dir := t.TempDir()
	files, err := xroadtest.WriteTLSFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Connection from a config file, pinning the SS certificate.
	cfg := filepath.Join(dir, "tunduk.yaml")
	os.WriteFile(cfg, []byte("securityServer:\n  url: "+ss.URL+"\n  client: "+fixtures.PortalClient.String()+
		"\n  tls:\n    certFile: "+files.CertFile+"\n    keyFile: "+files.KeyFile+"\n    serverCertFile: "+files.ServerCertFile+"\n"), 0o600)

	out, errOut, code := run(t, "list-clients", "--config", cfg)
	if code != cli.ExitOK || !strings.Contains(out, "SUBSYSTEM\tcentral-server/GOV/70000002/gns-service\tГосударственная налоговая служба") {
		t.Errorf("list-clients: %d %s %s", code, out, errOut)
	}
	out, errOut, code = run(t, "list-methods", "--config", cfg, "central-server/GOV/70000002/gns-service")
	if code != cli.ExitOK || strings.TrimSpace(out) != fixtures.TaxDebtService.String()+"\tSOAP" {
		t.Errorf("list-methods: %d %q %s", code, out, errOut)
	}
	out, _, code = run(t, "allowed-methods", "--config", cfg, "--rest", "central-server/GOV/70000024/minjust-inn-services")
	if code != cli.ExitOK || !strings.Contains(out, "founders\tOPENAPI") || !strings.Contains(out, "GET /{inn}") {
		t.Errorf("allowed-methods --rest: %d %q", code, out)
	}
	out, _, code = run(t, "get-wsdl", "--config", cfg, fixtures.TaxDebtService.String())
	if code != cli.ExitOK || !strings.Contains(out, `<wsdl:operation name="getTaxArrearsByINN">`) {
		t.Errorf("get-wsdl: %d %.300s", code, out)
	}
	out, _, code = run(t, "get-openapi", "--config", cfg, fixtures.FoundersService.String())
	if code != cli.ExitOK || !strings.Contains(out, "/{inn}:") {
		t.Errorf("get-openapi: %d %.300s", code, out)
	}

	// Flags alone, trusting the CA; another client subsystem sees nothing allowed.
	out, errOut, code = run(t, "allowed-methods", "--url", ss.URL, "--client", "central-server/COM/60000001/other",
		"--cert", files.CertFile, "--key", files.KeyFile, "--ca", files.CAFile, fixtures.TaxDebtService.Provider().String())
	if code != cli.ExitOK || out != "" {
		t.Errorf("allowed-methods as a stranger: %d %q %s", code, out, errOut)
	}
	// A pinned certificate that is not the SS's: refused on our side.
	_, errOut, code = run(t, "list-clients", "--url", ss.URL, "--client", fixtures.PortalClient.String(),
		"--cert", files.CertFile, "--key", files.KeyFile, "--server-cert", files.CAFile)
	if code != cli.ExitFailure || !strings.Contains(errOut, "does not match") {
		t.Errorf("wrong pinned cert: %d %s", code, errOut)
	}
	// Without the client certificate: refused before connecting (the config
	// rules require one for https; the TLS refusal itself is tested in
	// adapter/ssclient).
	_, errOut, code = run(t, "list-clients", "--url", ss.URL, "--client", fixtures.PortalClient.String(), "--ca", files.CAFile)
	if code != cli.ExitFailure || !strings.Contains(errOut, "https needs the client certificate") {
		t.Errorf("no client cert: %d %s", code, errOut)
	}
}

func TestMetaUsageAndFailures(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	conn := []string{"--url", ss.URL, "--client", fixtures.PortalClient.String()}
	tests := []struct {
		args []string
		code cli.ExitCode
		want string
	}{
		{[]string{"list-methods", "not/an/id/with/too/many/parts/x"}, cli.ExitUsage, "PROVIDER"},
		{[]string{"get-wsdl"}, cli.ExitUsage, "want SERVICE, got 0"},
		{append([]string{"get-wsdl", "central-server/GOV/70000002/gns-service/nope/v1"}, conn...), cli.ExitFailure, "Server.ServerProxy.UnknownService"},
		{[]string{"list-clients", "--url", "ftp://x"}, cli.ExitFailure, "securityServer.url"},
		{[]string{"list-clients", "--url", ss.URL}, cli.ExitFailure, "no client subsystem"},
		{append([]string{"list-clients", "-o", "json"}, conn...), cli.ExitOK, `"type": "SUBSYSTEM"`},
	}
	for _, tt := range tests {
		out, errOut, code := run(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d (want %d), output %q %q, want %q", tt.args, code, tt.code, out, errOut, tt.want)
		}
	}
}
