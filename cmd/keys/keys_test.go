package keys_test

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/cmd/keys"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/signing/kms/pkcs11kms/softhsmtest"
)

const pin = "5550123"

func run(t *testing.T, args ...string) (string, string, cli.ExitCode) {
	t.Helper()
	f, _ := clitest.New()
	return clitest.Run(f, keys.NewCmdKeys(f), args...).Streams()
}

// testCA issues certificates for CSRs, as the Tunduk CA would.
type testCA struct{ *certstest.CA }

func newCA(t *testing.T) *testCA { return &testCA{certstest.NewCA(t, "Test Tunduk CA")} }

// issue signs the CSR in csrFile for days days and writes leaf+CA as PEM.
func (ca *testCA) issue(t *testing.T, csrFile, out string, days int) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(csrFile)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("%s is not a PEM CSR", csrFile)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil || csr.CheckSignature() != nil {
		t.Fatalf("CSR: %v", err)
	}
	c := ca.Issue(t, &x509.Certificate{Subject: csr.Subject, NotBefore: time.Now().Add(-time.Minute),
		NotAfter: time.Now().Add(time.Duration(days)*24*time.Hour + time.Hour), KeyUsage: x509.KeyUsageContentCommitment}, csr.PublicKey)
	if err := os.WriteFile(out, certstest.PEM(ca.Cert, c), 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

func softHSM(t *testing.T) string { return softhsmtest.Token(t, "tunduk", pin) }

func TestKeyLifecycle(t *testing.T) {
	for _, backend := range []string{"file", "softhsm2"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			pinFile := filepath.Join(dir, "pin")
			os.WriteFile(pinFile, []byte(pin+"\n"), 0o600)
			var keyYAML string
			switch backend {
			case "file":
				keyYAML = "    uri: file:" + filepath.Join(dir, "keys", "mlog.pem") + "\n"
			case "softhsm2":
				mod := softHSM(t)
				keyYAML = "    uri: pkcs11:token=tunduk;object=mlog-2026?module-path=" + mod + "\n    pinFile: " + pinFile + "\n"
			}
			cfg := filepath.Join(dir, "tunduk.yaml")
			os.WriteFile(cfg, []byte("keys:\n  mlog:\n"+keyYAML+"    certificate: "+filepath.Join(dir, "mlog.crt")+"\n  other:\n    uri: file:"+filepath.Join(dir, "other.pem")+"\n"), 0o600)
			all := &strings.Builder{}
			must := func(want cli.ExitCode, args ...string) (string, string) {
				t.Helper()
				out, errOut, code := run(t, args...)
				all.WriteString(out + errOut)
				if code != want {
					t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, out, errOut)
				}
				return out, errOut
			}

			out, errOut := must(cli.ExitOK, "generate", "--config", cfg, "--key", "mlog", "--algorithm", "ecdsa-p256")
			if !strings.Contains(out, "fingerprint:") || !strings.Contains(errOut, "key generated") {
				t.Errorf("generate printed %q / logged %q", out, errOut)
			}
			must(cli.ExitFailure, "generate", "--config", cfg, "--key", "mlog") // never overwrites

			csrFile := filepath.Join(dir, "mlog.csr")
			_, errOut = must(cli.ExitOK, "csr", "--config", cfg, "--key", "mlog", "--org", "State Procurement Department", "--member-code", "70000041", "--server-code", "ss1", "--out", csrFile)
			if !strings.Contains(errOut, "CSR created") {
				t.Errorf("CSR not logged: %s", errOut)
			}
			ca := newCA(t)
			issued := filepath.Join(dir, "issued.pem")
			leaf := ca.issue(t, csrFile, issued, 20)
			if leaf.Subject.CommonName != "70000041" || leaf.Subject.Organization[0] != "State Procurement Department" || leaf.Subject.SerialNumber != "central-server/ss1/GOV" {
				t.Errorf("issued subject %s", leaf.Subject)
			}

			out, errOut = must(cli.ExitOK, "import-cert", "--config", cfg, "--key", "mlog", issued)
			if !strings.Contains(out, "(20 days left)") || !strings.Contains(errOut, "certificate imported") {
				t.Errorf("import-cert: %q %q", out, errOut)
			}
			installed, err := os.ReadFile(filepath.Join(dir, "mlog.crt"))
			if b, _ := pem.Decode(installed); err != nil || b == nil || !bytes.Equal(b.Bytes, leaf.Raw) {
				t.Fatalf("installed certificate file does not start with the key's certificate (%v)", err)
			}

			// A certificate for another key is refused.
			must(cli.ExitOK, "generate", "--config", cfg, "--key", "other", "--algorithm", "ecdsa-p256")
			otherCSR := filepath.Join(dir, "other.csr")
			must(cli.ExitOK, "csr", "--config", cfg, "--key", "other", "--org", "X", "--member-code", "60000001", "-o", otherCSR)
			wrong := filepath.Join(dir, "wrong.pem")
			ca.issue(t, otherCSR, wrong, 100)
			_, errOut = must(cli.ExitInvalid, "import-cert", "--config", cfg, "--key", "mlog", wrong)
			if !strings.Contains(errOut, "not for this key") {
				t.Errorf("mismatch message: %s", errOut)
			}

			out, _ = must(cli.ExitOK, "list", "--config", cfg)
			if !strings.Contains(out, "mlog") || !strings.Contains(out, "EXPIRING") || !strings.Contains(out, "NO-CERT") {
				t.Errorf("list:\n%s", out)
			}
			out, _ = must(cli.ExitOK, "list", "--config", cfg, "-o", "json", "--warn-days", "10")
			var rows []struct {
				Name     string `json:"name"`
				DaysLeft *int   `json:"daysLeft"`
				Status   string `json:"status"`
			}
			if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 || rows[0].Name != "mlog" ||
				rows[0].Status != "OK" || rows[0].DaysLeft == nil || *rows[0].DaysLeft != 20 {
				t.Errorf("list json: %v %s", err, out)
			}

			out, _ = must(cli.ExitOK, "show", "--config", cfg, "--key", "mlog")
			for _, want := range []string{"ECDSA P-256", "matches key: yes", "days left:  20", "central-server/GOV/70000041"} {
				if !strings.Contains(out, want) {
					t.Errorf("show lacks %q:\n%s", want, out)
				}
			}
			if backend == "softhsm2" && !strings.Contains(out, "certificate:  on the token") {
				t.Errorf("show did not read the certificate from the token:\n%s", out)
			}
			_, errOut = must(cli.ExitInvalid, "show", "--config", cfg, "--key", "mlog", "--cert", wrong)
			if !strings.Contains(errOut, "not for this key") {
				t.Errorf("show with the wrong cert: %s", errOut)
			}
			if strings.Contains(all.String(), pin) {
				t.Error("the PIN appears in command output or logs")
			}
		})
	}
}

