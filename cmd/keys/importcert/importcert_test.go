package importcert

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	parsed := func(cert, out string) func(*ImportOptions) bool {
		return func(o *ImportOptions) bool { return o.CertFile == cert && o.Out == out }
	}
	clitest.CheckParse(t, NewCmdImportCert, []clitest.ParseCase[ImportOptions]{
		{Args: []string{"--uri", "file:/k.pem", "c.pem"}, Code: cli.ExitOK, OK: parsed("c.pem", "")},
		{Args: []string{"--key", "mlog", "--out", "/etc/x.crt", "c.cer"}, Code: cli.ExitOK, OK: parsed("c.cer", "/etc/x.crt")},
		{Args: []string{"--uri", "file:/k.pem"}, Code: cli.ExitFailure}, // CERT missing (cobra arg error)
		{Args: []string{"c.pem"}, Code: cli.ExitUsage},
	})
}
