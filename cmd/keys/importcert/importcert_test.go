package importcert

import (
	"bytes"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
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
		var got *ImportOptions
		f := &cli.Factory{IO: cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
		cmd := NewCmdImportCert(f, func(o *ImportOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if err == nil && (got.CertFile != tc.cert || got.Out != tc.out) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
