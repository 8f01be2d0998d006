package generate

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
	_ "github.com/tunduk-kg/tunduk/signing/kms/softkms"

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
		got, _, err := clitest.Parse(NewCmdGenerate, tc.args...)
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if err == nil && (got.Key.URI != tc.uri || got.Algorithm != tc.alg || got.Logger == nil) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}

func TestSelfSigned(t *testing.T) {
	dir := t.TempDir()
	keyPath, certPath := filepath.Join(dir, "mlog.pem"), filepath.Join(dir, "mlog.crt")
	f, out := clitest.New()
	args := []string{"--uri", "file:" + keyPath, "--algorithm", "ecdsa-p256", "--self-signed", "--org", "Trial", "--member-code", "70000041"}
	if err := clitest.Run(f, NewCmdGenerate(f, nil), args...).Err; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Out.String(), "NOT FOR PRODUCTION") {
		t.Errorf("output does not warn that the certificate is not for production:\n%s", out.Out)
	}
	cert, err := keyref.LoadCertificate(certPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Subject.OrganizationalUnit) == 0 || cert.Subject.OrganizationalUnit[0] != certs.SelfSignedOU {
		t.Errorf("subject %v lacks the self-signed mark", cert.Subject)
	}
	km, err := kms.New(context.Background(), kms.Options{URI: "file:" + keyPath})
	if err != nil {
		t.Fatal(err)
	}
	defer km.Close()
	signer, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "file:" + keyPath})
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.Match(cert, signer.Public()); err != nil {
		t.Fatalf("certificate is not for the generated key: %v", err)
	}
	// Neither the certificate nor the flags' misuse goes unnoticed.
	f2, _ := clitest.New()
	if code := cli.CodeOf(clitest.Run(f2, NewCmdGenerate(f2, nil), "--uri", "file:"+filepath.Join(dir, "k2.pem"), "--org", "X").Err); code != cli.ExitUsage {
		t.Errorf("--org without --self-signed: exit %d, want usage", code)
	}
	f3, _ := clitest.New()
	if code := cli.CodeOf(clitest.Run(f3, NewCmdGenerate(f3, nil), "--uri", "file:"+filepath.Join(dir, "k3.pem"), "--self-signed", "--org", "X", "--member-code", "12").Err); code != cli.ExitUsage {
		t.Errorf("bad member code: exit %d, want usage", code)
	}
}
