package verify_test

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// BenchmarkVerify measures archive verification throughput (MB/s of
// archive file) next to raw SHA-512 over the same number of bytes, the
// floor of any verifier that must hash every container. Batches of 64
// messages of ~4 KiB with one signature and one time-stamp per batch, as
// tunduk's log writes them. Compare the two MB/s figures: the ratio is
// the verifier's cost over hashing alone. Verification runs on all cores
// (GOMAXPROCS), the baseline on one.
//
// On a shared machine wall-clock MB/s swing with other load; MB/cpu-s
// (bytes over the process's user+system CPU time) is steadier: its ratio
// is the verifier's CPU cost per byte against SHA-512's, whatever the
// number of cores.
func BenchmarkVerify(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("msg=%dKiB", size>>10), func(b *testing.B) { benchVerify(b, size) })
	}
}

func benchVerify(b *testing.B, size int) {
	p := newPKI(b, true)
	var containers [][]byte
	for i := 0; i < 4; i++ {
		msgs := messages(64, 64, "bench")
		for j := range msgs { // incompressible bodies: archive bytes = message bytes
			body := make([]byte, size)
			rand.Read(body)
			msgs[j].Body = []byte(`<Envelope><Body>` + base64.StdEncoding.EncodeToString(body) + `</Body></Envelope>`)
		}
		containers = append(containers, writeBatch(b, p, msgs, true)...)
	}
	dir := b.TempDir()
	path, _ := writeArchive(b, dir, containers, "", "", time.Unix(1767225600, 0))
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var raw int64
	for _, c := range containers {
		raw += int64(len(c))
	}
	b.Run("sha512-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		c0 := cpuTime()
		for b.Loop() {
			sha512.Sum512(data)
		}
		reportCPU(b, len(data), cpuTime()-c0)
	})
	b.Run("verify-archive", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		c0 := cpuTime()
		for b.Loop() {
			fr := verify.New(verify.Options{Trust: p.trust()}).Archive(path, data, verify.ChainOptions{First: true})
			if len(fr.Problems) > 0 {
				b.Fatal(fr.Problems[0])
			}
		}
		reportCPU(b, len(data), cpuTime()-c0)
		b.ReportMetric(float64(len(containers)), "containers/op")
	})
}

// reportCPU reports MB/cpu-s: bytes per op over CPU time per op.
func reportCPU(b *testing.B, bytes int, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}
