package apply_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog/ssapitest"
	"github.com/tunduk-kg/tunduk/cmd/catalog/apply"
	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/catalog/diff"
	"github.com/tunduk-kg/tunduk/cmd/catalog/plan"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
)

const (
	descBase = "http://adapter.internal:8080/descriptions"
	owner    = "central-server:GOV:70000041"
	reg      = owner + ":supplier-registry"
	secret   = "k-7f3a9c-secret"
)

type setup struct {
	fake   *ssapitest.Server
	config string
	log    string
}

// newSetup starts a fake SS, publishes the example catalog's generated
// descriptions on it and writes a configuration pointing at it.
func newSetup(t *testing.T) *setup {
	t.Helper()
	fake := ssapitest.NewServer(t, ssapitest.Options{Owner: owner, APIKey: secret})
	fake.Publish(descBase+"/supplier-registry/getSupplierInfo.v1.wsdl", ssapitest.Published{
		Services: []ssapitest.PublishedService{{Code: "getSupplierInfo", Version: "v1"}}})
	fake.Publish(descBase+"/supplier-registry/unreliableSupplier.openapi.yaml", ssapitest.Published{
		Operations: []ssapitest.Operation{{Method: "GET", Path: "/unreliable-suppliers/*"}}})
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "key"), []byte(secret+"\n"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "ss.crt"), fake.CertPEM, 0o600))
	s := &setup{fake: fake, config: filepath.Join(dir, "tunduk.yaml"), log: filepath.Join(dir, "applies.jsonl")}
	catDir, err := filepath.Abs(filepath.Join("..", "..", "..", "configs", "catalog"))
	must(err)
	cfg := "catalog:\n" +
		"  dir: " + catDir + "\n" +
		"  descriptionBaseURL: " + descBase + "\n" +
		"  owner: " + owner + "\n" +
		"  applyLog: " + s.log + "\n" +
		"  managementAPI:\n" +
		"    url: " + fake.URL + "\n" +
		"    apiKeyFile: " + filepath.Join(dir, "key") + "\n" +
		"    pinnedCertFile: " + filepath.Join(dir, "ss.crt") + "\n"
	must(os.WriteFile(s.config, []byte(cfg), 0o600))
	return s
}

type run struct {
	out, errOut string
	code        cli.ExitCode
}

func (s *setup) run(t *testing.T, verb string, args ...string) run {
	t.Helper()
	f, _ := clitest.New()
	cmd := map[string]func() *cobra.Command{
		"plan":  func() *cobra.Command { return plan.NewCmdPlan(f, nil) },
		"apply": func() *cobra.Command { return apply.NewCmdApply(f, nil) },
		"diff":  func() *cobra.Command { return diff.NewCmdDiff(f, nil) },
	}[verb]()
	var r run
	r.out, r.errOut, r.code = clitest.Run(f, cmd, append([]string{"--config", s.config}, args...)...).Streams()
	if strings.Contains(r.out+r.errOut, secret) {
		t.Errorf("%s printed the API key", verb)
	}
	return r
}

