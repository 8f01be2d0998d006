package gateway_test

import (
	"bytes"
	"crypto"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence/evidencetest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
)

// receiptStack is the in-process chain (load generator → gateway →
// emulated security server → fixture providers) with the signed message
// log on, as shipped (batch interval 1 s, group commit), and receipts on
// or off: on, the log has its evidence hook (a statement signed per
// record, leaves and a checkpoint per seal) and every result carries its
// receipt; off, neither.
func receiptStack(b *testing.B, on bool) *receiptSide {
	b.Helper()
	key, cert := certstest.Signing(b)
	side := &receiptSide{on: on, signer: &countSigner{Signer: key}}
	f := evidencetest.Open(b, evidencetest.Options{Signer: key, Certificate: cert, EvidenceSigner: side.signer, NoEvidence: !on,
		Log: func(o *msglog.Options) { o.BatchInterval, o.RotateInterval = 0, 0 }}) // the shipped intervals
	l, ev := f.Log, f.Evidence
	st := newStack(b, stackOptions{
		runner: func(o *adapter.RunnerOptions) {
			o.Journal = &recorder.Recorder{Log: l, Member: "central-server/GOV/70000001/portal", Direction: "consumer"}
			if on {
				o.Receipts = receipts{ev}
			}
		},
		gateway: func(o *gateway.Options) {
			if on {
				o.Receipts = receipts{ev}
			}
		},
	})
	side.stack, side.log = st, l
	return side
}

// receiptSide is one side of the comparison: its stack and its log.
type receiptSide struct {
	*stack
	log    *msglog.Log
	on     bool
	served atomic.Int64
	signer *countSigner // counts the evidence's signatures (promise batches and checkpoints)
}

type countSigner struct {
	crypto.Signer
	n atomic.Int64
}

func (c *countSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(r, d, o)
}

// closedLoop runs clients concurrent GET checks for d and returns the
// requests completed per second; every answer must be 200 and, with
// receipts on, carry one.
// Each round ends with a seal of the side's records, counted in its time
// and CPU, so that no background seal runs in the other side's round.
func receiptLoop(b *testing.B, s *receiptSide, client *http.Client, clients int, d time.Duration) (rate, cpuPerReq float64) {
	wantReceipt := s.on
	var done, bad atomic.Int64
	cpu0 := cputime.Process()
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("GET", s.api.URL+"/v1/suppliers/01503201010234/tax-debt", nil)
				req.Header.Set("Authorization", "Bearer "+portalKey)
				req.Header.Set("X-User-Id", officer)
				req.Header.Set("X-Issue", "tender-2026-117/lot-3")
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || wantReceipt != bytes.Contains(body, []byte(`"receipt":`)) {
					bad.Add(1)
					continue
				}
				done.Add(1)
				s.served.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		b.Fatalf("%d bad answers (receipts %v)", n, wantReceipt)
	}
	if err := s.log.Seal(b.Context()); err != nil {
		b.Fatal(err)
	}
	n := float64(done.Load())
	return n / time.Since(start).Seconds(), float64(cputime.Process()-cpu0) / n
}

// receiptEnv reads a positive integer from the environment.
func receiptEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkGatewayReceipts compares the gateway's throughput with
// receipts on and off, the signed log on in both (the shipped
// configuration). Both sides are the same in-process harness (newStack:
// load generator, gateway, emulated security server and providers share
// the process and the machine), so the absolute numbers mean little but
// the ratio is fair: rounds alternate on/off (order flipped every pair) so
// the shared machine's load affects both alike. Reported: on/off (the
// throughput ratio, median of the per-pair ratios; the target is ≥ 0.95),
// cpu-on/off (the process's CPU time per request, on / off: what receipts
// cost, less disturbed by the machine's other load than throughput),
// on-req/s, off-req/s, on-cpu-µs/req and off-cpu-µs/req (medians; CPU is
// the whole process's, emulator and load generator included), and
// pooled-on/off and pooled-cpu-on/off (the same ratios over all rounds'
// requests rather than per pair). TUNDUK_BENCH_ROUNDS pairs (default 6)
// of TUNDUK_BENCH_ROUND_MS (default 1000) each.
func BenchmarkGatewayReceipts(b *testing.B) {
	rounds := receiptEnv("TUNDUK_BENCH_ROUNDS", 6)
	round := time.Duration(receiptEnv("TUNDUK_BENCH_ROUND_MS", 1000)) * time.Millisecond
	const clients = 32
	on, off := receiptStack(b, true), receiptStack(b, false)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * clients}}
	// Warm both (connections, caches, the first seal).
	receiptLoop(b, on, client, clients, round/2)
	receiptLoop(b, off, client, clients, round/2)
	b.ResetTimer()
	// TUNDUK_BENCH_SIDE=on (or off) runs one side only, for profiling
	// one against the other (go test -cpuprofile, pprof -diff_base).
	if side := os.Getenv("TUNDUK_BENCH_SIDE"); side != "" {
		s := map[bool]*receiptSide{true: on, false: off}[side == "on"]
		for b.Loop() {
			r, c := receiptLoop(b, s, client, clients, time.Duration(rounds)*round)
			b.ReportMetric(r, side+"-req/s")
			b.ReportMetric(c/1e3, side+"-cpu-µs/req")
		}
		return
	}
	for b.Loop() {
		var ratios, cpuRatios, onRates, offRates, onCPU, offCPU []float64
		// Pooled over rounds (rounds last alike, so a round's rate weighs
		// its requests): throughput Σon/Σoff, CPU Σcpu/Σrequests per side.
		var onSum, offSum, onCPUSum, offCPUSum float64
		for i := range rounds {
			var r1, r0, c1, c0 float64
			if i%2 == 0 {
				r1, c1 = receiptLoop(b, on, client, clients, round)
				r0, c0 = receiptLoop(b, off, client, clients, round)
			} else {
				r0, c0 = receiptLoop(b, off, client, clients, round)
				r1, c1 = receiptLoop(b, on, client, clients, round)
			}
			b.Logf("round %d: on %.0f req/s %.0f µs CPU/req, off %.0f req/s %.0f µs CPU/req", i, r1, c1/1e3, r0, c0/1e3)
			ratios, cpuRatios = append(ratios, r1/r0), append(cpuRatios, c1/c0)
			onRates, offRates, onCPU, offCPU = append(onRates, r1), append(offRates, r0), append(onCPU, c1), append(offCPU, c0)
			onSum, offSum, onCPUSum, offCPUSum = onSum+r1, offSum+r0, onCPUSum+r1*c1, offCPUSum+r0*c0
		}
		b.ReportMetric(onSum/offSum, "pooled-on/off")
		b.ReportMetric((onCPUSum/onSum)/(offCPUSum/offSum), "pooled-cpu-on/off")
		b.ReportMetric(receiptMedian(ratios), "on/off")
		b.ReportMetric(receiptMedian(cpuRatios), "cpu-on/off")
		b.ReportMetric(receiptMedian(onRates), "on-req/s")
		b.ReportMetric(receiptMedian(offRates), "off-req/s")
		b.ReportMetric(receiptMedian(onCPU)/1e3, "on-cpu-µs/req")
		b.ReportMetric(receiptMedian(offCPU)/1e3, "off-cpu-µs/req")
		b.ReportMetric(float64(on.served.Load())/float64(max(on.signer.n.Load(), 1)), "records/signature")
	}
}

func receiptMedian(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
