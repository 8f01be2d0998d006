package verify_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
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
	path, _ := writeLogArchive(b, dir, containers, "", time.Unix(1767225600, 0))
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
		c0 := cputime.Process()
		for b.Loop() {
			sha512.Sum512(data)
		}
		reportCPU(b, len(data), cputime.Process()-c0)
	})
	b.Run("zip-write-baseline", func(b *testing.B) {
		// archive/zip writing the same container bytes (deflate), the
		// cost of merely packing them.
		b.SetBytes(int64(len(data)))
		c0 := cputime.Process()
		for b.Loop() {
			zipWrite(b, containers)
		}
		reportCPU(b, len(data), cputime.Process()-c0)
	})
	b.Run("verify-archive", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		c0 := cputime.Process()
		for b.Loop() {
			fr := verify.New(verify.Options{Trust: p.trust()}).Archive(path, data, verify.ChainOptions{First: true})
			if len(fr.Problems) > 0 {
				b.Fatal(fr.Problems[0])
			}
		}
		reportCPU(b, len(data), cputime.Process()-c0)
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

// writeLogArchive writes containers as the log does (STORED entries),
// linked to prev.
func writeLogArchive(b *testing.B, dir string, containers [][]byte, prev string, first time.Time) (string, string) {
	b.Helper()
	return writeArchiveWith(b, dir, containers, asic.ArchiveOptions{PrevDigest: prev, Time: first, Store: true})
}

// zipWrite writes parts as DEFLATED entries of an in-memory archive/zip.
func zipWrite(b *testing.B, parts [][]byte) int {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: strconv.Itoa(i), Method: zip.Deflate})
		if err != nil {
			b.Fatal(err)
		}
		w.Write(p)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Len()
}

// BenchmarkVerifyRSS verifies a chain of N archives (N = 1, 10, 100; 250
// messages of ~4 KiB each, as the log writes them) in a child process, as
// TestVerifyManyArchivesInBoundedMemory does, and reports its peak RSS and
// CPU next to SHA-512 and an archive/zip write of the same bytes in this
// process:
//
//	rss_MB             the child's peak RSS (its VmHWM)
//	archives_MB        bytes verified
//	verify_MB/cpu-s    archive bytes per CPU-second of the child (all cores)
//	sha512_MB/cpu-s    SHA-512 of the same files
//	zip_MB/cpu-s       archive/zip (deflate) write of the same bytes
func BenchmarkVerifyRSS(b *testing.B) {
	p := newPKI(b, false)
	dir := b.TempDir()
	prev := ""
	var paths []string
	made := 0
	for _, n := range []int{1, 10, 100} {
		for ; made < n; made++ {
			c := logBatch(b, p, incompressible(250, 4096, strconv.Itoa(made)))
			path, last := writeLogArchive(b, dir, c, prev, p.now.Add(time.Duration(made)*time.Minute))
			paths, prev = append(paths, path), last
		}
		// Verify the first n: a chain of its own in a directory of links.
		sub := filepath.Join(dir, fmt.Sprintf("n%d", n))
		if err := os.MkdirAll(sub, 0o700); err != nil {
			b.Fatal(err)
		}
		var total int64
		for _, path := range paths[:n] {
			if err := os.Link(path, filepath.Join(sub, filepath.Base(path))); err != nil {
				b.Fatal(err)
			}
			st, _ := os.Stat(path)
			total += st.Size()
		}
		b.Run(fmt.Sprintf("archives=%d", n), func(b *testing.B) {
			var peak int64
			var cpu time.Duration
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestVerifyManyArchivesInBoundedMemory$")
				cmd.Env = append(os.Environ(), "TUNDUK_VERIFY_SCALE_DIR="+sub)
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("child: %v\n%s", err, out)
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				// VmHWM as the child reports it: ru_maxrss would count this
				// (large) process's RSS at the fork too.
				hwm := ru.Maxrss
				if _, v, ok := strings.Cut(string(out), "vmhwm_kb="); ok {
					if kb, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(v, "\n", 2)[0]), 10, 64); err == nil {
						hwm = kb
					}
				}
				peak = max(peak, hwm*1024)
				cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
			b.ReportMetric(float64(peak)/1e6, "rss_MB")
			b.ReportMetric(float64(total)/1e6, "archives_MB")
			b.ReportMetric(float64(total)*float64(b.N)/cpu.Seconds()/1e6, "verify_MB/cpu-s")
			// Baselines over the same bytes, one file at a time.
			c0 := cputime.Process()
			for _, path := range paths[:n] {
				data, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				sha512.Sum512(data)
			}
			b.ReportMetric(float64(total)/(cputime.Process()-c0).Seconds()/1e6, "sha512_MB/cpu-s")
			c0 = cputime.Process()
			for _, path := range paths[:n] {
				data, _ := os.ReadFile(path)
				zipWrite(b, [][]byte{data})
			}
			b.ReportMetric(float64(total)/(cputime.Process()-c0).Seconds()/1e6, "zip_MB/cpu-s")
		})
	}
}
