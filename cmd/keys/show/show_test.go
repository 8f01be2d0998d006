package show

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantCode cli.ExitCode
		cert     string
	}{
		{[]string{"--key", "mlog"}, cli.ExitOK, ""},
		{[]string{"--uri", "file:/k.pem", "--cert", "k.crt"}, cli.ExitOK, "k.crt"},
		{nil, cli.ExitUsage, ""},
		{[]string{"--pin", "1234", "--key", "mlog"}, cli.ExitFailure, ""}, // no --pin flag exists
	} {
		got, _, err := clitest.Parse(NewCmdShow, tc.args...)
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if err == nil && got.CertFile != tc.cert {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
