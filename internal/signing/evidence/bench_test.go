package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
	"github.com/tunduk-kg/tunduk/signing/receipt"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// BenchmarkReceipt measures, per record of about 4 KiB (message.xml and
// two bodies), SHA-256 of the record's bytes (the baseline), creating its
// promise (leaf digests, statement, one ECDSA P-256 signature) and
// verifying a sealed receipt offline (statement and checkpoint signatures,
// inclusion proof), each with its ratio to SHA-256 of the same bytes
// measured beside it (x-sha256); create-batch8 is the cost per record of
// a promise signed in a batch of 8, as evidence.Log signs the records
// appended together.
func BenchmarkReceipt(b *testing.B) {
	signer, cert := certstest.Signing(b)
	rec := msglog.EvidenceRecord{Seq: 42, Record: exchange(42, "KG/GOV/1"),
		MessageXML: bytes.Repeat([]byte("<x/>"), 512), Attachments: [][]byte{bytes.Repeat([]byte("q"), 1024), bytes.Repeat([]byte("a"), 1024)}}
	sum := func() {
		h := sha256.New()
		h.Write(rec.MessageXML)
		for _, a := range rec.Attachments {
			h.Write(a)
		}
		h.Sum(nil)
	}
	// The baseline, measured again beside each sub-benchmark so that each
	// ratio (x-sha256) compares figures of the same moment.
	perSHA := func() float64 {
		// The baseline timed by hand (testing.Benchmark cannot run inside
		// a benchmark): the median of 5 runs of 2000 sums.
		var ts []float64
		for range 5 {
			t0 := time.Now()
			for range 2000 {
				sum()
			}
			ts = append(ts, float64(time.Since(t0).Nanoseconds())/2000)
		}
		slices.Sort(ts)
		return ts[2]
	}
	ratio := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perSHA(), "x-sha256")
	}
	b.Run("sha256", func(b *testing.B) {
		for b.Loop() {
			sum()
		}
	})
	b.Run("create", func(b *testing.B) {
		for b.Loop() {
			st := evidence.Statement("tunduk.test/mlog", rec)
			if _, err := receipt.NewPromise(st, signer, nil); err != nil {
				b.Fatal(err)
			}
		}
		ratio(b)
	})
	// Promises are signed per batch of the records appended together
	// (evidence.Log); per record, a batch of 8 costs this.
	b.Run("create-batch8", func(b *testing.B) {
		sts := make([]*receipt.Statement, 8)
		for b.Loop() {
			for i := range sts {
				sts[i] = evidence.Statement("tunduk.test/mlog", rec)
			}
			if _, err := receipt.NewPromises(sts, signer, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/8/perSHA(), "x-sha256")
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
		ratio(b)
	})
}

// BenchmarkAppendWithReceipt measures what receipts add to the signed
// log's append path, per record: off is msglog.Append alone (the
// journal's group commit included), on adds the evidence hook (statement
// signed) and the receipt a check answers with (AnswerJSON). The seal
// of each round's records is counted in its round, the archiving it
// starts in neither (see BenchmarkGatewayReceipts). Reported: on/off-cpu
// (process CPU time per record, on / off, median over interleaved rounds),
// added-cpu-µs/record (the mean difference), and on-p50-µs, on-p99-µs,
// off-p50-µs, off-p99-µs: the latency of a caller's Append (and, on, its
// AnswerJSON) over all rounds.
func BenchmarkAppendWithReceipt(b *testing.B) {
	signer, cert := certstest.Signing(b)
	type side struct {
		log *msglog.Log
		ev  *evidence.Log
	}
	mk := func(on bool) side {
		dir := b.TempDir()
		var s side
		o := msglog.Options{Dir: dir + "/log", ArchiveDir: dir + "/archive", Signer: signer, Certificate: cert, GroupBy: msglog.GroupMember}
		if on {
			ev, err := evidence.Open(evidence.Options{Dir: dir + "/ev", Origin: "tunduk.test/mlog", Signer: signer, Certificate: cert})
			if err != nil {
				b.Fatal(err)
			}
			s.ev, o.Evidence = ev, ev
		}
		l, err := msglog.Open(o)
		if err != nil {
			b.Fatal(err)
		}
		s.log = l
		b.Cleanup(func() {
			l.Close()
			if s.ev != nil {
				s.ev.Close()
			}
		})
		return s
	}
	on, off := mk(true), mk(false)
	var lat [2][]time.Duration // off, on
	var latMu sync.Mutex
	run := func(s side, n int) time.Duration {
		c0 := cputime.Process()
		var wg sync.WaitGroup
		for w := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ls := make([]time.Duration, 0, n/32+1)
				defer func() {
					latMu.Lock()
					k := 0
					if s.ev != nil {
						k = 1
					}
					lat[k] = append(lat[k], ls...)
					latMu.Unlock()
				}()
				for i := w; i < n; i += 32 {
					rec := exchange(i, "KG/GOV/1")
					t0 := time.Now()
					seq, err := s.log.Append(context.Background(), rec)
					if err != nil {
						b.Error(err)
						return
					}
					if s.ev != nil {
						if _, err := s.ev.AnswerJSON(seq); err != nil {
							b.Error(err)
							return
						}
					}
					ls = append(ls, time.Since(t0))
				}
			}()
		}
		wg.Wait()
		// Seal now, so that no background seal of this side's records
		// runs (and is counted) in the other side's round; nor, untimed,
		// the archiving the seal starts (the same work on both sides).
		if err := s.log.Seal(context.Background()); err != nil {
			b.Fatal(err)
		}
		cpu := (cputime.Process() - c0) / time.Duration(n)
		s.log.WaitArchived()
		return cpu
	}
	const n = 2000
	var ratios []float64
	var onCPU, offCPU time.Duration
	for b.Loop() {
		for r := range 4 {
			var c1, c0 time.Duration
			if r%2 == 0 {
				c1, c0 = run(on, n), run(off, n)
			} else {
				c0, c1 = run(off, n), run(on, n)
			}
			ratios = append(ratios, float64(c1)/float64(c0))
			onCPU, offCPU = onCPU+c1, offCPU+c0
		}
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "on/off-cpu")
	b.ReportMetric(float64(onCPU-offCPU)/float64(len(ratios))/1e3, "added-cpu-µs/record")
	for k, name := range []string{"off", "on"} {
		slices.Sort(lat[k])
		b.ReportMetric(float64(lat[k][len(lat[k])/2].Nanoseconds())/1e3, name+"-p50-µs")
		b.ReportMetric(float64(lat[k][len(lat[k])*99/100].Nanoseconds())/1e3, name+"-p99-µs")
	}
}