func TestWorldReadableKeyRefused(t *testing.T) {
	dir := t.TempDir()
	uri := "file:" + filepath.Join(dir, "k.pem")
	if _, errOut, code := run(t, "generate", "--uri", uri, "--algorithm", "ecdsa-p256"); code != cli.ExitOK {
		t.Fatalf("generate: %d %s", code, errOut)
	}
	os.Chmod(filepath.Join(dir, "k.pem"), 0o644)
	_, errOut, code := run(t, "show", "--uri", uri)
	if code != cli.ExitFailure || !strings.Contains(errOut, "chmod 600") {
		t.Errorf("world-readable key: exit %d, %s", code, errOut)
	}
}

func TestExpiredListExitsInvalid(t *testing.T) {
	dir := t.TempDir()
	_, old := certstest.SelfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "70000041"},
		NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(0, 0, -3)})
	os.WriteFile(filepath.Join(dir, "old.crt"), certstest.PEM(old), 0o644)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("keys:\n  old:\n    uri: file:/nonexistent.pem\n    certificate: "+filepath.Join(dir, "old.crt")+"\n"), 0o600)
	out, _, code := run(t, "list", "--config", cfg)
	if code != cli.ExitInvalid || !strings.Contains(out, "EXPIRED") || !strings.Contains(out, "-4") && !strings.Contains(out, "-3") {
		t.Errorf("expired: exit %d\n%s", code, out)
	}
}
