package tlog

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
)

// BenchmarkStoreAdd is a seal's cost in the store: each op adds 2,000
// leaves to one group (a gateway answering 2,000 checks a second, sealed
// every second), writes and fsyncs them and signs and stores a
// checkpoint. Reported beside ns/op (the seal's wall time, mostly
// fsyncs): cpu-µs/seal, the process CPU time per op.
func BenchmarkStoreAdd(b *testing.B) {
	const perSeal = 2000
	s, err := Open(Options{Dir: b.TempDir(), Origin: "tunduk.example/mlog", Signer: ecKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	es := make([]Entry, perSeal)
	seq := uint64(0)
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer() // the leaves come from the promises, hashed already
		for i := range es {
			seq++
			es[i] = Entry{Group: "KG/GOV/1", Leaf: NewLeaf(seq, []byte("<record/>"))}
		}
		b.StartTimer()
		cpu0 := cputime.Require(b)
		if err := s.Add(context.Background(), es); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Require(b) - cpu0
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/seal")
}

// BenchmarkStoreGC is what a store of a million sealed records costs the
// collector of the process holding it (the gateway): the time of a full
// collection (gc-ms/cycle) and the live heap (heap-MB), the store's
// in-memory trees and seq index being all that is live. A/B, load 6.5:
// pointer-free levels and index 4.1-6.8 ms and 89 MB; a slice per hash and
// a map with the group's name 180-200 ms and 191 MB, which every
// collection (one per few thousand requests) marked.
func BenchmarkStoreGC(b *testing.B) {
	const n = 1_000_000
	s, err := Open(Options{Dir: b.TempDir(), Origin: "tunduk.example/mlog", Signer: ecKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g, err := s.load("KG/GOV/1")
	if err != nil {
		b.Fatal(err)
	}
	for seq := uint64(1); seq <= n; seq++ { // as Open loads the leaves
		if err := g.tree.Append(NewLeaf(seq, []byte("<record/>")).Hash()); err != nil {
			b.Fatal(err)
		}
		s.bySeq.add(seq, g.id, g.tree.Size()-1)
	}
	runtime.GC()
	for b.Loop() {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "gc-ms/cycle")
	b.ReportMetric(float64(ms.HeapAlloc>>20), "heap-MB")
	runtime.KeepAlive(s)
}

// BenchmarkLeaf is a record's leaf hash per version, for a record of the
// gateway benchmark's size (3 KiB message.xml, 1 and 2 KiB bodies): v1
// hashes every byte with SHA-256, v2 message.xml only (its SHA-512 body
// digests were computed at Append either way).
func BenchmarkLeaf(b *testing.B) {
	doc := bytes.Repeat([]byte("<x/>"), 768)
	atts := [][]byte{bytes.Repeat([]byte("q"), 1024), bytes.Repeat([]byte("a"), 2048)}
	var sink []byte
	b.Run("v1", func(b *testing.B) {
		for b.Loop() {
			sink = NewLeaf(42, doc, atts...).AppendHash(sink[:0])
		}
	})
	b.Run("v2", func(b *testing.B) {
		for b.Loop() {
			sink = NewLeafV2(42, doc).AppendHash(sink[:0])
		}
	})
}
