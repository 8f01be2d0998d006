package csr

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	base := []string{"--uri", "file:/k.pem", "--org", "Procurement Dept", "--member-code", "70000041", "--out", "x.csr"}
	clitest.CheckParse(t, NewCmdCSR, []clitest.ParseCase[CSROptions]{
		{Args: base, Code: cli.ExitOK, OK: func(o *CSROptions) bool {
			return o.Subject.Organization == "Procurement Dept" && o.Subject.MemberCode == "70000041" && o.Out == "x.csr" &&
				o.Subject.Instance == "central-server" && o.Subject.Country == "KG"
		}},
		{Args: append(base, "--server-code", "ss1", "--member-class", "GOV", "--instance", "central-server-test"), Code: cli.ExitOK, OK: func(o *CSROptions) bool {
			return o.Subject.ServerCode == "ss1" && o.Subject.MemberClass == "GOV" && o.Subject.Instance == "central-server-test"
		}},
		{Args: []string{"--key", "mlog", "--org", "O", "--member-code", "60000001", "-o", "-"}, Code: cli.ExitOK, OK: func(o *CSROptions) bool { return o.Out == "-" && o.Key.Name == "mlog" }},
		{Args: base[:len(base)-2], Code: cli.ExitUsage},                                                                   // no --out
		{Args: []string{"--uri", "file:/k.pem", "--member-code", "70000041", "--out", "x"}, Code: cli.ExitUsage},          // no --org
		{Args: []string{"--uri", "file:/k.pem", "--org", "O", "--member-code", "123", "--out", "x"}, Code: cli.ExitUsage}, // bad code
		{Args: []string{"--uri", "file:/k.pem", "--org", "O", "--member-code", "70000041", "--member-class", "X", "--out", "x"}, Code: cli.ExitUsage},
		{Args: []string{"--org", "O", "--member-code", "70000041", "--out", "x"}, Code: cli.ExitUsage}, // no key
	})
}
