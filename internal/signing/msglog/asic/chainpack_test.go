package asic

import (
	"bytes"
	"crypto"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
)

// TestChainCoderRoundTrip: what chainCoder writes inflates to exactly
// what deflateBlock's output with the same codes (the Packer's path
// before it) inflates to, the document itself: hash chains of several
// depths in turn (shapes made, kept and replaced), chains of a kept shape
// whose digests are anything (even markup), and documents that are no
// hash chain at all.
func TestChainCoderRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	testdata, err := os.ReadFile(filepath.Join("testdata", "container1k", "sig-hashchain.xml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := [][]byte{testdata}
	for _, steps := range []int{0, 1, 13, 14, 13, 2, 3, 4, 5, 14, 14} {
		docs = append(docs, []byte(hashChainSample(steps)))
	}
	// testdata's shape with other digests, some of them not base64.
	for i := range 4 {
		d := bytes.Clone(testdata)
		for _, g := range digestGaps(nil, d, 0) {
			for j := g[0]; j < g[1]; j++ {
				if i == 3 {
					d[j] = "<>&\"'\n\x00\xff"[r.Intn(8)]
				} else {
					d[j] = byte('A' + r.Intn(26))
				}
			}
		}
		docs = append(docs, d)
	}
	for _, n := range []int{0, 1, 5, 100, 3000} {
		b := make([]byte, n)
		r.Read(b)
		docs = append(docs, b, []byte(xmlish(n)), []byte(strings.Repeat("<DigestValue>", n/13+1)))
	}
	docs = append(docs, []byte("<DigestValue>0123456789abcdef0123</DigestValue><DigestValue>0123456789abcdef0123"))
	var c chainCoder
	var tab fixedTable
	h := trainedCodes()
	for i, d := range docs {
		got := inflate(t, c.deflate(nil, d))
		old := inflate(t, deflateBlock(nil, d, &tab, h, nil))
		if !bytes.Equal(got, d) || !bytes.Equal(got, old) {
			t.Fatalf("doc %d (%d bytes): chainCoder's inflates to %d bytes, deflateBlock's to %d, differing", i, len(d), len(got), len(old))
		}
	}
}

// TestChainCoderShapeKept: the chains of one shape (the same document
// around other digests) reuse its encoded skeleton, and compress as well
// as deflateBlock does.
func TestChainCoderShapeKept(t *testing.T) {
	a := []byte(hashChainSample(14))
	b := bytes.Clone(a)
	r := rand.New(rand.NewSource(4))
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for _, g := range digestGaps(nil, b, 0) {
		for j := g[0]; j < g[1]-2; j++ {
			b[j] = b64[r.Intn(64)]
		}
	}
	var c chainCoder
	ea := c.deflate(nil, a)
	if n := len(digestGaps(nil, a, 0)); n != 16 {
		t.Fatalf("%d gaps, want 16 (14 steps and 2 data refs)", n)
	}
	segs := len(c.segs)
	eb := c.deflate(nil, b)
	if len(c.segs) != segs {
		t.Fatalf("a chain of the same steps made %d new segments", len(c.segs)-segs)
	}
	if !bytes.Equal(inflate(t, eb), b) {
		t.Fatal("round trip differs")
	}
	var tab fixedTable
	old := deflateBlock(nil, b, &tab, trainedCodes(), nil)
	if len(eb) > len(old)+len(old)/50 {
		t.Errorf("%d bytes, deflateBlock's %d", len(eb), len(old))
	}
	t.Logf("%d bytes: %d and %d deflated, deflateBlock %d", len(b), len(ea), len(eb), len(old))
}

func FuzzChainCoder(f *testing.F) {
	f.Add([]byte(hashChainSample(3)), []byte("x"))
	f.Add([]byte("<DigestValue>0123456789abcdef0123</DigestValue>"), []byte("<>"))
	sample := []byte(hashChainSample(2))
	f.Fuzz(func(t *testing.T, doc, fill []byte) {
		var c chainCoder
		c.deflate(nil, sample)
		if got := inflate(t, c.deflate(nil, doc)); !bytes.Equal(got, doc) {
			t.Fatalf("round trip of %d bytes differs", len(doc))
		}
		// sample's shape with fill in its gaps
		if len(fill) == 0 {
			return
		}
		d := bytes.Clone(sample)
		k := 0
		for _, g := range digestGaps(nil, sample, 0) {
			for j := g[0]; j < g[1]; j++ {
				d[j] = fill[k%len(fill)]
				k++
			}
		}
		if got := inflate(t, c.deflate(nil, d)); !bytes.Equal(got, d) {
			t.Fatalf("round trip of the sample with other gaps differs")
		}
	})
}

// batchChains returns the hash chains of n records of a batch as msglog
// makes them (message.xml and tunduk-exchange.xml as each record's
// parts), in record order.
func batchChains(t testing.TB, n int) [][]byte {
	b, err := hashchain.NewBuilder(crypto.SHA512)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		b.Add([]byte("message "+strconv.Itoa(i)), []byte("exchange "+strconv.Itoa(i)))
	}
	tree, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	chains := make([][]byte, n)
	for i := range chains {
		chains[i] = tree.ChainURIs(i, []string{"/message.xml", "/" + EntryExchange})
	}
	return chains
}

// TestChainCoderBatch: the chains of a 10,000-record batch (14 steps,
// StepRef before or after HashValue as each leaf lies) round-trip, and
// keep a few hundred segments at most (two forms of step at each depth).
func TestChainCoderBatch(t *testing.T) {
	chains := batchChains(t, 10000)
	var c chainCoder
	var seen int
	for i, d := range chains {
		if got := inflate(t, c.deflate(nil, d)); !bytes.Equal(got, d) {
			t.Fatalf("chain %d differs", i)
		}
		if i == len(chains)/2 {
			seen = len(c.segs)
		}
	}
	if len(c.segs) > 256 || seen > len(c.segs) {
		t.Errorf("%d segments kept (%d at half the batch)", len(c.segs), seen)
	}
}

// BenchmarkChainCoder deflates the chains of a 10,000-record batch in
// turn.
func BenchmarkChainCoder(b *testing.B) {
	chains := batchChains(b, 10000)
	b.Run("chainCoder", func(b *testing.B) {
		var c chainCoder
		var out []byte
		n := 0
		c0 := cputime.Process()
		for i := 0; i < b.N; i++ {
			out = c.deflate(out[:0], chains[i%len(chains)])
			n += len(out)
		}
		b.ReportMetric(float64(cputime.Process()-c0)/float64(b.N), "cpu_ns/op")
		b.ReportMetric(float64(n)/float64(b.N), "B/chain")
	})
	b.Run("deflateBlock", func(b *testing.B) {
		var tab fixedTable
		var out []byte
		n := 0
		c0 := cputime.Process()
		for i := 0; i < b.N; i++ {
			out = deflateBlock(out[:0], chains[i%len(chains)], &tab, trainedCodes(), nil)
			n += len(out)
		}
		b.ReportMetric(float64(cputime.Process()-c0)/float64(b.N), "cpu_ns/op")
		b.ReportMetric(float64(n)/float64(b.N), "B/chain")
	})
}
