package evidence_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence/evidencetest"
	"github.com/tunduk-kg/tunduk/signing/receipt"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// TestSealPowerLoss: what a power loss can leave of a seal's evidence.
// statements.jsonl and the leaves are fsynced (concurrently) before a
// checkpoint is signed; the checkpoint is not fsynced. So after a crash
// the latest checkpoint may be gone (or empty), and a statement line and
// a leaf record being written may be torn. Reopened, the log signs a
// checkpoint of every durable leaf again, and every receipt answered
// before the crash — the promise and the inclusion in the lost checkpoint,
// with a consistency proof from an older checkpoint a third party holds —
// verifies against it.
func TestSealPowerLoss(t *testing.T) {
	signer, cert := certstest.Signing(t)
	dir := t.TempDir()
	const member = "KG/GOV/70000001"
	for _, lost := range []string{"gone", "empty"} {
		t.Run(lost, func(t *testing.T) {
			dir := filepath.Join(dir, lost)
			f := open(t, dir, signer, cert)
			ctx := context.Background()
			var seqs []uint64
			var held, witnessed []byte // the lost checkpoint; an older one a witness holds
			for i, n := range []int{4, 3} {
				for j := range n {
					seq, err := f.log.Append(ctx, exchange(10*i+j, member))
					if err != nil {
						t.Fatal(err)
					}
					seqs = append(seqs, seq)
				}
				if err := f.log.Seal(ctx); err != nil {
					t.Fatal(err)
				}
				witnessed, held = held, f.ev.Checkpoint(member)
			}
			answered := map[uint64][]byte{}
			for _, seq := range seqs {
				r, err := f.ev.Receipt(seq, 0)
				if err != nil {
					t.Fatal(err)
				}
				answered[seq] = marshal(t, r)
			}
			f.Close()
			cps, _ := filepath.Glob(filepath.Join(dir, "evidence", "tlog", "*", "checkpoint"))
			if len(cps) != 1 {
				t.Fatalf("checkpoint files: %v", cps)
			}
			crash := map[string]func() error{
				"gone":  func() error { return os.Remove(cps[0]) },
				"empty": func() error { return os.WriteFile(cps[0], nil, 0o640) },
			}
			if err := crash[lost](); err != nil {
				t.Fatal(err)
			}
			for file, torn := range map[string][]byte{
				filepath.Join(dir, "evidence", "statements.jsonl"): []byte(`{"seq":99,"statem`),
				filepath.Join(filepath.Dir(cps[0]), "leaves"):      {0, 0, 0, 0, 0, 0, 0, 99, 1, 2},
			} {
				fd, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				fd.Write(torn)
				fd.Close()
			}
			f = open(t, dir, signer, cert)
			now := f.ev.Checkpoint(member)
			pub := cert.PublicKey
			c, err := tlog.ParseCheckpoint(now, evidencetest.Origin+"/"+member, pub)
			if err != nil {
				t.Fatalf("no checkpoint after the crash: %v", err)
			}
			h, _ := tlog.ParseCheckpoint(held, "", pub)
			if c.Size != uint64(len(seqs)) || !bytes.Equal(c.Root, h.Root) {
				t.Fatalf("checkpoint after the crash: size %d, want %d with the lost one's root", c.Size, len(seqs))
			}
			w, _ := tlog.ParseCheckpoint(witnessed, "", pub)
			for _, seq := range seqs {
				// What the caller was answered, checked against the
				// checkpoint signed after the crash (same tree).
				if _, err := receipt.Verify(answered[seq], receipt.Options{Certificate: cert, Checkpoint: now}); err != nil {
					t.Errorf("seq %d: answered receipt: %v", seq, err)
				}
				// What the log serves now, for a verifier holding the
				// older witnessed checkpoint.
				r, err := f.ev.Receipt(seq, w.Size)
				if err != nil {
					t.Fatal(err)
				}
				if res, err := receipt.Verify(marshal(t, r), receipt.Options{Certificate: cert, Checkpoint: witnessed}); err != nil || !res.Sealed {
					t.Errorf("seq %d: receipt after the crash: %+v %v", seq, res, err)
				}
			}
		})
	}
}
