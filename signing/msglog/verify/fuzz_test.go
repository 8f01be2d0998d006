package verify_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// FuzzContainer: verifying an untrusted container end to end (structure,
// signatures.xml, hash chains, time-stamp token, ASiCManifest) never
// panics, and every failure carries an X-Road code.
func FuzzContainer(f *testing.F) {
	for _, b := range corpus.Files(f, "asic/*/*.asice") {
		f.Add(b)
	}
	archives, _ := filepath.Glob(filepath.Join(vectorDir, "*", "*.zip"))
	for _, p := range archives[:min(len(archives), 3)] {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			continue
		}
		for _, zf := range zr.File[:min(len(zr.File), 4)] {
			if !strings.HasSuffix(zf.Name, ".asice") {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				continue
			}
			c, _ := io.ReadAll(rc)
			rc.Close()
			f.Add(c)
		}
	}
	v := verify.New(verify.Options{Limits: asic.Limits{MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20}})
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := v.Container(data)
		if err != nil {
			if verify.CodeOf(err) == "InternalError" && !strings.Contains(err.Error(), "InternalError") {
				t.Fatalf("failure without an X-Road code: %v", err)
			}
			return
		}
		if info == nil {
			t.Fatal("nil info without error")
		}
	})
}
