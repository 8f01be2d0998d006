package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

const (
	// benchSealEnv, set in a gateway child, turns the log's seal timer
	// off: the load generator seals (GET /_bench/seal).
	benchSealEnv = "TUNDUK_BENCH_SEAL_MANUAL"
	// benchRoundLogEnv names a file BenchmarkGatewayReceipts writes one
	// line per round into (tab-separated, with a header).
	benchRoundLogEnv = "TUNDUK_BENCH_ROUND_LOG"
	// benchProfileRoundsEnv, set in a gateway child, is the directory its
	// CPU, allocation, block and mutex profiles go to; they cover what
	// lies between GET /_bench/profile-start and /_bench/profile-stop.
	benchProfileRoundsEnv = "TUNDUK_BENCH_PROFILE_ROUNDS"
	// benchABEnv names another build of this test binary (go test -c):
	// its gateway, with receipts on too, replaces the "off" side, so that
	// on/off compares this build's receipts to that one's (an A/B of a
	// change, in the same alternated rounds); bar-met then means nothing.
	benchABEnv = "TUNDUK_BENCH_AB_BINARY"
)

// childBinary is the test binary a side's gateway runs ("" this one; see
// benchABEnv).
var childBinary = map[string]string{}

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

// benchSigner and benchEvidence are the gateway-receipts child's counting
// signer and evidence log (nil in other processes).
var (
	benchSigner   *countSigner
	benchEvidence *evidence.Log
)

// receiptsBenchHandlers are the gateway child's endpoints only
// BenchmarkGatewayReceipts uses (see timed for the others).
var receiptsBenchHandlers = map[string]func(http.ResponseWriter, *http.Request, *msglog.Log){
	"/_bench/profile-start": func(w http.ResponseWriter, _ *http.Request, _ *msglog.Log) {
		roundProfile.Lock()
		defer roundProfile.Unlock()
		dir := os.Getenv(benchProfileRoundsEnv)
		if dir == "" || roundProfile.stop != nil {
			return
		}
		stop, err := profile(dir)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		roundProfile.stop = stop
	},
	"/_bench/profile-stop": func(http.ResponseWriter, *http.Request, *msglog.Log) {
		roundProfile.Lock()
		defer roundProfile.Unlock()
		if roundProfile.stop != nil {
			roundProfile.stop()
			roundProfile.stop = nil
		}
	},
	"/_bench/lost": lostRecords,
}

// roundProfile is the profiling /_bench/profile-start started.
var roundProfile struct {
	sync.Mutex
	stop func()
}

