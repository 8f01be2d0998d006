package gateway_test

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countSigner counts the evidence's signatures (promise batches and
// checkpoints) in a gateway-receipts child.
type countSigner struct {
	crypto.Signer
	n atomic.Int64
}

func (c *countSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(r, d, o)
}

// benchSigner is the gateway-receipts child's counting signer (nil in
// other processes).
var benchSigner *countSigner

// receiptEnv reads a positive integer from the environment.
func receiptEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// receiptRequest is one check through a gateway child; every answer must
// be 200 and carry a receipt exactly when want is set.
func receiptRequest(c *http.Client, base string, want bool) func() error {
	return func() error {
		req, _ := http.NewRequest("GET", base+"/v1/suppliers/01503201010234/tax-debt", nil)
		req.Header.Set("Authorization", "Bearer "+portalKey)
		req.Header.Set("X-User-Id", officer)
		req.Header.Set("X-Issue", "tender-2026-117/lot-3")
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return &statusErr{resp.StatusCode}
		}
		if got := bytes.Contains(body, []byte(`"receipt":`)); got != want {
			return fmt.Errorf("receipt in the answer: %v, want %v", got, want)
		}
		return nil
	}
}

// rotate archives a gateway child's sealed records now (not timed: the
// archives hold the same records on both sides, and a rotation of 100 MB
// landing in one side's round by chance would outweigh what is measured).
func (c *chain) rotate(b *testing.B, client *http.Client) { c.get(b, client, "rotate") }

// idle returns once a gateway child's log has archived every batch sealed
// so far (GET /_bench/idle): the archiving a round's last seal starts in
// the background would otherwise land in the next round, the other side's.
func (c *chain) idle(b *testing.B, client *http.Client) { c.get(b, client, "idle") }

// get calls GET /_bench/what on a gateway child, which must answer 200.
func (c *chain) get(b *testing.B, client *http.Client, what string) {
	resp, err := client.Get(c.c.url + "/_bench/" + what)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %s: %d", c.name, what, resp.StatusCode)
	}
}

// seal seals a gateway child's pending records now and returns how many
// signatures its evidence made so far.
func (c *chain) seal(b *testing.B, client *http.Client) int64 {
	resp, err := client.Get(c.c.url + "/_bench/seal")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var n int64
	if _, err := fmt.Fscan(resp.Body, &n); err != nil || resp.StatusCode != 200 {
		b.Fatalf("%s: seal: %d %v", c.name, resp.StatusCode, err)
	}
	return n
}

// loadAvg is the 1-minute load average (what uptime shows first).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	x, _ := strconv.ParseFloat(f, 64)
	return x
}

