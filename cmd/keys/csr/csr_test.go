package csr

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	base := []string{"--uri", "file:/k.pem", "--org", "Procurement Dept", "--member-code", "70000041", "--out", "x.csr"}
	for _, tc := range []struct {
		args     []string
		wantCode cli.ExitCode
		check    func(*CSROptions) bool
	}{
		{base, cli.ExitOK, func(o *CSROptions) bool {
			return o.Subject.Organization == "Procurement Dept" && o.Subject.MemberCode == "70000041" && o.Out == "x.csr" &&
				o.Subject.Instance == "central-server" && o.Subject.Country == "KG"
		}},
		{append(base, "--server-code", "ss1", "--member-class", "GOV", "--instance", "central-server-test"), cli.ExitOK, func(o *CSROptions) bool {
			return o.Subject.ServerCode == "ss1" && o.Subject.MemberClass == "GOV" && o.Subject.Instance == "central-server-test"
		}},
		{[]string{"--key", "mlog", "--org", "O", "--member-code", "60000001", "-o", "-"}, cli.ExitOK, func(o *CSROptions) bool { return o.Out == "-" && o.Key.Name == "mlog" }},
		{base[:len(base)-2], cli.ExitUsage, nil},                                                                   // no --out
		{[]string{"--uri", "file:/k.pem", "--member-code", "70000041", "--out", "x"}, cli.ExitUsage, nil},          // no --org
		{[]string{"--uri", "file:/k.pem", "--org", "O", "--member-code", "123", "--out", "x"}, cli.ExitUsage, nil}, // bad code
		{[]string{"--uri", "file:/k.pem", "--org", "O", "--member-code", "70000041", "--member-class", "X", "--out", "x"}, cli.ExitUsage, nil},
		{[]string{"--org", "O", "--member-code", "70000041", "--out", "x"}, cli.ExitUsage, nil}, // no key
	} {
		got, _, err := clitest.Parse(NewCmdCSR, tc.args...)
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if tc.check != nil && !tc.check(got) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
