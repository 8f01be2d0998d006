package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/pgstore"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/pgstore/pgtest"
)

// BenchmarkPostgresTwoInstances measures what a second gateway adds on
// one PostgreSQL log: the records per second one message log (one
// gateway: its own store, pool and writer) carries, then two on the same
// database (one of them sealing), each with the same number of checks in
// flight, and beside them a pgbench baseline of single-row INSERT
// transactions of the same size with as many clients, on the same server
// in the same run. Each check waits benchExchange before its record (the
// security server's round trip: a gateway's checks are latency-bound), so
// the ratio shows whether the instances serialise on the database. The
// bar (issue 15): two instances ≥ 1.6× one.
func BenchmarkPostgresTwoInstances(b *testing.B) {
	const (
		inflight      = 32                    // checks in flight per gateway
		benchExchange = 20 * time.Millisecond // the exchange before each record
		phase         = 3 * time.Second
	)
	url := pgtest.NewDatabase(b, pgtest.ServerURL(b))
	signer, cert := certstest.Signing(b)
	archive := b.TempDir()
	openLog := func(name string) *msglog.Log {
		s, err := pgstore.Open(context.Background(), pgstore.Options{URL: url, Instance: name})
		if err != nil {
			b.Fatal(err)
		}
		l, err := msglog.Open(msglog.Options{Shared: s, ArchiveDir: archive, Signer: signer, Certificate: cert})
		if err != nil {
			b.Fatal(err)
		}
		return l
	}
	run := func(logs []*msglog.Log) (perSec float64, perCommit float64) {
		var n atomic.Int64
		stop := time.Now().Add(phase)
		var g0, r0 uint64
		for _, l := range logs {
			g, r := l.Stats()
			g0, r0 = g0+g, r0+r
		}
		var wg sync.WaitGroup
		start := time.Now()
		for i, l := range logs {
			for w := 0; w < inflight; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := 0; time.Now().Before(stop); k++ {
						time.Sleep(benchExchange)
						if _, err := l.Append(context.Background(), exchange(i*1_000_000+w*10_000+k, "central-server/GOV/70000001/portal")); err != nil {
							b.Error(err)
							return
						}
						n.Add(1)
					}
				}()
			}
		}
		wg.Wait()
		el := time.Since(start)
		var g1, r1 uint64
		for _, l := range logs {
			g, r := l.Stats()
			g1, r1 = g1+g, r1+r
		}
		return float64(n.Load()) / el.Seconds(), float64(r1-r0) / float64(max(g1-g0, 1))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := openLog("a")
		one, oneFactor := run([]*msglog.Log{a})
		c := openLog("b")
		two, twoFactor := run([]*msglog.Log{a, c})
		a.Close()
		c.Close()
		tps := pgbenchInsert(b, url, 2*inflight, phase)
		b.ReportMetric(one, "one-records/s")
		b.ReportMetric(two, "two-records/s")
		b.ReportMetric(two/one, "two/one")
		b.ReportMetric(tps, "pgbench-inserts/s")
		b.ReportMetric(two/tps, "two/pgbench")
		verdict := "met"
		if two/one < 1.6 {
			verdict = "NOT met"
		}
		b.Logf("one gateway %.0f records/s (%.1f per commit), two %.0f records/s (%.1f per commit): %.2f× (bar ≥ 1.6×: %s); "+
			"pgbench single-row INSERT with %d clients %.0f tx/s: two gateways carry %.2f× that",
			one, oneFactor, two, twoFactor, two/one, verdict, 2*inflight, tps, two/tps)
	}
}

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+)`)

// pgbenchInsert runs pgbench with a script of one INSERT of a record-sized
// row per transaction and returns its transactions per second.
func pgbenchInsert(b *testing.B, url string, clients int, d time.Duration) float64 {
	b.Helper()
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		if os.Getenv("TUNDUK_REQUIRE_TOOLS") == "1" {
			b.Fatal("pgbench not installed (Debian postgresql-client)")
		}
		b.Skip("pgbench not installed (Debian postgresql-client); no baseline")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS pgbench_baseline (id bigserial PRIMARY KEY, instance text, written_at timestamptz DEFAULT now(), payload bytea)"); err != nil {
		b.Fatal(err)
	}
	size := len(exchangePayloadSample())
	script := filepath.Join(b.TempDir(), "insert.sql")
	os.WriteFile(script, []byte(fmt.Sprintf("INSERT INTO pgbench_baseline (instance, payload) VALUES ('pgbench', convert_to(repeat('x', %d), 'UTF8'));\n", size)), 0o644)
	out, err := exec.Command(bin, "-n", "-f", script, "-c", strconv.Itoa(clients), "-j", "2", "-T", strconv.Itoa(int(d.Seconds())), url).CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	m := tpsRE.FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench: no tps in\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}

// exchangePayloadSample approximates the stored size of one benchmark
// record: its message.xml and both bodies.
func exchangePayloadSample() string {
	r := exchange(1, "central-server/GOV/70000001/portal")
	x, _ := msglog.MarshalRecord(r)
	return strings.Repeat("x", len(x)+len(r.Exchange.Request.Body)+len(r.Exchange.Response.Body))
}
