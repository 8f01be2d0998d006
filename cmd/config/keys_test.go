package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestKeysSection(t *testing.T) {
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	os.WriteFile(pinFile, []byte("123456\n"), 0o600)
	cfg, err := Parse("ok.yaml", []byte(`keys:
  mlog:
    uri: pkcs11:token=tunduk;object=mlog-2026?module-path=/usr/lib/softhsm/libsofthsm2.so
    certificate: /etc/tunduk/keys/mlog.crt
    pinFile: `+pinFile+`
  dev:
    uri: file:/etc/tunduk/keys/dev.pem
  env:
    uri: pkcs11:object=e?module-path=/m.so
    pinEnv: TUNDUK_TEST_PIN
  inline:
    uri: pkcs11:object=i?module-path=/m.so
    pin: "999999"
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Keys.Names(), ","); got != "dev,env,inline,mlog" {
		t.Fatalf("names %s", got)
	}
	o, err := cfg.Keys["mlog"].KMSOptions(nil)
	if err != nil || o.PIN != "123456" || o.URI != cfg.Keys["mlog"].URI {
		t.Errorf("pinFile: %+v %v", o.URI, err)
	}
	if _, err := cfg.Keys["env"].KMSOptions(nil); err == nil {
		t.Error("unset pinEnv accepted")
	}
	t.Setenv("TUNDUK_TEST_PIN", "777")
	if o, err := cfg.Keys["env"].KMSOptions(nil); err != nil || o.PIN != "777" {
		t.Errorf("pinEnv: %v", err)
	}
	if o, _ := cfg.Keys["inline"].KMSOptions(nil); o.PIN != "999999" {
		t.Error("inline pin not passed on")
	}
	if o, _ := cfg.Keys["dev"].KMSOptions(nil); o.PIN != "" {
		t.Error("file key got a PIN")
	}
	// The marshalled config hides the inline PIN.
	out, err := yaml.Marshal(cfg.Keys)
	if err != nil || strings.Contains(string(out), "999999") || !strings.Contains(string(out), "[redacted]") {
		t.Errorf("marshalled keys leak the PIN or lost it: %s", out)
	}
}

func TestKeysProblems(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"keys:\n  Bad Name:\n    uri: file:/k.pem\n", `bad.yaml:2: keys.Bad Name: key name`},
		{"keys:\n  a:\n    certificate: /x\n", "bad.yaml:2: keys.a.uri: empty"},
		{"keys:\n  a:\n    uri: /etc/k.pem\n", "keys.a.uri: kms:"},
		{"keys:\n  a:\n    uri: awskms:k\n", `scheme "awskms"`},
		{"keys:\n  a:\n    uri: file:/k.pem\n    pinFile: /p\n", "a file key has no PIN"},
		{"keys:\n  a:\n    uri: pkcs11:object=a?module-path=/m.so\n", "no PIN source"},
		{"keys:\n  a:\n    uri: pkcs11:object=a?module-path=/m.so&pin-value=1234\n", "pin-value puts the PIN in the URI"},
		{"keys:\n  a:\n    uri: pkcs11:object=a?pin-source=/p\n", "no module-path"},
		{"keys:\n  a:\n    uri: pkcs11:token=t?module-path=/m.so&pin-source=/p\n", "names no object= or id="},
		{"keys:\n  a:\n    uri: pkcs11:object=a?module-path=/m.so&pin-source=/p\n    pinEnv: X\n", "more than one PIN source"},
		{"keys:\n  a:\n    uri: file:/k.pem\n    pim: 1\n", `bad.yaml:4: keys.a.pim: unknown key; did you mean "pin"?`},
	} {
		_, err := Parse("bad.yaml", []byte(tc.yaml))
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "1234") {
			t.Errorf("PIN in error: %v", err)
		}
	}
}
