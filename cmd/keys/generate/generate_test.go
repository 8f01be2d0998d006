package generate

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantCode cli.ExitCode
		uri, alg string
	}{
		{[]string{"--uri", "file:/k.pem"}, cli.ExitOK, "file:/k.pem", "rsa2048"},
		{[]string{"--uri", "file:/k.pem", "--algorithm", "ecdsa-p256"}, cli.ExitOK, "file:/k.pem", "ecdsa-p256"},
		{[]string{"--key", "mlog", "--algorithm", "ecdsa-p384"}, cli.ExitOK, "", "ecdsa-p384"},
		{[]string{"--uri", "file:/k.pem", "--algorithm", "dsa"}, cli.ExitUsage, "", ""},
		{[]string{}, cli.ExitUsage, "", ""},
		{[]string{"--uri", "file:/k.pem", "--key", "mlog"}, cli.ExitUsage, "", ""},
		{[]string{"--key", "mlog", "--pin-file", "/p"}, cli.ExitUsage, "", ""},
		{[]string{"--uri", "file:/k.pem", "extra"}, cli.ExitFailure, "", ""}, // cobra's arg error
	} {
		var got *GenerateOptions
		f, _ := clitest.New()
		cmd := NewCmdGenerate(f, func(o *GenerateOptions) error { got = o; return nil })
		err := clitest.Run(f, cmd, tc.args...).Err
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if err == nil && (got.Key.URI != tc.uri || got.Algorithm != tc.alg || got.Logger == nil) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
