package show

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	cert := func(file string) func(*ShowOptions) bool {
		return func(o *ShowOptions) bool { return o.CertFile == file }
	}
	clitest.CheckParse(t, NewCmdShow, []clitest.ParseCase[ShowOptions]{
		{Args: []string{"--key", "mlog"}, Code: cli.ExitOK, OK: cert("")},
		{Args: []string{"--uri", "file:/k.pem", "--cert", "k.crt"}, Code: cli.ExitOK, OK: cert("k.crt")},
		{Args: nil, Code: cli.ExitUsage},
		{Args: []string{"--pin", "1234", "--key", "mlog"}, Code: cli.ExitFailure}, // no --pin flag exists
	})
}
