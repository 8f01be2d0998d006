package verify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
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
		containers = append(containers, logBatch(b, p, msgs)...)
	}
	dir := b.TempDir()
	path, _ := writeLogArchive(b, dir, containers, time.Unix(1767225600, 0))
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

// logBatch signs and stamps msgs as one batch the way tunduk's log writes
// it (msglog rotation): the time-stamp token embedded in the batch
// signature, each container built by asic.Packer (entries compressed once,
// the batch's shared entries once per batch).
func logBatch(b *testing.B, p *testPKI, msgs []seal.Message) [][]byte {
	b.Helper()
	seals, err := seal.SignBatch(p.signer, p.cert, msgs, nil)
	if err != nil {
		b.Fatal(err)
	}
	sigs := make([][]byte, len(seals))
	for i, s := range seals {
		sigs[i] = s.Signature
	}
	stamped, _, err := seal.StampBatch(context.Background(), p.stamp, sigs[:1])
	if err != nil {
		b.Fatal(err)
	}
	pk := asic.NewPacker()
	out := make([][]byte, len(msgs))
	for i, s := range seals {
		// One signature for the batch: every container shares it.
		c, err := pk.Build(asic.ContainerInput{Message: msgs[i].Body, Attachments: msgs[i].Attachments, Signature: stamped[0],
			HashChainResult: s.HashChainResult, HashChain: s.HashChain, Time: p.now})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = bytes.Clone(c)
	}
	return out
}

// writeLogArchive writes containers as the log does: STORED entries.
func writeLogArchive(b *testing.B, dir string, containers [][]byte, first time.Time) (string, string) {
	b.Helper()
	var buf bytes.Buffer
	w, err := asic.NewArchiveWriter(&buf, asic.ArchiveOptions{Time: first, Store: true})
	if err != nil {
		b.Fatal(err)
	}
	for i, c := range containers {
		if _, err := w.Add(asic.ContainerName(fmt.Sprintf("q%d", i), i%2 == 1, fmt.Sprintf("%04d", i)), c); err != nil {
			b.Fatal(err)
		}
	}
	last, err := w.Close()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, asic.ArchiveName(first, first.Add(time.Minute), last))
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return path, last
}
