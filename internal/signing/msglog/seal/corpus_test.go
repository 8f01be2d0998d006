package seal_test

import (
	"archive/zip"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func unzip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	m := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		m[f.Name] = b
	}
	return m
}

// TestCorpusSignatures checks the XAdES signatures of X-Road's own
// containers: valid ones verify, the two tampered ones give
// InvalidSignatureValue (asic/EXPECTATIONS.md), and embedded time-stamps
// cover the SignatureValue.
func TestCorpusSignatures(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "asic"), "asic-verifier-cli")
	cases := map[string]string{
		"valid-signed-message.asice":             "",
		"valid-signed-hashchain.asice":           "",
		"valid-batch-ts.asice":                   "",
		"valid-non-batch-rest.asice":             "",
		"valid-non-batch-soap-attachments.asice": "",
		"wrong-message.asice":                    seal.CodeInvalidSignatureValue,
		"invalid-digest.asice":                   seal.CodeInvalidSignatureValue,
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			files := unzip(t, filepath.Join(dir, name))
			s, err := seal.Parse(files["META-INF/signatures.xml"])
			if err != nil {
				t.Fatal(err)
			}
			err = s.Verify(func(uri string) ([]byte, bool) {
				b, ok := files[strings.TrimPrefix(uri, "/")]
				return b, ok
			})
			if want == "" && err != nil {
				t.Fatal(err)
			}
			if want != "" {
				se, ok := err.(*seal.Error)
				if !ok || se.Code != want {
					t.Fatalf("want %s, got %v", want, err)
				}
			}
			if s.Timestamp != nil {
				info, err := seal.VerifyToken(s.Timestamp, s.SignatureValue, nil)
				if err != nil {
					t.Fatalf("embedded time-stamp: %v", err)
				}
				t.Logf("genTime %v checked=%v", info.GenTime, info.SignatureChecked)
			}
		})
	}
}
