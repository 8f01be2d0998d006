package witness_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	witnesscmd "github.com/tunduk-kg/tunduk/cmd/witness"
	"github.com/tunduk-kg/tunduk/internal/signing/witness"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

func TestWitnessFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code cli.ExitCode
	}{
		{[]string{"--dir", "d", "--log", "o/x=c.pem"}, cli.ExitOK},
		{[]string{"--dir", "d"}, cli.ExitUsage},
		{[]string{"--log", "o/x=c.pem"}, cli.ExitUsage},
		{[]string{"--dir", "d", "--log", "no-equals"}, cli.ExitUsage},
	} {
		f, _ := clitest.New()
		var got *witnesscmd.WitnessOptions
		r := clitest.Run(f, witnesscmd.NewCmdWitness(f, func(o *witnesscmd.WitnessOptions) error { got = o; return nil }), tt.args...)
		if r.Code != tt.code {
			t.Errorf("%v: code %d, want %d: %s", tt.args, r.Code, tt.code, r)
		}
		if tt.code == cli.ExitOK && (got.Dir != "d" || got.Listen != "127.0.0.1:8490" || len(got.Logs) != 1) {
			t.Errorf("%v: options %+v", tt.args, got)
		}
	}
}

// TestWitnessServes runs the command on an ephemeral port, pushes a
// checkpoint, reads it back, and stops it with the context.
func TestWitnessServes(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mlog"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	certFile := filepath.Join(dir, "mlog.crt")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	opts := &witnesscmd.WitnessOptions{IO: cli.IOStreams{Out: io.Discard, ErrOut: pw}, Context: func() context.Context { return ctx },
		Listen: "127.0.0.1:0", Dir: filepath.Join(dir, "held"), Logs: []string{"tunduk.test/mlog=" + certFile}}
	done := make(chan error, 1)
	go func() { done <- witnesscmd.Run(opts); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no start line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	url := strings.Fields(line)[3]

	tr := tlog.NewTree()
	tr.Append(rfc6962.DefaultHasher.HashLeaf([]byte("r0")))
	root, _ := tr.Root(1)
	cp, err := tlog.Checkpoint{Origin: "tunduk.test/mlog", Size: 1, Root: root, Time: time.Now()}.Sign("tunduk.test/mlog", key)
	if err != nil {
		t.Fatal(err)
	}
	c := &witness.Client{URL: url}
	if err := c.Add(&witness.Request{Checkpoint: cp}); err != nil {
		t.Fatalf("add: %v", err)
	}
	resp, err := http.Get(url + "/checkpoint/tunduk.test/mlog")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != string(cp) {
		t.Errorf("held %q, want %q", got, cp)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("witness did not stop with its context")
	}
}
