package packaging

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// guideCommands returns the shell commands of the README's host guide: the
// ```sh blocks between <!-- guide:begin --> and <!-- guide:end -->, so the
// guide and this test cannot drift apart.
func guideCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, "<!-- guide:begin -->"), strings.Index(s, "<!-- guide:end -->")
	if i < 0 || j < i {
		t.Fatal("README.md has no <!-- guide:begin --> … <!-- guide:end --> section")
	}
	var cmds []string
	in := false
	var cur strings.Builder
	for _, line := range strings.Split(s[i:j], "\n") {
		l := strings.TrimSpace(line)
		switch {
		case l == "```sh":
			in = true
		case l == "```" && in:
			in = false
		case in && l != "":
			cur.WriteString(l)
			if strings.HasSuffix(l, "\\") {
				cur.WriteString("\n")
				continue
			}
			cmds = append(cmds, cur.String())
			cur.Reset()
		}
	}
	if len(cmds) < 8 {
		t.Fatalf("only %d commands in the guide", len(cmds))
	}
	return cmds
}

func TestGuideCommandsExtracted(t *testing.T) {
	cmds := guideCommands(t)
	first, last := cmds[0], strings.Join(cmds, "\n")
	if !strings.HasPrefix(first, "sudo dpkg -i ./tunduk_") {
		t.Errorf("the guide does not start by installing the package: %q", first)
	}
	for _, want := range []string{"tunduk config check --config /etc/tunduk/tunduk.yaml", "--self-signed", "systemctl enable --now tunduk.service"} {
		if !strings.Contains(last, want) {
			t.Errorf("the guide lacks %q", want)
		}
	}
	if strings.Contains(last, "golang-go") || strings.Contains(last, "go build") {
		t.Error("the guide builds Go on the host; it must install the package built elsewhere")
	}
}

// TestGuideOnThrowawayRoot runs the guide's commands, as written, on this
// machine seen through a private mount namespace in which /etc, /usr, /var
// and /srv are overlays over the real ones: `dpkg -i` really installs the
// package (its postinst creates the user and directories), and nothing
// reaches the host. sudo is the identity (we are root) or setpriv for -u;
// systemctl, journalctl and curl, which need the running systemd, are
// recorded instead of run. The guide ends with `tunduk config check`
// passing as the service user.
func TestGuideOnThrowawayRoot(t *testing.T) {
	deb := buildDeb(t)
	for _, tool := range []string{"unshare", "mount", "setpriv", "openssl", "shred"} {
		corpus.RequireTool(t, tool, "apt-get install util-linux mount openssl coreutils")
	}
	if os.Geteuid() != 0 {
		msg := "the guide test mounts overlays in a private namespace: run as root (CI does)"
		corpus.Missing(t, msg)
	}
	_, statErr := os.Stat("/etc/tunduk/tunduk.yaml")
	hostHadTunduk := statErr == nil
	base := t.TempDir()
	work := filepath.Join(base, "work")
	stubs := filepath.Join(base, "stubs")
	for _, d := range []string{work, stubs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The working directory: the package and the files from the SS and the portal team.
	b, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(name, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(work, "tunduk_0.1.0_amd64.deb"), b, 0o644)
	for _, c := range []string{"ss-internal", "ss-ui", "portal-ca"} {
		write(filepath.Join(work, c+".crt"), selfSignedPEM(t, c), 0o644)
	}
	key := make([]byte, 32)
	rand.Read(key)
	write(filepath.Join(work, "ss-api-key"), []byte(hex.EncodeToString(key)+"\n"), 0o600)

	calls := filepath.Join(base, "calls")
	write(filepath.Join(stubs, "sudo"), []byte(`#!/bin/sh
# sudo for a root test: run as is, or as the -u user with its groups.
if [ "$1" = -u ]; then u=$2; shift 2; exec setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"; fi
exec "$@"
`), 0o755)
	for _, name := range []string{"systemctl", "journalctl", "curl"} {
		write(filepath.Join(stubs, name), []byte(fmt.Sprintf("#!/bin/sh\necho %s \"$@\" >> %s\n", name, calls)), 0o755)
	}

	var script strings.Builder
	script.WriteString("set -eu\n")
	for _, d := range []string{"etc", "usr", "var", "srv"} {
		up, wk := filepath.Join(base, "upper", d), filepath.Join(base, "ovlwork", d)
		os.MkdirAll(up, 0o755)
		os.MkdirAll(wk, 0o755)
		fmt.Fprintf(&script, "mount -t overlay overlay -o lowerdir=/%s,upperdir=%s,workdir=%s /%s\n", d, up, wk, d)
	}
	// What a security-server host has and this machine may not.
	script.WriteString("mkdir -p /var/lib/xroad /etc/xroad/globalconf\n")
	fmt.Fprintf(&script, "cd %s\nexport PATH=%s:$PATH\nset -x\n", work, stubs)
	for _, c := range guideCommands(t) {
		script.WriteString(c + "\n")
	}
	write(filepath.Join(base, "guide.sh"), []byte(script.String()), 0o755)

	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", filepath.Join(base, "guide.sh"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		err = <-done
	}
	if err != nil {
		t.Fatalf("the guide failed (%v):\n%s", err, out.String())
	}
	log := out.String()
	if !strings.Contains(log, "/etc/tunduk/tunduk.yaml: OK") {
		t.Errorf("tunduk config check did not report success:\n%s", log)
	}
	rec, _ := os.ReadFile(calls)
	if !strings.Contains(string(rec), "systemctl enable --now tunduk.service tunduk-archive-collect.timer") {
		t.Errorf("systemctl calls:\n%s", rec)
	}
	// Nothing escaped the namespace.
	if _, err := os.Stat("/etc/tunduk/tunduk.yaml"); err == nil && !hostHadTunduk {
		t.Error("the guide wrote to the host's /etc")
	}
	if _, err := os.Stat(filepath.Join(base, "upper/etc/tunduk/keys/mlog.crt")); err != nil {
		t.Errorf("the trial certificate was not created in the throwaway root: %v", err)
	}
	t.Logf("guide output:\n%s", log)
}

// selfSignedPEM is a certificate such as the SS or the portal team hands over.
func selfSignedPEM(t *testing.T, cn string) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
