package openapi

import (
	"os"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

const dir = "../../../configs/catalog"

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    OpenapiOptions
		wantErr bool
	}{
		{[]string{"unreliableSupplier"}, OpenapiOptions{Dir: "configs/catalog", Service: "unreliableSupplier"}, false},
		{[]string{"--json", "--server", "https://s/r1", "--dir", "d", "x"}, OpenapiOptions{Dir: "d", Service: "x", Server: "https://s/r1", JSON: true}, false},
		{nil, OpenapiOptions{}, true},
	} {
		var got *OpenapiOptions
		f, _ := clitest.New()
		err := clitest.Run(f, NewCmdOpenapi(f, func(o *OpenapiOptions) error { got = o; return nil }), tc.args...).Err
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil {
			got.IO = cli.IOStreams{}
			if *got != tc.want {
				t.Errorf("%v: got %+v, want %+v", tc.args, *got, tc.want)
			}
		}
	}
}

func run(args ...string) (string, cli.ExitCode) {
	f, _ := clitest.New()
	r := clitest.Run(f, NewCmdOpenapi(f, nil), args...)
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
