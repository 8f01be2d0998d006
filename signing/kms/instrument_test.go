package kms_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/signing/kms"
)

type failing struct{ crypto.Signer }

func (failing) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("token removed")
}

func TestInstrument(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	core, logs := observer.New(zap.InfoLevel)
	s := kms.Instrument(k, kms.InstrumentOptions{Key: "mlog", Logger: zap.New(core), LogEvery: 3})
	d := sha256.Sum256([]byte("batch"))
	for range 7 {
		sig, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil || !ecdsa.VerifyASN1(&k.PublicKey, d[:], sig) {
			t.Fatalf("instrumented signature: %v", err)
		}
	}
	if !s.Public().(*ecdsa.PublicKey).Equal(&k.PublicKey) {
		t.Error("Public differs")
	}
	// Logged at 1, 3 and 6.
	if n := logs.FilterMessage("signatures made").Len(); n != 3 {
		t.Errorf("%d count lines, want 3", n)
	}
	f := kms.Instrument(failing{k}, kms.InstrumentOptions{Key: "dead", Logger: zap.New(core)})
	if _, err := f.Sign(rand.Reader, d[:], crypto.SHA256); err == nil {
		t.Fatal("failure hidden")
	}
	if n, e := f.Count(); n != 0 || e != 1 || logs.FilterMessage("signing failed").Len() != 1 {
		t.Errorf("failure count %d/%d", n, e)
	}
	want := `# HELP tunduk_signing_signature_errors_total Failed signing attempts with the key.
# TYPE tunduk_signing_signature_errors_total counter
tunduk_signing_signature_errors_total{key="mlog"} 0
# HELP tunduk_signing_signatures_total Signatures made with the key.
# TYPE tunduk_signing_signatures_total counter
tunduk_signing_signatures_total{key="mlog"} 7
`
	if err := testutil.CollectAndCompare(s, strings.NewReader(want), "tunduk_signing_signatures_total", "tunduk_signing_signature_errors_total"); err != nil {
		t.Error(err)
	}
}

// BenchmarkInstrument compares an instrumented signer with the bare key
// (the baseline) to show the wrapper's cost.
func BenchmarkInstrument(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256([]byte("batch"))
	k.Sign(rand.Reader, d[:], crypto.SHA256) // warm up P-256 tables before timing either
	for _, c := range []struct {
		name string
		s    crypto.Signer
	}{{"baseline-bare-key", k}, {"instrumented", kms.Instrument(k, kms.InstrumentOptions{Key: "b"})}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.s.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
