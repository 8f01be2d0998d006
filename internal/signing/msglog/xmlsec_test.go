package msglog_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic/asictest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestXmlsec1VerifiesOurArchive has xmlsec1 (libxml2 + OpenSSL) verify the
// batch signature of a container taken from an archive the Log wrote.
func TestXmlsec1VerifiesOurArchive(t *testing.T) {
	corpus.RequireTool(t, "xmlsec1", "apt-get install xmlsec1") // before the log is written
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
	if out, err := asictest.Xmlsec1(t, cert, c); err != nil {
		t.Fatalf("xmlsec1 rejects the Log's batch signature: %v\n%s", err, out)
	}
	c.SigHashChainResult = append(append([]byte{}, c.SigHashChainResult...), ' ')
	if out, err := asictest.Xmlsec1(t, cert, c); err == nil {
		t.Fatalf("xmlsec1 accepted a changed hash chain result\n%s", out)
	}
}
