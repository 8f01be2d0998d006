package seal_test

import (
	"errors"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic/asictest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
)

// FuzzParse: the signatures.xml parser, and checking what it accepts,
// never panic and fail only with X-Road's codes.
func FuzzParse(f *testing.F) {
	for _, s := range asictest.Entries(f, "META-INF/signatures.xml") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := seal.Parse(data)
		var se *seal.Error
		if err != nil {
			if !errors.As(err, &se) || se.Code == "" {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if s.Certificate == nil || len(s.References) == 0 {
			t.Fatal("accepted a signature without certificate or references")
		}
		err = s.Verify(func(uri string) ([]byte, bool) {
			if uri == seal.URIMessage {
				return []byte("<m/>"), true
			}
			return nil, false
		})
		if err != nil && (!errors.As(err, &se) || se.Code == "") {
			t.Fatalf("untyped error from Verify: %v", err)
		}
	})
}

// FuzzVerifyToken: the RFC 3161 token check never panics and fails only
// with X-Road's codes.
func FuzzVerifyToken(f *testing.F) {
	for _, tok := range asictest.Entries(f, "META-INF/timestamp.tst") {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, token []byte) {
		_, err := seal.VerifyToken(token, []byte("data"), nil)
		var se *seal.Error
		if err != nil && (!errors.As(err, &se) || se.Code == "") {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