// lostRecords answers POST /_bench/lost, whose body lists the sequence
// numbers of the records the load generator's checks were acknowledged
// with (one a line), once every batch is sealed and rotated: with
// "acknowledged archived missing-records missing-receipts", where
// archived counts the records in the archives, missing-records the
// acknowledged ones no archive holds and missing-receipts (receipts on)
// those whose receipt is not sealed into a checkpoint (no inclusion proof).
func lostRecords(w http.ResponseWriter, r *http.Request, j *msglog.Log) {
	var acked []uint64
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		n, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		acked = append(acked, n)
	}
	j.WaitArchived()
	as, err := msglog.ListArchives(filepath.Join(os.Getenv(benchDirEnv), "archive"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	archived := map[uint64]bool{}
	for _, a := range as {
		if a.Tombstone {
			continue
		}
		zr, err := msglog.OpenArchive(a.Path, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, f := range zr.File {
			if seq, ok := msglog.SeqOfEntry(f.Name); ok && strings.HasSuffix(f.Name, ".asice") {
				archived[seq] = true
			}
		}
	}
	var noRecord, noReceipt int
	for _, seq := range acked {
		if !archived[seq] {
			noRecord++
		}
		if benchEvidence != nil {
			if rc, err := benchEvidence.Receipt(seq, 0); err != nil || rc.Inclusion == nil {
				noReceipt++
			}
		}
	}
	fmt.Fprintf(w, "%d %d %d %d\n", len(acked), len(archived), noRecord, noReceipt)
}

// receiptEnv reads a positive integer from the environment.
func receiptEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// recordIDPrefix starts the record id in a check's answer (its evidence).
var recordIDPrefix = []byte(`"recordId":"mlog:`)

// receiptRequest is one check through a gateway child; every answer must
// be 200, name its record (acked is called with the record's sequence
// number) and carry a receipt exactly when want is set.
func receiptRequest(c *http.Client, base string, want bool, acked func(uint64)) func() error {
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
		_, id, ok := bytes.Cut(body, recordIDPrefix)
		if end := bytes.IndexByte(id, '"'); ok && end > 0 {
			if seq, err := strconv.ParseUint(string(id[:end]), 10, 64); err == nil {
				acked(seq)
				return nil
			}
		}
		return errors.New("the answer names no record of the signed log")
	}
}

// receiptSide is one side of BenchmarkGatewayReceipts: a gateway child
// (receipts on or off), its own emulator child and what was measured.
type receiptSide struct {
	name   string
	dir    string // the gateway's journal and archives
	gw, em *child
	client *http.Client
	do     func() error

	mu    sync.Mutex
	acked []uint64 // the records of the acknowledged checks

	rounds []sideRound // the timed rounds, in pair order
}

// sideRound is what one round of a side measured.
type sideRound struct {
	requests int64
	elapsed  time.Duration // from the first request to the end of the seal
	cpu      time.Duration // the gateway process's utime+stime
	emCPU    time.Duration // its emulator's
	records  uint64        // journal records (the checks' and the seals')
	commits  uint64        // journal group commits (fsyncs)
	seals    int
}

func (r sideRound) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// sealEvery is how much of a side's traffic one seal covers: the shipped
// batch interval (configs/tunduk.yaml, messageLog.batch.interval).
const sealEvery = time.Second

// round runs clients back to back against the side for d and seals its
// log once per sealEvery of it, while the clients go on, as the log's seal
// timer does: at each whole second within the round and at its end, the
// round ending once that last seal is done (its time and CPU counted in
// the round). Records appended during that seal are sealed by the side's
// next round. Then, untimed, it waits until the log has archived what was
// sealed: the archiving a seal starts in the background would otherwise
// land in the next round, the other side's.
//
// (Until session 8 the clients stopped at d and the round waited for the
// last seal alone: ~30-50 ms a round with no traffic, the seal's fsyncs
// counted as lost throughput, which a timer's seal beside traffic is not,
// and more so on the side whose seal does more I/O.)
func (s *receiptSide) round(b *testing.B, clients int, d time.Duration) sideRound {
	j0 := s.gw.journalStats(b)
	cpu0, em0 := procCPU(s.gw.pid), procCPU(s.em.pid)
	start := time.Now()
	var r sideRound
	var sealErr error
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		defer stop() // the clients stop once the round's last seal is done
		for k := 1; ; k++ {
			at := time.Duration(k) * sealEvery
			last := at >= d-sealEvery/10
			if last {
				at = d
			}
			time.Sleep(time.Until(start.Add(at)))
			if _, err := s.seal(); err != nil {
				sealErr = err
				return
			}
			r.seals++
			if last {
				return
			}
		}
	})
	n, _ := closedLoopUntil(b, s.do, clients, ctx)
	wg.Wait()
	if sealErr != nil {
		b.Fatal(sealErr)
	}
	r.elapsed = time.Since(start)
	r.cpu, r.emCPU = procCPU(s.gw.pid)-cpu0, procCPU(s.em.pid)-em0
	j1 := s.gw.journalStats(b)
	r.requests, r.records, r.commits = n, j1[0]-j0[0], j1[1]-j0[1]
	s.get(b, "idle")
	return r
}

