package repair_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/msglog/repair"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

func run(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := repair.NewCmdRepair(&cli.Factory{IO: cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}}, nil)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.Execute()
	return out.String() + errOut.String(), err
}

func TestRepairFlags(t *testing.T) {
	var got *repair.RepairOptions
	cmd := repair.NewCmdRepair(&cli.Factory{IO: cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}, func(o *repair.RepairOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--config", "x.yaml", "--actor", "op", "--json"})
	if err := cmd.Execute(); err != nil || got.Actor != "op" || !got.JSON {
		t.Fatalf("%+v %v", got, err)
	}
	cmd = repair.NewCmdRepair(&cli.Factory{IO: cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}, func(*repair.RepairOptions) error { return nil })
	cmd.SetArgs([]string{"extra"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil {
		t.Fatal("extra argument accepted")
	}
}

// TestRepairRun: a journal damaged in its middle is repaired through the
// command, which reports the quarantine and the signed record.
func TestRepairRun(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, "mlog.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "70000001"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	cder, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	os.WriteFile(filepath.Join(dir, "mlog.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cder}), 0o644)
	cfgPath := filepath.Join(dir, "tunduk.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("keys:\n  mlog:\n    uri: file:%[1]s/mlog.pem\n    certificate: %[1]s/mlog.crt\nmessageLog:\n  signingKey: mlog\n  dir: %[1]s/msglog\n  archiveDir: %[1]s/archive\n", dir)), 0o644)

	// No journal yet: a clear error, nothing created.
	if out, err := run("--config", cfgPath, "--actor", "op"); err == nil || !strings.Contains(err.Error(), "repair") {
		t.Fatalf("repair without a journal: %v\n%s", err, out)
	}
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "msglog"), ArchiveDir: filepath.Join(dir, "archive"), Signer: key, Certificate: mustCert(t, cder), SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		if _, err := l.Append(context.Background(), &msglog.Record{Type: msglog.TypeExchange, Member: "central-server/GOV/70000001/portal",
			Exchange: &msglog.Exchange{MessageID: fmt.Sprintf("m%d", i), Request: msglog.Message{Body: bytes.Repeat([]byte("x"), 300)}}}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	out, err := run("--config", cfgPath, "--actor", "op")
	if err != nil || !strings.Contains(out, "nothing to repair") {
		t.Fatalf("sound journal: %v\n%s", err, out)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "msglog", "journal", "*.seg"))
	sort.Strings(segs)
	b, _ := os.ReadFile(segs[0])
	b[len(b)/2] ^= 0xff
	os.WriteFile(segs[0], b, 0o600)
	out, err = run("--config", cfgPath, "--actor", "op")
	if err != nil || !strings.Contains(out, "quarantine-") || !strings.Contains(out, "recorded as mlog:") {
		t.Fatalf("repair: %v\n%s", err, out)
	}
}

func mustCert(t *testing.T, der []byte) *x509.Certificate {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