// BenchmarkPromise measures the evidence hook's promise path alone, per
// record, as the message log drives it: groups of 9 records (a journal
// group commit at the gateway benchmark's load), with a 3 KiB
// message.xml and 1 and 2 KiB bodies, are promised together on the
// journal's writer (msglog.EvidencePromises; this benchmark's loop), then
// their appenders are woken, each on its own goroutine (long-lived, as a
// server's are), and each asks for the receipt its answer carries
// (AnswerJSON) once Promise's done has come. Every 200 groups the records are sealed
// (Sealed: leaves and a checkpoint), outside the figure. Reported:
// cpu-µs/record (process CPU time: hashing, statement, signature share,
// statements file, receipt JSON, scheduling and GC), records/signature
// (checkpoints excluded) and writer-µs/group (wall time the journal's
// writer spends in Promise per group before it goes on to the next group:
// with this fast key it signs the group itself, see Promise). Sub-benchmarks: the leaf version (v2, the
// log's default, hashes message.xml only; v1 the bodies too).
func BenchmarkPromise(b *testing.B) {
	for _, v := range []int{tlog.LeafV1, tlog.LeafV2} {
		b.Run(fmt.Sprintf("leaf=v%d", v), func(b *testing.B) { benchmarkPromise(b, v) })
	}
}

func benchmarkPromise(b *testing.B, leafVersion int) {
	ev, counting, _ := openCounting(b)
	const group = 9
	xml := bytes.Repeat([]byte("<x/>"), 768)
	atts := [][]byte{bytes.Repeat([]byte("q"), 1024), bytes.Repeat([]byte("a"), 2048)}
	var promises msglog.EvidencePromises = ev
	record := func(s uint64) msglog.EvidenceRecord {
		r := exchange(int(s), "KG/GOV/1")
		r.Leaf = leafVersion
		return msglog.EvidenceRecord{Seq: s, Group: "KG/GOV/1", Record: r, MessageXML: xml, Attachments: atts}
	}
	var inWriter time.Duration
	recs := make([]msglog.EvidenceRecord, group)
	var wg sync.WaitGroup
	work := make([]chan uint64, group)
	for i := range work {
		work[i] = make(chan uint64)
		go func() {
			for s := range work[i] {
				if _, err := ev.AnswerJSON(s); err != nil {
					b.Error(err)
				}
				wg.Done()
			}
		}()
	}
	defer func() {
		for _, w := range work {
			close(w)
		}
	}()
	var seq, sealed uint64
	var sealCPU, sealSigs time.Duration
	seal := func() {
		c, n := cputime.Process(), counting.n.Load()
		var recs []msglog.EvidenceRecord
		for ; sealed < seq; sealed++ {
			recs = append(recs, msglog.EvidenceRecord{Seq: sealed + 1, Group: "KG/GOV/1"})
		}
		if err := ev.Sealed(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
		sealCPU += cputime.Process() - c
		sealSigs += time.Duration(counting.n.Load() - n)
	}
	c0 := cputime.Process()
	for b.Loop() {
		for i := range recs {
			recs[i] = record(seq + 1 + uint64(i))
		}
		done := make(chan struct{})
		t0 := time.Now()
		promises.Promise(recs, func() { close(done) })
		inWriter += time.Since(t0)
		<-done
		wg.Add(group)
		for i, w := range work {
			w <- seq + 1 + uint64(i)
		}
		wg.Wait()
		if seq += group; seq-sealed >= 200*group {
			seal()
		}
	}
	b.ReportMetric(float64(cputime.Process()-c0-sealCPU)/1e3/float64(seq), "cpu-µs/record")
	b.ReportMetric(float64(seq)/float64(max(counting.n.Load()-int64(sealSigs), 1)), "records/signature")
	b.ReportMetric(float64(inWriter.Nanoseconds())/1e3/float64(seq/group), "writer-µs/group")
}