// seal seals the side's pending records now and returns how many
// signatures its evidence made so far (0 with receipts off).
func (s *receiptSide) seal() (int64, error) {
	resp, err := s.client.Get(s.gw.url + "/_bench/seal")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var n int64
	if _, err := fmt.Fscan(resp.Body, &n); err != nil || resp.StatusCode != 200 {
		return 0, fmt.Errorf("%s: seal: %d %v", s.name, resp.StatusCode, err)
	}
	return n, nil
}

// get calls GET /_bench/what on the side's gateway, which must answer 200:
// rotate (archive what is sealed and commit), idle (wait until every
// sealed batch is archived), profile-start, profile-stop.
func (s *receiptSide) get(b *testing.B, what string) {
	resp, err := s.client.Get(s.gw.url + "/_bench/" + what)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %s: %d", s.name, what, resp.StatusCode)
	}
}

// checkLost has the side's gateway look up every acknowledged check's
// record in its archives and (receipts on) its sealed receipt; it fails
// the benchmark when one is missing and returns how many were checked.
func (s *receiptSide) checkLost(b *testing.B) int {
	var body bytes.Buffer
	s.mu.Lock()
	for _, seq := range s.acked {
		fmt.Fprintln(&body, seq)
	}
	acked := len(s.acked)
	dup := len(slices.Compact(slices.Sorted(slices.Values(s.acked)))) != acked
	s.mu.Unlock()
	if dup {
		b.Fatalf("%s: two acknowledged checks name the same record", s.name)
	}
	resp, err := s.client.Post(s.gw.url+"/_bench/lost", "text/plain", &body)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var n, archived, noRecord, noReceipt int
	if _, err := fmt.Fscan(resp.Body, &n, &archived, &noRecord, &noReceipt); err != nil || resp.StatusCode != 200 || n != acked {
		b.Fatalf("%s: lost-record check: %d %v (%d of %d)", s.name, resp.StatusCode, err, n, acked)
	}
	if noRecord > 0 || noReceipt > 0 {
		b.Fatalf("%s: of %d acknowledged checks, %d have no record in the archives and %d no sealed receipt (%d records archived)",
			s.name, acked, noRecord, noReceipt, archived)
	}
	return acked
}

// pooledRatio is (Σa/Σb) / (Σc/Σd) over the pairs idx: the pooled on/off
// throughput with a, b, c, d = on requests, on seconds, off requests, off
// seconds; the pooled CPU per request on/off with on CPU, on requests,
// off CPU, off requests.
func pooledRatio(a, b, c, d []float64, idx []int) float64 {
	var sa, sb, sc, sd float64
	for _, i := range idx {
		sa, sb, sc, sd = sa+a[i], sb+b[i], sc+c[i], sd+d[i]
	}
	return (sa / sb) / (sc / sd)
}

// bootstrapCI is the 95 % percentile-bootstrap confidence interval of
// pooledRatio: the pairs resampled with replacement 10,000 times (a fixed
// seed: the same rounds give the same interval).
func bootstrapCI(a, b, c, d []float64) (lo, hi float64) {
	const resamples = 10000
	rng := rand.New(rand.NewPCG(16, 95))
	idx := make([]int, len(a))
	stats := make([]float64, resamples)
	for k := range stats {
		for i := range idx {
			idx[i] = rng.IntN(len(a))
		}
		stats[k] = pooledRatio(a, b, c, d, idx)
	}
	slices.Sort(stats)
	return stats[resamples*25/1000], stats[resamples*975/1000-1]
}

