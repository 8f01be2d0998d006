package verify_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestEncryptedArchives: archives encrypted by gpg (Debian gnupg), as a
// security server with archive encryption writes *.zip.gpg, verify given
// the private key; without it, or with another key, they are reported.
func TestEncryptedArchives(t *testing.T) {
	gpg := corpus.RequireTool(t, "gpg", "apt-get install gnupg")
	home := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(gpg, append([]string{"--batch", "--homedir", home, "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, out)
		}
		return out
	}
	os.Chmod(home, 0o700)
	// Default algorithms: a signing primary key and an encryption subkey.
	run("--quick-gen-key", "Test SS <ss@example.test>", "default", "default", "never")
	keyFile := filepath.Join(t.TempDir(), "ss.asc")
	key := run("--armor", "--export-secret-keys", "ss@example.test")
	os.WriteFile(keyFile, key, 0o600)

	p := newPKI(t, false)
	dir := t.TempDir()
	prev := ""
	var plain []string
	for i := 0; i < 2; i++ {
		c := writeBatch(t, p, messages(3, 300, "gpg"+string(rune('a'+i))), false)
		path, last := writeArchive(t, dir, c, prev, "", p.now.Add(time.Duration(i)*time.Hour))
		prev = last
		plain = append(plain, path)
	}
	for _, path := range plain {
		run("--trust-model", "always", "--recipient", "ss@example.test", "--output", path+".gpg", "--encrypt", path)
		os.Remove(path)
	}

	keys, err := verify.ReadKeyRing(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.New(verify.Options{Decrypt: keys}).Paths([]string{dir}, verify.ChainOptions{First: true})
	if err != nil || !rep.Valid() || rep.Containers != 6 || len(rep.Files) != 2 {
		t.Fatalf("encrypted chain: %v\n%s", err, dump(rep))
	}
	for _, f := range rep.Files {
		if !strings.HasSuffix(f.Path, ".zip.gpg") {
			t.Errorf("report names %s, not the encrypted file", f.Path)
		}
	}
	// Without the key: a clear error per file.
	rep, _ = verify.New(verify.Options{}).Paths([]string{dir}, verify.ChainOptions{First: true})
	if rep.Valid() || !strings.Contains(dump(rep), "--gpg-key") {
		t.Fatalf("no key:\n%s", dump(rep))
	}
	// A tampered ciphertext fails (integrity protection), not silently.
	b, _ := os.ReadFile(plain[1] + ".gpg")
	b[len(b)-40] ^= 1
	os.WriteFile(plain[1]+".gpg", b, 0o600)
	rep, _ = verify.New(verify.Options{Decrypt: keys}).Paths([]string{dir}, verify.ChainOptions{First: true})
	if rep.Valid() {
		t.Fatalf("tampered ciphertext accepted:\n%s", dump(rep))
	}
}
