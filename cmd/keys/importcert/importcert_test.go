package importcert

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		wantCode  cli.ExitCode
		cert, out string
	}{
		{[]string{"--uri", "file:/k.pem", "c.pem"}, cli.ExitOK, "c.pem", ""},
		{[]string{"--key", "mlog", "--out", "/etc/x.crt", "c.cer"}, cli.ExitOK, "c.cer", "/etc/x.crt"},
		{[]string{"--uri", "file:/k.pem"}, cli.ExitFailure, "", ""}, // CERT missing (cobra arg error)
		{[]string{"c.pem"}, cli.ExitUsage, "", ""},
	} {
		got, _, err := clitest.Parse(NewCmdImportCert, tc.args...)
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if err == nil && (got.CertFile != tc.cert || got.Out != tc.out) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
