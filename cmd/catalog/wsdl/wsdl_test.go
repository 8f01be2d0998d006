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

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    WsdlOptions
		wantErr bool
	}{
		{[]string{"getSupplierInfo", "c"}, WsdlOptions{Dir: "c", Service: "getSupplierInfo"}, false},
		{[]string{"getSupplierInfo"}, WsdlOptions{}, true},      // no DIR, no configuration
		{[]string{"x", "c", "--dir", "d"}, WsdlOptions{}, true}, // given twice
		{[]string{"--dir", "d", "--public", "x/v1"}, WsdlOptions{Dir: "d", Service: "x/v1", Public: true}, false},
		{[]string{"--address", "http://a", "x", "c"}, WsdlOptions{Dir: "c", Service: "x", Address: "http://a"}, false},
		{[]string{"--address", "http://a", "--public", "x"}, WsdlOptions{}, true},
		{nil, WsdlOptions{}, true},
		{[]string{"a", "b", "c"}, WsdlOptions{}, true},
	} {
		var got *WsdlOptions
		t.Setenv(cli.ConfigEnv, filepath.Join(t.TempDir(), "none.yaml"))
		f, _ := clitest.New()
		err := clitest.Run(f, NewCmdWsdl(f, func(o *WsdlOptions) error { got = o; return nil }), tc.args...).Err
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil {
			got.IO, got.dirs = cli.IOStreams{}, catalogflags.Dir{}
			if *got != tc.want {
				t.Errorf("%v: got %+v, want %+v", tc.args, *got, tc.want)
			}
		}
	}
}

func run(args ...string) (string, string, cli.ExitCode) {
	f, _ := clitest.New()
	return clitest.Run(f, NewCmdWsdl(f, nil), args...).Streams()
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
	f, _ := clitest.New()
	r := clitest.Run(f, NewCmdWsdl(f, nil), "unreliableSupplier", dir)
	if want := "tunduk catalog openapi unreliableSupplier " + dir; r.Code != cli.ExitUsage || !strings.Contains(r.Err.Error(), want) {
		t.Errorf("REST service: %s; want the suggestion %q", r, want)
	}
	f, _ = clitest.New()
	r = clitest.Run(f, NewCmdWsdl(f, nil), "getSuplierInfo", dir)
	if r.Code != cli.ExitUsage || !strings.Contains(r.Err.Error(), "supplier-registry/getSupplierInfo/v1 (SOAP)") {
		t.Errorf("unknown service: %s; want the known services listed", r)
	}
}
