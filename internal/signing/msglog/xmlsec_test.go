package msglog_test

import (
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestXmlsec1VerifiesOurArchive has xmlsec1 (libxml2 + OpenSSL) verify the
// batch signature of a container taken from an archive the Log wrote.
func TestXmlsec1VerifiesOurArchive(t *testing.T) {
	xmlsec := corpus.RequireTool(t, "xmlsec1", "apt-get install xmlsec1")
	dir := t.TempDir()
	signer, cert := certstest.Signing(t)
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "log"), ArchiveDir: filepath.Join(dir, "archive"), Signer: signer, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := l.Append(context.Background(), exchange(i, "central-server/GOV/70000001/portal")); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Close()
	as, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
	var container []byte
	msglog.ReadArchive(as[0].Path, nil, func(_ string, c []byte, _ *msglog.Record) error {
		if container == nil {
			container = c
		}
		return nil
	})
	c, err := asic.Read(container, asic.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := write("cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	args := []string{"--verify", "--trusted-pem", ca,
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
		"--url-map:/sig-hashchainresult.xml", write("sig-hashchainresult.xml", c.SigHashChainResult),
		write("signatures.xml", c.Signature)}
	if out, err := exec.Command(xmlsec, args...).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 rejects the Log's batch signature: %v\n%s", err, out)
	}
	write("sig-hashchainresult.xml", append(append([]byte{}, c.SigHashChainResult...), ' '))
	if out, err := exec.Command(xmlsec, args...).CombinedOutput(); err == nil {
		t.Fatalf("xmlsec1 accepted a changed hash chain result\n%s", out)
	}
}
