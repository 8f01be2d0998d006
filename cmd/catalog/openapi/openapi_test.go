package openapi

import (
	"os"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog/openapi"
	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

const dir = "../../../configs/catalog"

// The verb's own flags (the arguments: catalogflags.TestDescribeFlags).
func TestFlags(t *testing.T) {
	clitest.CheckFlags(t, NewCmdOpenapi, func(o *OpenapiOptions) { o.Describe = catalogflags.DescribeAt(o.Dir, o.Service) }, []clitest.FlagCase[OpenapiOptions]{
		{Args: []string{"--json", "--server", "https://s/r1", "--dir", "d", "x"}, Want: OpenapiOptions{Describe: catalogflags.DescribeAt("d", "x"), Options: openapi.Options{ServerURL: "https://s/r1", JSON: true}}},
		{Args: []string{"unreliableSupplier", "c"}, Want: OpenapiOptions{Describe: catalogflags.DescribeAt("c", "unreliableSupplier")}},
	})
}

func run(args ...string) (string, cli.ExitCode) {
	r := clitest.Verb(NewCmdOpenapi, "", args...)
	return r.Out, r.Code
}

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		golden string
	}{
		{[]string{"--dir", dir, "unreliableSupplier"}, "unreliableSupplier.openapi.yaml"},
		{[]string{"--dir", dir, "--json", "supplier-registry/unreliableSupplier/v1"}, "unreliableSupplier.openapi.json"},
	} {
		want, err := os.ReadFile("../../../testdata/catalog/golden/" + tc.golden)
		if err != nil {
			t.Fatal(err)
		}
		if out, code := run(tc.args...); code != cli.ExitOK || out != string(want) {
			t.Errorf("%v: exit %d, output differs from %s:\n%s", tc.args, code, tc.golden, out)
		}
	}
	out, code := run("--dir", dir, "--server", "https://ss.example.kg/r1", "unreliableSupplier")
	if code != cli.ExitOK || !strings.Contains(out, "url: https://ss.example.kg/r1") || strings.Contains(out, "zakupki.local") {
		t.Errorf("--server: exit %d", code)
	}
	if _, code := run("--dir", dir, "getSupplierInfo"); code != cli.ExitUsage {
		t.Errorf("SOAP service: exit %d, want %d", code, cli.ExitUsage)
	}
}

// Mistakes get the whole command to run instead: the DIR argument works
// like --dir, a SOAP service points at `tunduk catalog wsdl`, an unknown
// service lists the known ones.
func TestForgiving(t *testing.T) {
	if r := clitest.Verb(NewCmdOpenapi, "", "unreliableSupplier", dir); r.Code != cli.ExitOK || !strings.HasPrefix(r.Out, "openapi: 3.0.3") {
		t.Errorf("DIR argument: %s", r)
	}
	r := clitest.Verb(NewCmdOpenapi, "", "getSupplierInfo", dir)
	if want := "tunduk catalog wsdl getSupplierInfo " + dir; r.Code != cli.ExitUsage || !strings.Contains(r.Err.Error(), want) {
		t.Errorf("SOAP service: %s; want the suggestion %q", r, want)
	}
	r = clitest.Verb(NewCmdOpenapi, "", "nope", dir)
	if r.Code != cli.ExitUsage || !strings.Contains(r.Err.Error(), "supplier-registry/unreliableSupplier/v1 (REST)") {
		t.Errorf("unknown service: %s; want the known services listed", r)
	}
}
