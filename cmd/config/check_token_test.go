//go:build cgo

package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/secretfile"
	"github.com/tunduk-kg/tunduk/signing/kms"
	_ "github.com/tunduk-kg/tunduk/signing/kms/pkcs11kms" // pkcs11: keys
	"github.com/tunduk-kg/tunduk/signing/kms/pkcs11kms/softhsmtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	softhsmtest.Cleanup()
	os.Exit(code)
}

// Keys on a real token: the one that is there and matches its
// certificate passes; an object that is not on the token, a wrong PIN and
// a certificate of another key are each reported at their line.
func TestCheckOpensKeysOnTheToken(t *testing.T) {
	const pin = "246810"
	mod := softhsmtest.Token(t, "check", pin)
	dir := t.TempDir()
	k := pki{dir: dir, t: t}
	pinFile := k.write(filepath.Join(dir, "pin"), []byte(pin+"\n"), 0o600)
	badPIN := k.write(filepath.Join(dir, "bad.pin"), []byte("000000\n"), 0o600)
	uri := func(object string) string {
		return "pkcs11:token=check;object=" + object + "?module-path=" + mod
	}
	km, err := kms.New(context.Background(), kms.Options{URI: uri("mlog"), PIN: pin})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: uri("mlog"), Algorithm: kms.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: resp.Name})
	if err != nil {
		t.Fatal(err)
	}
	cert := k.certFor("mlog", signer, time.Now().Add(365*24*time.Hour))
	km.Close()
	otherCert, _ := k.cert("other", time.Now().Add(365*24*time.Hour))
	cfg := `keys:
  mlog:
    uri: ` + uri("mlog") + `
    certificate: ` + cert + `
    pinFile: ` + pinFile + `
  absent:
    uri: ` + uri("absent") + `
    pinFile: ` + pinFile + `
  wrongpin:
    uri: ` + uri("mlog") + `
    pinFile: ` + badPIN + `
  wrongcert:
    uri: ` + uri("mlog") + `
    certificate: ` + otherCert + `
    pinFile: ` + pinFile + `
`
	path := k.write(filepath.Join(dir, "tunduk.yaml"), []byte(cfg), 0o600)
	r := Check(context.Background(), path, CheckOptions{Account: secretfile.Current(), OpenKeys: true})
	got := r.Errors.Error()
	for _, w := range []string{
		"tunduk.yaml:7: keys.absent.uri: the key is not reachable",
		"tunduk.yaml:10: keys.wrongpin.uri: cannot open the key store",
		"tunduk.yaml:14: keys.wrongcert.certificate: " + otherCert + " is not the certificate of this key",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("errors:\n%s\nwant a line containing %q", got, w)
		}
	}
	if strings.Contains(got, "000000") || strings.Contains(got, pin) {
		t.Errorf("a PIN is in the report:\n%s", got)
	}
	if strings.Contains(got, "keys.mlog") || len(r.Errors) != 3 {
		t.Errorf("want exactly the three bad keys refused:\n%s", got)
	}
}
