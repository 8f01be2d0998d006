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
	parsed := func(uri, alg string) func(*GenerateOptions) bool {
		return func(o *GenerateOptions) bool { return o.Key.URI == uri && o.Algorithm == alg && o.Key.Logger != nil }
	}
	clitest.CheckParse(t, NewCmdGenerate, []clitest.ParseCase[GenerateOptions]{
		{Args: []string{"--uri", "file:/k.pem"}, Code: cli.ExitOK, OK: parsed("file:/k.pem", "rsa2048")},
		{Args: []string{"--uri", "file:/k.pem", "--algorithm", "ecdsa-p256"}, Code: cli.ExitOK, OK: parsed("file:/k.pem", "ecdsa-p256")},
		{Args: []string{"--key", "mlog", "--algorithm", "ecdsa-p384"}, Code: cli.ExitOK, OK: parsed("", "ecdsa-p384")},
		{Args: []string{"--uri", "file:/k.pem", "--algorithm", "dsa"}, Code: cli.ExitUsage},
		{Args: []string{}, Code: cli.ExitUsage},
		{Args: []string{"--uri", "file:/k.pem", "--key", "mlog"}, Code: cli.ExitUsage},
		{Args: []string{"--key", "mlog", "--pin-file", "/p"}, Code: cli.ExitUsage},
		{Args: []string{"--uri", "file:/k.pem", "extra"}, Code: cli.ExitFailure}, // cobra's arg error
	})
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
