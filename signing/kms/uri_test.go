package kms_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/signing/kms"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		in             string
		scheme, opaque string
		path, query    map[string]string
		str            string
	}{
		{in: "file:/etc/tunduk/keys/mlog.pem", scheme: "file", opaque: "/etc/tunduk/keys/mlog.pem"},
		{in: "file:///etc/tunduk/keys/mlog.pem", scheme: "file", opaque: "/etc/tunduk/keys/mlog.pem"},
		{in: "file://localhost/k.pem", scheme: "file", opaque: "/k.pem"},
		{in: "file:keys/a%20b.pem", scheme: "file", opaque: "keys/a b.pem"},
		{
			in:     "pkcs11:token=tunduk;object=mlog-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/etc/tunduk/pin",
			scheme: "pkcs11",
			path:   map[string]string{"token": "tunduk", "object": "mlog-2026", "id": ""},
			query:  map[string]string{"module-path": "/usr/lib/softhsm/libsofthsm2.so", "pin-source": "/etc/tunduk/pin"},
		},
		{
			// RFC 7512 §3 examples: percent-encoded id bytes and spaces.
			in:     "pkcs11:token=My%20token;id=%01%02;object=a%3Bb",
			scheme: "pkcs11",
			path:   map[string]string{"token": "My token", "id": "\x01\x02", "object": "a;b"},
		},
		{
			in:     "PKCS11:object=k?pin-value=1234",
			scheme: "pkcs11",
			path:   map[string]string{"object": "k"},
			query:  map[string]string{"pin-value": "1234"},
			str:    "pkcs11:object=k?pin-value=[redacted]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := kms.ParseURI(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != tt.scheme {
				t.Errorf("Scheme = %q, want %q", u.Scheme, tt.scheme)
			}
			if tt.opaque != "" && u.Opaque != tt.opaque {
				t.Errorf("Opaque = %q, want %q", u.Opaque, tt.opaque)
			}
			for k, v := range tt.path {
				if got := u.Path(k); got != v {
					t.Errorf("Path(%q) = %q, want %q", k, got, v)
				}
			}
			for k, v := range tt.query {
				if got := u.Query(k); got != v {
					t.Errorf("Query(%q) = %q, want %q", k, got, v)
				}
			}
			if tt.str != "" && u.String() != tt.str {
				t.Errorf("String() = %q, want %q", u.String(), tt.str)
			}
			// The string form parses back to the same attributes.
			if tt.str == "" {
				u2, err := kms.ParseURI(u.String())
				if err != nil {
					t.Fatalf("reparse %q: %v", u.String(), err)
				}
				if u2.String() != u.String() || u2.Opaque != u.Opaque {
					t.Errorf("round trip %q -> %q", u.String(), u2.String())
				}
			}
		})
	}
}

func TestParseURIErrors(t *testing.T) {
	for _, in := range []string{"", "/etc/key.pem", "pkcs11:token", "file://remote/k.pem", "pkcs11:object=%zz"} {
		if _, err := kms.ParseURI(in); !errors.Is(err, kms.ErrInvalidURI) {
			t.Errorf("ParseURI(%q) error = %v, want ErrInvalidURI", in, err)
		}
	}
}

func TestPINSources(t *testing.T) {
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte("98765\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		"pkcs11:object=k?pin-source=" + pinFile,
		"pkcs11:object=k?pin-source=file:" + pinFile,
		"pkcs11:object=k?pin-value=98765",
	} {
		u, err := kms.ParseURI(in)
		if err != nil {
			t.Fatal(err)
		}
		pin, err := u.PIN()
		if err != nil || pin != "98765" {
			t.Errorf("%s: PIN() = %q, %v", in, pin, err)
		}
	}
	u, _ := kms.ParseURI("pkcs11:object=k?pin-source=" + filepath.Join(dir, "missing"))
	if _, err := u.PIN(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing pin file: %v", err)
	}
}

func TestNewUnknownScheme(t *testing.T) {
	_, err := kms.New(t.Context(), kms.Options{URI: "awskms:key/1"})
	if !errors.Is(err, kms.ErrUnsupported) {
		t.Fatalf("New(awskms) = %v, want ErrUnsupported", err)
	}
}

func TestParseAlgorithm(t *testing.T) {
	if a, err := kms.ParseAlgorithm(""); err != nil || a != kms.DefaultAlgorithm {
		t.Errorf("empty: %v %v", a, err)
	}
	if a, err := kms.ParseAlgorithm("ecdsa-p256"); err != nil || !a.IsECDSA() {
		t.Errorf("ecdsa-p256: %v %v", a, err)
	}
	if _, err := kms.ParseAlgorithm("dsa1024"); !errors.Is(err, kms.ErrUnsupported) {
		t.Errorf("dsa1024: %v", err)
	}
}
