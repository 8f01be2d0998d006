package verify_test

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/cmd/evidence/verify"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

func TestVerifyFlags(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode cli.ExitCode
		want     verify.VerifyOptions
	}{
		{[]string{"r.json"}, cli.ExitOK, verify.VerifyOptions{Receipt: "r.json", Output: "table"}},
		{[]string{"--cert", "c.pem", "--checkpoint", "cp", "-o", "json", "-"}, cli.ExitOK,
			verify.VerifyOptions{Receipt: "-", Cert: "c.pem", Checkpoint: "cp", Output: "json"}},
		{[]string{}, cli.ExitUsage, verify.VerifyOptions{}},
		{[]string{"-o", "yaml", "r.json"}, cli.ExitUsage, verify.VerifyOptions{}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got *verify.VerifyOptions
			f, _ := clitest.New()
			r := clitest.Run(f, verify.NewCmdVerify(f, func(o *verify.VerifyOptions) error { got = o; return nil }), tt.args...)
			if r.Code != tt.wantCode {
				t.Fatalf("code %d, want %d: %s", r.Code, tt.wantCode, r)
			}
			if tt.wantCode != cli.ExitOK {
				return
			}
			if got.Receipt != tt.want.Receipt || got.Cert != tt.want.Cert || got.Checkpoint != tt.want.Checkpoint || got.Output != tt.want.Output {
				t.Errorf("options %+v, want %+v", got, tt.want)
			}
		})
	}
}

// files writes a sealed receipt, the log's certificate, its latest
// checkpoint and another certificate into dir.
func files(t *testing.T) (dir, rcpt, cert, cp, other string) {
	t.Helper()
	dir = t.TempDir()
	mlog := &x509.Certificate{Subject: pkix.Name{CommonName: "mlog"}}
	key, c := certstest.SelfSigned(t, mlog)
	ev, err := evidence.Open(evidence.Options{Dir: filepath.Join(dir, "ev"), Origin: "tunduk.test/mlog", Signer: key, Certificate: c})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "log"), ArchiveDir: filepath.Join(dir, "archive"),
		Signer: key, Certificate: c, BatchInterval: time.Hour, RotateInterval: time.Hour, Evidence: ev})
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	for i := 0; i < 3; i++ {
		seq, err = l.Append(context.Background(), &msglog.Record{Type: msglog.TypeExchange, Exchange: &msglog.Exchange{
			Check: "tax-debt", MessageID: "msg-1", UserID: "officer-1", Issue: "tender-7", RequestID: "req-1",
			Request: msglog.Message{Body: []byte("<q/>")}, Response: msglog.Message{Body: []byte("<a/>")}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := ev.Receipt(seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, c2 := certstest.SelfSigned(t, mlog)
	return dir, write("receipt.json", b), write("mlog.crt", certstest.PEM(c)),
		write("checkpoint", ev.Checkpoint("")), write("other.crt", certstest.PEM(c2))
}

func TestVerifyRun(t *testing.T) {
	dir, rcpt, cert, cp, other := files(t)
	data, _ := os.ReadFile(rcpt)
	// The compact form a check's answer carries: no certificate.
	var full map[string]any
	json.Unmarshal(data, &full)
	delete(full, "certificate")
	cb, _ := json.Marshal(full)
	compact := filepath.Join(dir, "compact.json")
	os.WriteFile(compact, cb, 0o600)
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, []byte(strings.Replace(string(data), `"index": 2`, `"index": 1`, 1)), 0o600)
	newCmd := func(f *cli.Factory) *cobra.Command { return verify.NewCmdVerify(f, nil) }
	tests := []struct {
		name     string
		args     []string
		wantCode cli.ExitCode
		want     []string
	}{
		{"valid pinned", []string{"--cert", cert, "--checkpoint", cp, rcpt}, cli.ExitOK,
			[]string{"VALID", "mlog:3", "checkpoint of size 3", "pinned by --cert", "consistent with your checkpoint of size 3"}},
		{"valid unpinned", []string{rcpt}, cli.ExitOK, []string{"NOT pinned"}},
		{"json", []string{"--cert", cert, "-o", "json", rcpt}, cli.ExitOK, []string{`"valid": true`, `"check": "tax-debt"`, `"checkpointSize": 3`}},
		{"other cert", []string{"--cert", other, rcpt}, cli.ExitInvalid, []string{"INVALID", "key"}},
		{"compact pinned", []string{"--cert", cert, "--checkpoint", cp, compact}, cli.ExitOK, []string{"VALID", "pinned by --cert"}},
		{"compact without cert", []string{compact}, cli.ExitInvalid, []string{"INVALID", "key", "--cert", "GET /v1/evidence/{recordId}"}},
		{"compact other cert", []string{"--cert", other, compact}, cli.ExitInvalid, []string{"INVALID", "names key"}},
		{"tampered index", []string{"--cert", cert, tampered}, cli.ExitInvalid, []string{"INVALID", "inclusion-proof"}},
		{"tampered json", []string{"--cert", cert, "-o", "json", tampered}, cli.ExitInvalid, []string{`"valid": false`, `"reason": "inclusion-proof"`}},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, cli.ExitFailure, []string{"nope.json"}},
		{"missing cert", []string{"--cert", filepath.Join(dir, "nope.crt"), rcpt}, cli.ExitFailure, []string{"--cert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clitest.Exec(newCmd, tt.args...)
			if r.Code != tt.wantCode || !clitest.Contains(r.String(), tt.want...) {
				t.Errorf("code %d (want %d), output:\n%s\nwant %q", r.Code, tt.wantCode, r, tt.want)
			}
		})
	}
}

// TestPinnedLeafVectors: the pinned receipts of both leaf versions
// (testdata/evidence/leaf-vN, version 1 written before version 2 existed)
// verify offline against their held checkpoints.
func TestPinnedLeafVectors(t *testing.T) {
	newCmd := func(f *cli.Factory) *cobra.Command { return verify.NewCmdVerify(f, nil) }
	for _, v := range []string{"leaf-v1", "leaf-v2"} {
		dir := filepath.Join("..", "..", "..", "testdata", "evidence", v)
		r := clitest.Exec(newCmd, "--cert", filepath.Join(dir, "mlog.crt"), "--checkpoint", filepath.Join(dir, "checkpoint"), filepath.Join(dir, "receipt.json"))
		if r.Code != cli.ExitOK || !clitest.Contains(r.String(), "VALID", "mlog:2", "pinned by --cert", "consistent with your checkpoint of size 3") {
			t.Errorf("%s: code %d\n%s", v, r.Code, r)
		}
	}
}