// BenchmarkGatewayReceipts compares the gateway with receipts on and off,
// the signed log on in both (the shipped configuration), set up like
// BenchmarkGatewayVsReverseProxy: this process is only the load generator,
// the emulator runs in its own child and each gateway in its own (the test
// binary re-executed; the receipts side is wired as cmd/serve does with
// messageLog.evidence configured: the evidence hook signs each group
// commit's promises, adds leaves and signs a checkpoint per seal, and
// every result carries its receipt). Closed loop, 32 clients; rounds of
// TUNDUK_BENCH_ROUND_MS (default 1000) alternate on/off, the order flipped
// every pair, TUNDUK_BENCH_ROUNDS pairs (default 10), so the shared
// machine's load affects both alike. Each round ends with a seal of its
// side's records, counted in its time and CPU; then, untimed, the side
// waits until its log has archived ahead what it sealed (the seal hands
// its batches to a background archiver, whose work would otherwise land
// in the next round, the other side's: the first side of a pair ran
// 7-12 % faster than the second, 1.0 since),
// and after each pair both logs rotate (archive what is left and commit),
// untimed. Archiving is the same work on both sides (the signed log is on
// in both), so leaving it out makes the ratios harsher, not kinder: the
// same cost added to both sides would bring on/off and cpu-on/off closer
// to 1 (the archiving the rounds' own interval seals start still counts,
// on both sides). Reported:
//
//   - on/off (the quality bar: ≥ 0.95): throughput with receipts / without,
//     pooled over all rounds' requests; on/off-median-round is the median
//     of the per-pair ratios;
//   - cpu-on/off: the gateway process's CPU time per request (utime+stime
//     of the child, emulator and load generator excluded), on / off —
//     what receipts cost, which the machine's other load disturbs less
//     than throughput; with on-cpu-us/req and off-cpu-us/req;
//   - on-req/s, off-req/s, requests (both sides), records/signature (the
//     promise batches: records per evidence signature, checkpoints
//     included), records/fsync (the journal's group commits on that
//     side: the most a promise batch could hold), leaked-cpu-ms/round
//     (the CPU time the first gateway of a pair used during the second's
//     round, background work landing in the other side's round: near 0
//     (10 ms ticks) once it idles between rounds; 210-220 before) and load-1m
//     (the 1-minute load average at the end, as uptime prints it: above 2
//     the machine was shared).
//
// TUNDUK_BENCH_PROFILE_DIR=dir writes each gateway's profiles into
// dir/on and dir/off (go tool pprof -diff_base dir/off/cpu.pprof …).
func BenchmarkGatewayReceipts(b *testing.B) {
	rounds := receiptEnv("TUNDUK_BENCH_ROUNDS", 10)
	round := time.Duration(receiptEnv("TUNDUK_BENCH_ROUND_MS", 1000)) * time.Millisecond
	const clients = 32
	em := startChild(b, "emulator", "", b.TempDir())
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2048}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	side := func(mode, name string) *chain {
		env := []string{benchRotateEnv + "=1"}
		if pd := os.Getenv(benchProfileEnv); pd != "" {
			dir := filepath.Join(pd, name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			env = append(env, benchProfileEnv+"="+dir)
		}
		c := startChild(b, mode, em.url, b.TempDir(), env...)
		return &chain{name: name, c: c, do: receiptRequest(client, c.url, mode == "gateway-receipts")}
	}
	on, off := side("gateway-receipts", "on"), side("gateway", "off")
	for _, c := range []*chain{on, off} { // connections, caches, the first seal and GC cycles
		closedLoop(b, c.do, clients, round/2)
		c.seal(b, client)
		c.idle(b, client)
	}
	run := func(c *chain) {
		j0 := c.c.journalStats(b)
		cpu0 := procCPU(c.c.pid)
		start := time.Now()
		n, _ := closedLoop(b, c.do, clients, round)
		c.seal(b, client)
		el := time.Since(start)
		c.cpu += procCPU(c.c.pid) - cpu0
		c.addBatches(0, j0, c.c.journalStats(b))
		c.requests += n
		c.elapsed += el
		c.roundRPS = append(c.roundRPS, float64(n)/el.Seconds())
		c.idle(b, client)
	}
	sig0 := on.seal(b, client)
	var leaked time.Duration // CPU the first side of a pair used during the second's round
	for b.Loop() {
		for i := range rounds {
			first, second := on, off
			if i%2 == 1 {
				first, second = off, on
			}
			run(first)
			cpu0 := procCPU(first.c.pid)
			run(second)
			leaked += procCPU(first.c.pid) - cpu0
			on.rotate(b, client)
			off.rotate(b, client)
			b.Logf("round %d: on %.0f req/s, off %.0f req/s (load %.2f)", i, on.roundRPS[len(on.roundRPS)-1], off.roundRPS[len(off.roundRPS)-1], loadAvg())
		}
	}
	sigs := on.seal(b, client) - sig0
	b.ReportMetric(on.rps()/off.rps(), "on/off")
	b.ReportMetric(on.medianRatio(off), "on/off-median-round")
	b.ReportMetric(on.cpuPerRequest()/off.cpuPerRequest(), "cpu-on/off")
	b.ReportMetric(on.cpuPerRequest(), "on-cpu-us/req")
	b.ReportMetric(off.cpuPerRequest(), "off-cpu-us/req")
	b.ReportMetric(on.rps(), "on-req/s")
	b.ReportMetric(off.rps(), "off-req/s")
	b.ReportMetric(float64(on.requests+off.requests), "requests")
	b.ReportMetric(float64(on.batches[0][0])/float64(max(sigs, 1)), "records/signature")
	b.ReportMetric(on.recordsPerFsync(0), "records/fsync")
	b.ReportMetric(float64(leaked.Milliseconds())/float64(rounds), "leaked-cpu-ms/round")
	b.ReportMetric(loadAvg(), "load-1m")
}
