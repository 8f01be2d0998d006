package kms_test

import (
	"testing"

	"github.com/tunduk-kg/tunduk/signing/kms"
)

// FuzzParseURI: any input parses or fails cleanly, and what parses prints
// to a form that parses back to the same thing.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"file:/etc/tunduk/keys/mlog.pem",
		"file:///k.pem",
		"pkcs11:token=tunduk;object=mlog-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/etc/tunduk/pin",
		"pkcs11:id=%01%02;object=a%3Bb",
		"pkcs11:object=k?pin-value=1234",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := kms.ParseURI(s)
		if err != nil {
			return
		}
		enc := u.Encode()
		u2, err := kms.ParseURI(enc)
		if err != nil {
			t.Fatalf("%q encodes to %q which does not parse: %v", s, enc, err)
		}
		if u2.Encode() != enc {
			t.Fatalf("%q: %q re-encodes to %q", s, enc, u2.Encode())
		}
	})
}
