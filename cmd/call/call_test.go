package call_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/call"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

func run(t *testing.T, stdin string, runF func(*call.CallOptions) error, args ...string) (string, string, cli.ExitCode) {
	t.Helper()
	f, s := clitest.New()
	s.In.WriteString(stdin)
	return clitest.Run(f, call.NewCmdCall(f, runF), args...).Streams()
}

func TestCallFlags(t *testing.T) {
	tests := []struct {
		args []string
		code cli.ExitCode
		want call.CallOptions
	}{
		{[]string{fixtures.TaxDebtService.String(), "--body", "b.xml", "--user-id", "KG1", "--issue", "t-1", "--namespace", "urn:x"}, cli.ExitOK,
			call.CallOptions{Service: fixtures.TaxDebtService, BodyFile: "b.xml", UserID: "KG1", Issue: "t-1", Namespace: "urn:x", Method: "GET"}},
		{[]string{"--rest", fixtures.FoundersService.String(), "--path", "/1", "--method", "POST"}, cli.ExitOK,
			call.CallOptions{Service: fixtures.FoundersService, REST: true, Path: "/1", Method: "POST"}},
		{[]string{fixtures.TaxDebtService.String(), "--path", "/1"}, cli.ExitUsage, call.CallOptions{}},
		{[]string{"nonsense"}, cli.ExitUsage, call.CallOptions{}},
		{[]string{}, cli.ExitUsage, call.CallOptions{}},
	}
	for _, tt := range tests {
		var got *call.CallOptions
		_, errOut, code := run(t, "", func(o *call.CallOptions) error { got = o; return nil }, tt.args...)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d (%s)", tt.args, code, tt.code, errOut)
			continue
		}
		if code != cli.ExitOK {
			continue
		}
		if got.Service != tt.want.Service || got.BodyFile != tt.want.BodyFile || got.UserID != tt.want.UserID || got.Issue != tt.want.Issue ||
			got.Namespace != tt.want.Namespace || got.REST != tt.want.REST || got.Path != tt.want.Path || got.Method != tt.want.Method {
			t.Errorf("%v: options %+v", tt.args, got)
		}
	}
}

func TestCallAgainstTheEmulator(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	d := fixtures.Default()
	conn := []string{"--url", ss.URL, "--client", fixtures.PortalClient.String()}
	body := filepath.Join(t.TempDir(), "req.xml")
	os.WriteFile(body, []byte("<request><INN>"+d.INNWithTaxDebt()+"</INN><RepresentativePIN>21504197800123</RepresentativePIN></request>"), 0o600)

	out, errOut, code := run(t, "", nil, append([]string{fixtures.TaxDebtService.String(), "--namespace", fixtures.TaxNamespace, "--body", body,
		"--user-id", "KG21504197800123", "--issue", "tender-42"}, conn...)...)
	if code != cli.ExitOK || !strings.Contains(out, "<HasArrears>true</HasArrears>") || !strings.Contains(errOut, "requestHash verified") {
		t.Fatalf("SOAP call: %d\n%s\n%s", code, out, errOut)
	}
	m, err := soap.ParseBytes([]byte(out), "text/xml", soap.Limits{})
	if err != nil || m.Header().UserID != "KG21504197800123" || m.Header().Issue != "tender-42" || m.Header().RequestHash == "" {
		t.Errorf("printed answer: %v %+v", err, m.Header())
	}

	// Body from stdin, criminal record (WCF style).
	out, _, code = run(t, `<PIN xmlns="http://tempuri.org/">`+d.PINWithRecord()+`</PIN>`, nil,
		append([]string{fixtures.CriminalRecordService.String(), "--namespace", fixtures.CriminalRecordNamespace, "--body", "-"}, conn...)...)
	if code != cli.ExitOK || !strings.Contains(out, "<HasCriminalRecord>true</HasCriminalRecord>") {
		t.Errorf("stdin call: %d %s", code, out)
	}

	// REST.
	out, errOut, code = run(t, "", nil, append([]string{"--rest", fixtures.FoundersService.String(), "--path", "/" + d.INNClean()}, conn...)...)
	if code != cli.ExitOK || !strings.Contains(out, `"founders":[`) || !strings.Contains(errOut, "HTTP 200") {
		t.Errorf("REST call: %d %s %s", code, out, errOut)
	}

	// A fault exits 3 and names the code.
	ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, FaultCode: "server.serverproxy.service_failed.unknown_host"})
	out, errOut, code = run(t, "", nil, append([]string{fixtures.TaxDebtService.String(), "--body", body}, conn...)...)
	if code != cli.ExitFailure || !strings.Contains(errOut, "fault Server.ServerProxy.ServiceFailed.NetworkError") || !strings.Contains(out, "Fault") {
		t.Errorf("fault: %d %s %s", code, out, errOut)
	}
	// A missing body file.
	_, errOut, code = run(t, "", nil, append([]string{fixtures.TaxDebtService.String(), "--body", "/nonexistent.xml"}, conn...)...)
	if code != cli.ExitFailure || !strings.Contains(errOut, "--body") {
		t.Errorf("missing file: %d %s", code, errOut)
	}
}
