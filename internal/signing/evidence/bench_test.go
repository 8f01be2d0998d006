package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/receipt"
)

// BenchmarkReceipt measures, per record of about 4 KiB (message.xml and
// two bodies), SHA-256 of the record's bytes (the baseline), creating its
// promise (leaf digests, statement, one ECDSA P-256 signature) and
// verifying a sealed receipt offline (statement and checkpoint signatures,
// inclusion proof). Compare the three in one run; the ratio is what counts.
func BenchmarkReceipt(b *testing.B) {
	signer, cert := testKey(b)
	rec := msglog.EvidenceRecord{Seq: 42, Record: exchange(42, "KG/GOV/1"),
		MessageXML: bytes.Repeat([]byte("<x/>"), 512), Attachments: [][]byte{bytes.Repeat([]byte("q"), 1024), bytes.Repeat([]byte("a"), 1024)}}
	b.Run("sha256", func(b *testing.B) {
		for b.Loop() {
			h := sha256.New()
			h.Write(rec.MessageXML)
			for _, a := range rec.Attachments {
				h.Write(a)
			}
			h.Sum(nil)
		}
	})
	b.Run("create", func(b *testing.B) {
		for b.Loop() {
			st := evidence.Statement("tunduk.test/mlog", rec)
			if _, err := receipt.NewPromise(st, signer, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	f := open(b, b.TempDir(), signer, cert)
	var seq uint64
	for i := 0; i < 1000; i++ {
		s, err := f.log.Append(context.Background(), exchange(i, "KG/GOV/1"))
		if err != nil {
			b.Fatal(err)
		}
		if i == 500 {
			seq = s
		}
	}
	if err := f.log.Seal(context.Background()); err != nil {
		b.Fatal(err)
	}
	r, err := f.ev.Receipt(seq, 0)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := json.Marshal(r)
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := receipt.Verify(data, receipt.Options{Certificate: cert}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
