package wsdl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog/wsdl"
	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

const dir = "../../../configs/catalog"

// The verb's own flags (the arguments: catalogflags.TestDescribeFlags).
func TestFlags(t *testing.T) {
	clitest.CheckFlags(t, NewCmdWsdl, func(o *WsdlOptions) { o.Describe = catalogflags.DescribeAt(o.Dir, o.Service) }, []clitest.FlagCase[WsdlOptions]{
		{Args: []string{"--dir", "d", "--public", "x/v1"}, Want: WsdlOptions{Describe: catalogflags.DescribeAt("d", "x/v1"), Public: true}},
		{Args: []string{"--address", "http://a", "x", "c"}, Want: WsdlOptions{Describe: catalogflags.DescribeAt("c", "x"), Options: wsdl.Options{Address: "http://a"}}},
		{Args: []string{"--address", "http://a", "--public", "x"}, WantErr: true},
	})
}

func run(args ...string) (string, string, cli.ExitCode) {
	return clitest.Verb(NewCmdWsdl, "", args...).Streams()
}

func TestRun(t *testing.T) {
	golden, err := os.ReadFile("../../../testdata/catalog/golden/getSupplierInfo.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"getSupplierInfo", "getSupplierInfo/v1", "supplier-registry/getSupplierInfo/v1",
		"central-server/GOV/70000041/supplier-registry/getSupplierInfo/v1"} {
		out, errOut, code := run("--dir", dir, ref)
		if code != cli.ExitOK || out != string(golden) {
			t.Errorf("%s: exit %d %s; output differs from golden", ref, code, errOut)
		}
	}
	out, _, code := run("--dir", dir, "--public", "getSupplierInfo")
	if code != cli.ExitOK || !strings.Contains(out, wsdl.PlaceholderAddress) || strings.Contains(out, "zakupki.local") {
		t.Errorf("--public: exit %d, address not replaced", code)
	}
	for _, tc := range []struct {
		args []string
		code cli.ExitCode
	}{
		{[]string{"--dir", dir, "noSuchService"}, cli.ExitUsage},
		{[]string{"--dir", dir, "unreliableSupplier"}, cli.ExitUsage}, // REST
		{[]string{"--dir", filepath.Join(t.TempDir(), "none"), "x"}, cli.ExitFailure},
	} {
		if _, errOut, code := run(tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, errOut)
		}
	}
	// An invalid catalog is refused with its problems.
	bad := t.TempDir()
	b, _ := os.ReadFile("../../../testdata/catalog/invalid/missing-legal-basis.yaml")
	_ = os.WriteFile(filepath.Join(bad, "c.yaml"), b, 0o644)
	if _, errOut, code := run("--dir", bad, "getStatus"); code != cli.ExitInvalid || !strings.Contains(errOut, "legalBasis") {
		t.Errorf("invalid catalog: exit %d: %s", code, errOut)
	}
}

// A REST service points at `tunduk catalog openapi`; an unknown one lists
// the known services.
func TestForgiving(t *testing.T) {
	r := clitest.Verb(NewCmdWsdl, "", "unreliableSupplier", dir)
	if want := "tunduk catalog openapi unreliableSupplier " + dir; r.Code != cli.ExitUsage || !strings.Contains(r.Err.Error(), want) {
		t.Errorf("REST service: %s; want the suggestion %q", r, want)
	}
	r = clitest.Verb(NewCmdWsdl, "", "getSuplierInfo", dir)
	if r.Code != cli.ExitUsage || !strings.Contains(r.Err.Error(), "supplier-registry/getSupplierInfo/v1 (SOAP)") {
		t.Errorf("unknown service: %s; want the known services listed", r)
	}
}