// barMet is 1 when the interval lies at or above bar, 0 when it lies
// below it and 0.5 when it straddles it (undecided).
func barMet(lo, hi, bar float64) float64 {
	switch {
	case lo >= bar:
		return 1
	case hi < bar:
		return 0
	}
	return 0.5
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

// BenchmarkGatewayReceipts decides issue 16's bar, the gateway's
// throughput with receipts on within 5 % of it without, in the shipped
// configuration (the signed log on, every exchange fsynced before its
// answer and sealed once a second, as configs/tunduk.yaml and tunduk demo
// run; the receipts side is wired as cmd/serve does with
// messageLog.evidence configured: each group commit's promises signed as
// one batch, leaves added and a checkpoint signed per seal, every result
// carrying its receipt). This process is only the load generator; each
// side has its own gateway child and its own emulator child (the test
// binary re-executed, see TestMain): with one emulator shared, its CPU
// periodically doubled for one side, which moved the ratio by 10 %.
//
// Rounds: closed loop, 32 clients, TUNDUK_BENCH_ROUND_MS (default 1000)
// per round; on and off alternate, the order flipped every pair, 2 untimed
// warm-up pairs, then TUNDUK_BENCH_ROUNDS timed pairs (default 30, ~80 s),
// so the shared machine's load affects both alike. The log's seal timer is
// off: the load generator seals each side once per second of its traffic
// (at every whole second within a round and at its end, beside the
// traffic as the timer would, the round ending once its last seal is
// done: counted in the round's time and CPU), so every round has the same
// seals (the timer sealed twice in some 1 s rounds and not at all in
// others). Untimed
// between rounds: the side waits until its log has archived what it
// sealed (archiving would otherwise land in the next round, the other
// side's), and both logs rotate after each pair. Archiving is the same
// work on both sides, so leaving it out makes the ratios harsher, not
// kinder. At the end every acknowledged check's record is looked up in
// its side's archives, and with receipts on its receipt must carry an
// inclusion proof (the lost-record check: the benchmark fails otherwise).
// Reported:
//
//   - on/off (the quality bar: ≥ 0.95): throughput with receipts / without,
//     pooled over all timed rounds' requests, with on/off-ci-lo and
//     on/off-ci-hi its 95 % bootstrap confidence interval (pairs
//     resampled); bar-met is 1 when the interval lies at or above 0.95,
//     0 when below, 0.5 when it straddles 0.95 (undecided: run again on
//     a quieter machine, or with more pairs: the interval narrows as
//     1/√pairs; at load 12-24 the per-pair ratios spread by 20-40 %, so 30
//     pairs give ±6-14 %); on/off-median-pair is the median of the
//     per-pair ratios;
//   - cpu-on/off: the gateway process's CPU time per request (utime+stime
//     of the child, emulator and load generator excluded), on / off —
//     what receipts cost, which the machine's other load disturbs less
//     than throughput — with its interval (cpu-on/off-ci-lo, -hi) and
//     on-cpu-us/req, off-cpu-us/req;
//   - on-req/s, off-req/s, requests (timed, both sides), lost-checked (the
//     acknowledged checks the lost-record check looked up, warm-up
//     included), records/signature (checks per evidence signature,
//     promise batches and checkpoints), records/fsync (the journal's
//     group commits on the receipts side: the most a promise batch could
//     hold), leaked-cpu-ms/round (the CPU the first gateway of a pair used
//     during the second's round: background work landing in the other
//     side's round, near 0 in 10 ms ticks), em-cpu-on/off (the emulators'
//     CPU per request: near 1 when each side's emulator did the same work)
//     and load-1m (the 1-minute load average at the end, as uptime prints
//     it: above 2 the machine was shared).
//
// TUNDUK_BENCH_ROUND_LOG=file writes one line per round (warm-up
// included) into file. TUNDUK_BENCH_PROFILE_DIR=dir writes each gateway's
// CPU, allocation, block and mutex profiles of the timed rounds into
// dir/on and dir/off, with the timed requests in dir/SIDE/requests:
// divide a function's CPU time by them for its µs per request on that
// side, and compare the sides per request (their request counts differ,
// so go tool pprof -diff_base alone misleads). Profiling slows both
// sides; quote the bar from a run without it.
func BenchmarkGatewayReceipts(b *testing.B) {
	pairs := receiptEnv("TUNDUK_BENCH_ROUNDS", 30)
	d := time.Duration(receiptEnv("TUNDUK_BENCH_ROUND_MS", 1000)) * time.Millisecond
	const (
		clients = 32
		warmup  = 2
		bar     = 0.95
	)
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2048}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var roundLog io.Writer
	if name := os.Getenv(benchRoundLogEnv); name != "" {
		f, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		roundLog = f
		fmt.Fprintln(f, "pair\tpos\tside\trequests\tms\treq/s\tcpu-ms\tcpu-us/req\tem-cpu-ms\trecords\tfsyncs\tseals\tload-1m")
	}
	newSide := func(mode, name string) *receiptSide {
		// The profiles cover the timed rounds only (benchProfileRoundsEnv),
		// not the child's whole life (benchProfileEnv, inherited).
		env := []string{benchRotateEnv + "=1", benchSealEnv + "=1", benchProfileEnv + "="}
		if pd := os.Getenv(benchProfileEnv); pd != "" {
			dir := filepath.Join(pd, name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			env = append(env, benchProfileRoundsEnv+"="+dir)
		}
		em := startChild(b, "emulator", "", b.TempDir())
		s := &receiptSide{name: name, dir: b.TempDir(), em: em, client: client}
		s.gw = startChildOf(b, childBinary[name], mode, em.url, s.dir, env...)
		s.do = receiptRequest(client, s.gw.url, mode == "gateway-receipts", func(seq uint64) {
			s.mu.Lock()
			s.acked = append(s.acked, seq)
			s.mu.Unlock()
		})
		return s
	}
	offMode := "gateway"
	if bin := os.Getenv(benchABEnv); bin != "" {
		offMode, childBinary["off"] = "gateway-receipts", bin
	}
	on, off := newSide("gateway-receipts", "on"), newSide(offMode, "off")
	var leaked time.Duration // CPU the first side of a pair used during the second's round
	pair := func(i int, timed bool) {
		first, second := on, off
		if i%2 == 1 {
			first, second = off, on
		}
		r1 := first.round(b, clients, d)
		cpu0 := procCPU(first.gw.pid)
		r2 := second.round(b, clients, d)
		if timed {
			leaked += procCPU(first.gw.pid) - cpu0
			first.rounds = append(first.rounds, r1)
			second.rounds = append(second.rounds, r2)
		}
		on.get(b, "rotate")
		off.get(b, "rotate")
		label := strconv.Itoa(i)
		if !timed {
			label = "warmup"
		}
		load := loadAvg()
		for k, x := range []struct {
			s *receiptSide
			r sideRound
		}{{first, r1}, {second, r2}} {
			if roundLog != nil {
				fmt.Fprintf(roundLog, "%s\t%d\t%s\t%d\t%.1f\t%.0f\t%d\t%.1f\t%d\t%d\t%d\t%d\t%.2f\n", label, k+1, x.s.name,
					x.r.requests, float64(x.r.elapsed.Microseconds())/1000, x.r.rps(), x.r.cpu.Milliseconds(),
					float64(x.r.cpu.Microseconds())/float64(max(x.r.requests, 1)), x.r.emCPU.Milliseconds(), x.r.records, x.r.commits, x.r.seals, load)
			}
		}
	}
	for i := range warmup { // connections, caches, the first seals and GC cycles
		pair(i, false)
	}
	// The archives grow with the pairs; the journal's segments, bounded,
	// are on the disk already.
	archived, err := dirBytes(filepath.Join(on.dir, "archive"), filepath.Join(off.dir, "archive"))
	if err != nil {
		b.Fatal(err)
	}
	if err := checkDisk(pairs, archived/warmup, on.dir); err != nil {
		b.Fatal(err)
	}
	sig0, err := on.seal()
	if err != nil {
		b.Fatal(err)
	}
	on.get(b, "profile-start")
	off.get(b, "profile-start")
	for b.Loop() {
		for i := range pairs {
			pair(i, true)
		}
	}
	on.get(b, "profile-stop")
	off.get(b, "profile-stop")
	if pd := os.Getenv(benchProfileEnv); pd != "" {
		for _, s := range []*receiptSide{on, off} {
			var n int64
			for _, r := range s.rounds {
				n += r.requests
			}
			if err := os.WriteFile(filepath.Join(pd, s.name, "requests"), fmt.Appendf(nil, "%d\n", n), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	sigs, err := on.seal() // the records appended during the rounds' last seals too
	if err != nil {
		b.Fatal(err)
	}
	if _, err := off.seal(); err != nil {
		b.Fatal(err)
	}
	sigs -= sig0
	load := loadAvg()
	on.get(b, "rotate")
	off.get(b, "rotate")
	checked := on.checkLost(b) + off.checkLost(b)

	n := len(on.rounds)
	col := func(s *receiptSide, f func(sideRound) float64) []float64 {
		x := make([]float64, n)
		for i, r := range s.rounds {
			x[i] = f(r)
		}
		return x
	}
	req := func(r sideRound) float64 { return float64(r.requests) }
	sec := func(r sideRound) float64 { return r.elapsed.Seconds() }
	cpu := func(r sideRound) float64 { return r.cpu.Seconds() }
	emCPU := func(r sideRound) float64 { return r.emCPU.Seconds() }
	onN, onT, offN, offT := col(on, req), col(on, sec), col(off, req), col(off, sec)
	onC, offC := col(on, cpu), col(off, cpu)
	all := make([]int, n)
	perPair := make([]float64, n)
	for i := range all {
		all[i] = i
		perPair[i] = on.rounds[i].rps() / off.rounds[i].rps()
	}
	slices.Sort(perPair)
	ratio := pooledRatio(onN, onT, offN, offT, all)
	lo, hi := bootstrapCI(onN, onT, offN, offT)
	cpuRatio := pooledRatio(onC, onN, offC, offN, all)
	clo, chi := bootstrapCI(onC, onN, offC, offN)
	sum := func(x []float64) float64 {
		var s float64
		for _, v := range x {
			s += v
		}
		return s
	}
	b.ReportMetric(ratio, "on/off")
	b.ReportMetric(lo, "on/off-ci-lo")
	b.ReportMetric(hi, "on/off-ci-hi")
	b.ReportMetric(barMet(lo, hi, bar), "bar-met")
	b.ReportMetric(perPair[n/2], "on/off-median-pair")
	b.ReportMetric(cpuRatio, "cpu-on/off")
	b.ReportMetric(clo, "cpu-on/off-ci-lo")
	b.ReportMetric(chi, "cpu-on/off-ci-hi")
	b.ReportMetric(sum(onC)/sum(onN)*1e6, "on-cpu-us/req")
	b.ReportMetric(sum(offC)/sum(offN)*1e6, "off-cpu-us/req")
	b.ReportMetric(sum(onN)/sum(onT), "on-req/s")
	b.ReportMetric(sum(offN)/sum(offT), "off-req/s")
	b.ReportMetric(pooledRatio(col(on, emCPU), onN, col(off, emCPU), offN, all), "em-cpu-on/off")
	b.ReportMetric(sum(onN)+sum(offN), "requests")
	b.ReportMetric(float64(checked), "lost-checked")
	b.ReportMetric(sum(onN)/float64(max(sigs, 1)), "records/signature")
	var recs, commits uint64
	for _, r := range on.rounds {
		recs, commits = recs+r.records, commits+r.commits
	}
	b.ReportMetric(float64(recs)/float64(max(commits, 1)), "records/fsync")
	b.ReportMetric(float64(leaked.Milliseconds())/float64(n), "leaked-cpu-ms/round")
	b.ReportMetric(load, "load-1m")
}

// checkDisk fails when the timed pairs' archives would not fit beside
// dir: the benchmark keeps every archive for the lost-record check (about
// 70 MB a pair with 1 s rounds, ~35 MB a side's round), and a run that
// fills the disk an hour in loses everything it measured.
func checkDisk(pairs int, perPair int64, dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("disk check: statfs %s: %w", dir, err)
	}
	return diskFits(pairs, perPair, int64(st.Bavail)*st.Bsize, filepath.Dir(dir))
}

// diskFits says whether pairs of perPair bytes, with a third to spare,
// fit in free bytes, and what to do when they do not.
func diskFits(pairs int, perPair, free int64, dir string) error {
	need := perPair * int64(pairs+1) * 4 / 3
	if need <= free {
		return nil
	}
	fit := max(free*3/4/max(perPair, 1)-1, 0)
	return fmt.Errorf("TUNDUK_BENCH_ROUNDS=%d needs about %.1f GB for the archives the lost-record check reads (%.0f MB a pair in the warm-up, a third to spare: warm-up rounds are slower); %s has %.1f GB free: set TUNDUK_BENCH_ROUNDS to at most %d, or TMPDIR to a larger disk",
		pairs, float64(need)/1e9, float64(perPair)/1e6, dir, float64(free)/1e9, fit)
}

// dirBytes is the size of the files under dirs.
func dirBytes(dirs ...string) (int64, error) {
	var n int64
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				fi, err := d.Info()
				if err != nil {
					return err
				}
				n += fi.Size()
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("disk check: %w", err)
		}
	}
	return n, nil
}

// TestReceiptsBenchDiskCheck: a run whose pairs do not fit is refused with
// the rounds that would, and one that fits passes.
func TestReceiptsBenchDiskCheck(t *testing.T) {
	const mb = 1_000_000
	if err := diskFits(600, 70*mb, 80_000*mb, "/tmp"); err != nil {
		t.Errorf("600 pairs of 70 MB in 80 GB: %v", err)
	}
	err := diskFits(1200, 70*mb, 80_000*mb, "/tmp")
	if err == nil {
		t.Fatal("1200 pairs of 70 MB in 80 GB: no error")
	}
	if !strings.Contains(err.Error(), "TUNDUK_BENCH_ROUNDS to at most 856") {
		t.Errorf("error %q does not name the rounds that fit (856)", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "s"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "s", "b"), make([]byte, 234), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := dirBytes(dir, filepath.Join(dir, "s")); err != nil || n != 1234+234 {
		t.Errorf("dirBytes = %d, %v; want %d", n, err, 1234+234)
	}
}

// TestReceiptsBenchStatistics: the bootstrap interval holds the pooled
// ratio, is empty when every pair has the same ratio, widens with the
// pairs' spread, and bar-met reads it against the bar.
func TestReceiptsBenchStatistics(t *testing.T) {
	const n = 30
	same := make([]float64, n)
	for i := range same {
		same[i] = 1
	}
	scaled := func(spread float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = 0.96 + spread*float64(i%5-2)
		}
		return x
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if lo, hi := bootstrapCI(scaled(0), same, same, same); math.Abs(lo-0.96) > 1e-9 || math.Abs(hi-0.96) > 1e-9 {
		t.Errorf("constant pairs: interval [%v, %v], want [0.96, 0.96]", lo, hi)
	}
	narrowLo, narrowHi := bootstrapCI(scaled(0.005), same, same, same)
	wideLo, wideHi := bootstrapCI(scaled(0.03), same, same, same)
	if r := pooledRatio(scaled(0.03), same, same, same, all); r < wideLo || r > wideHi {
		t.Errorf("pooled ratio %v outside its interval [%v, %v]", r, wideLo, wideHi)
	}
	if !(wideLo < narrowLo && narrowHi < wideHi) {
		t.Errorf("spread 0.03 interval [%v, %v] not wider than spread 0.005's [%v, %v]", wideLo, wideHi, narrowLo, narrowHi)
	}
	for _, c := range []struct{ lo, hi, want float64 }{{0.95, 0.99, 1}, {0.90, 0.949, 0}, {0.93, 0.97, 0.5}} {
		if got := barMet(c.lo, c.hi, 0.95); got != c.want {
			t.Errorf("barMet(%v, %v) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}