func TestPlanApplyDiffEndToEnd(t *testing.T) {
	s := newSetup(t)
	r := s.run(t, "plan")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "add-description") || !strings.Contains(r.out, reg+":getSupplierInfo.v1") {
		t.Fatalf("plan: %d\n%s%s", r.code, r.out, r.errOut)
	}
	if len(s.fake.Writes()) != 0 {
		t.Fatal("plan wrote to the SS")
	}

	// The head of the organisation is authorised, but not as registrar.
	r = s.run(t, "apply", "--as", "a.zheenbekova")
	if r.code != cli.ExitUsage || !strings.Contains(r.errOut, "registrar") || len(s.fake.Writes()) != 0 {
		t.Fatalf("apply by non-registrar: %d %s (writes %d)", r.code, r.errOut, len(s.fake.Writes()))
	}
	r = s.run(t, "apply", "--as", "someone.else")
	if r.code != cli.ExitUsage || len(s.fake.Writes()) != 0 {
		t.Fatalf("apply by unknown person: %d %s", r.code, r.errOut)
	}

	// Warnings stop the apply and are shown; --accept-warnings proceeds.
	s.fake.InjectWarnings("addClientServiceDescription", ssapi.CodeWithDetails{Code: "wsdl_validation_warnings", Metadata: []string{"WSDL-I0002"}})
	r = s.run(t, "apply", "--as", "n.osmonov")
	if r.code != cli.ExitFailure || !strings.Contains(r.out, "wsdl_validation_warnings [WSDL-I0002]") || !strings.Contains(r.errOut, "--accept-warnings") ||
		!strings.Contains(r.out, "not-attempted") {
		t.Fatalf("apply with warnings: %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	r = s.run(t, "apply", "--as", "n.osmonov", "--accept-warnings")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "0 failed, 0 not attempted") {
		t.Fatalf("apply accepting warnings: %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	sv, rights, ok := s.fake.Service(reg + ":getSupplierInfo.v1")
	if !ok || sv.URL != "https://registry.zakupki.local:8443/xroad/supplier" || sv.Timeout != 30 || !sv.SSLAuth || len(rights) != 2 {
		t.Errorf("service on the SS = %+v %v", sv, rights)
	}

	// Idempotent: nothing left to change.
	writes := len(s.fake.Writes())
	r = s.run(t, "apply", "--as", "n.osmonov")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "no changes") || len(s.fake.Writes()) != writes {
		t.Fatalf("second apply: %d %s (writes %d)", r.code, r.out, len(s.fake.Writes())-writes)
	}
	if r = s.run(t, "diff"); r.code != cli.ExitOK {
		t.Fatalf("diff after apply: %d\n%s%s", r.code, r.out, r.errOut)
	}

	// Someone adds a service by hand: diff flags it first, exit 1.
	s.fake.AddDescription(reg, ssapi.TypeREST, "http://10.0.0.5/dump", "dumpAll", true)
	r = s.run(t, "diff")
	first, _, _ := strings.Cut(r.out, "\n")
	if r.code != cli.ExitInvalid || !strings.HasPrefix(first, "!") || !strings.Contains(first, "undescribed-live-service") || !strings.Contains(first, reg+":dumpAll") {
		t.Fatalf("diff with a live undescribed service: %d\n%s%s", r.code, r.out, r.errOut)
	}

	// Every apply was recorded with who and what.
	log, err := os.ReadFile(s.log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 6 || !strings.Contains(lines[0], `"id":"n.osmonov"`) || !strings.Contains(lines[1], `"outcome":"partial"`) {
		t.Errorf("apply log has %d lines:\n%s", len(lines), log)
	}
}

func TestNoKeyOnCommandLine(t *testing.T) {
	for _, flag := range []string{"--api-key", "--key", "--token"} {
		r := clitest.Exec(func(f *cli.Factory) *cobra.Command {
			return apply.NewCmdApply(f, func(*apply.ApplyOptions) error { return nil })
		}, flag, "x")
		if err := r.Err; err == nil {
			t.Errorf("apply accepted %s", flag)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		config  string // --config as the Factory holds it
		want    apply.ApplyOptions
		wantErr bool
	}{
		{nil, "", apply.ApplyOptions{}, false},
		{[]string{"--as", "n.osmonov", "--accept-warnings", "--dir", "d", "--config", "c.yaml"},
			"c.yaml", apply.ApplyOptions{Target: catalogflags.Flags{Dir: "d"}, As: "n.osmonov", AcceptWarnings: true}, false},
		{[]string{"a", "b"}, "", apply.ApplyOptions{}, true},
	} {
		got, f, err := clitest.Parse(apply.NewCmdApply, tc.args...)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil && (f.ConfigFlag != tc.config || got.Target.Dir != tc.want.Target.Dir || got.As != tc.want.As || got.AcceptWarnings != tc.want.AcceptWarnings) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
