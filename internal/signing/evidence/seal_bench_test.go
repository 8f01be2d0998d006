package evidence_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence/evidencetest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
)

// BenchmarkSealed is the seal's side of receipts, per seal of 2,000
// promised records (a gateway answering 2,000 checks a second): the
// leaves added, statements.jsonl and the leaves made durable, the
// checkpoint signed and stored. ns/op is its wall time (fsyncs mostly),
// cpu-µs/seal the process CPU time; the promises are made untimed.
func BenchmarkSealed(b *testing.B) {
	signer, cert := certstest.Signing(b)
	ev, err := evidence.Open(evidence.Options{Dir: b.TempDir(), Origin: "tunduk.test/mlog", Signer: signer, Certificate: cert})
	if err != nil {
		b.Fatal(err)
	}
	defer ev.Close()
	const perSeal = 2000
	batch := make([]msglog.EvidenceRecord, perSeal)
	seq := uint64(0)
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		for i := range batch {
			seq++
			rec := exchange(int(seq), "KG/GOV/1")
			batch[i] = msglog.EvidenceRecord{Seq: seq, Group: "KG/GOV/1", Record: rec,
				MessageXML: fmt.Appendf(nil, "<message seq='%d'/>", seq)}
			ev.Appended(batch[i])
			batch[i].Record, batch[i].MessageXML = nil, nil // promised: msglog hands no bytes
		}
		b.StartTimer()
		c0 := cputime.Process()
		if err := ev.Sealed(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Process() - c0
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/seal")
}

// BenchmarkSealWithEvidence is msglog's Seal of 2,000 records with the
// evidence hook, as the gateway's background sealer runs it: the batch
// signed (hash tree, XAdES) and the evidence's leaves, fsyncs and
// checkpoint, then the seal stored. ns/op is the seal's wall time; the
// appends are made untimed.
func BenchmarkSealWithEvidence(b *testing.B) {
	f := evidencetest.Open(b, evidencetest.Options{})
	ctx := context.Background()
	const perSeal, callers = 2000, 32
	i := 0
	for b.Loop() {
		b.StopTimer()
		var wg sync.WaitGroup
		for w := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := w; k < perSeal; k += callers {
					if _, err := f.Log.Append(ctx, exchange(i+k, "KG/GOV/1")); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		i += perSeal
		b.StartTimer()
		if err := f.Log.Seal(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		f.Log.WaitArchived() // the archiving the seal started, outside the figure
		b.StartTimer()
	}
}
