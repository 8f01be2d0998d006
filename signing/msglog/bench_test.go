package msglog_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/signing/msglog"
)

// baselineFsync measures this machine's raw rate of 1 KB append+fdatasync
// on the benchmark's file system.
func baselineFsync(b *testing.B, dir string) float64 {
	f, err := os.Create(filepath.Join(dir, "fsync-baseline"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := bytes.Repeat([]byte{'x'}, 1024)
	n, start := 0, time.Now()
	for time.Since(start) < 300*time.Millisecond {
		f.Write(buf)
		syscall.Fdatasync(int(f.Fd()))
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// baselineSHA512 measures raw SHA-512 throughput in bytes/s.
func baselineSHA512() float64 {
	buf := bytes.Repeat([]byte{'x'}, 64<<10)
	n, start := 0, time.Now()
	for time.Since(start) < 300*time.Millisecond {
		sha512.Sum512(buf)
		n += len(buf)
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkDurableAppend1KB measures durable, signed records per second of
// 1 KB exchanges with one signature per batch, next to the same machine's
// raw fsync rate and SHA-512 rate measured in the same run:
//
//	records/s          durable appends per second, sealing included
//	fsync/s            raw 1 KB write+fdatasync per second (one writer)
//	x_fsync            records/s ÷ fsync/s: what group commit buys
//	sha512_MB/s        raw SHA-512 throughput
//	frac_sha512        record bytes/s ÷ SHA-512 bytes/s (the hashing limit)
func BenchmarkDurableAppend1KB(b *testing.B) {
	dir := b.TempDir()
	fsyncRate := baselineFsync(b, dir)
	shaRate := baselineSHA512()
	l := openLog(b, dir, func(o *msglog.Options) { o.BatchInterval = 200 * time.Millisecond })
	defer l.Close()
	body := bytes.Repeat([]byte{'a'}, 1024)
	rec := &msglog.Record{Type: msglog.TypeExchange, Member: "central-server/GOV/70000001/portal",
		Exchange: &msglog.Exchange{MessageID: "bench", Request: msglog.Message{Body: body}}}
	ctx := context.Background()
	b.SetParallelism(128)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for {
				_, err := l.Append(ctx, rec)
				if err == nil {
					break
				}
				time.Sleep(time.Millisecond) // backpressure
			}
		}
	})
	if err := l.Seal(ctx); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start).Seconds()
	b.StopTimer()
	rate := float64(b.N) / el
	b.ReportMetric(rate, "records/s")
	b.ReportMetric(fsyncRate, "fsync/s")
	b.ReportMetric(rate/fsyncRate, "x_fsync")
	b.ReportMetric(shaRate/1e6, "sha512_MB/s")
	b.ReportMetric(rate*1024/shaRate, "frac_sha512")
	groups, records := l.Stats()
	b.ReportMetric(float64(records)/float64(groups), "records/fsync")
}
