package verify_test

import (
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic/asictest"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// FuzzContainer: verifying an untrusted container end to end (structure,
// signatures.xml, hash chains, time-stamp token, ASiCManifest) never
// panics, and every failure carries an X-Road code.
func FuzzContainer(f *testing.F) {
	cs, _ := asictest.Seeds(f)
	for _, c := range cs {
		f.Add(c)
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
