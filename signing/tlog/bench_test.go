package tlog

import (
	"context"
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
