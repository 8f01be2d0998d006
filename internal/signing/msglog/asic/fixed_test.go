package asic

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"io"
	"math/rand"
	"os"
	"strconv"
	"testing"
)

func inflate(t testing.TB, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return out
}

// TestFixedDeflateRoundTrip checks fixedDeflate's output with the
// standard library's inflater (as Java's Inflater, a plain RFC 1951
// reader) on text, random bytes, long runs (matches of 258, distances up
// to 32 KiB) and inputs around the match-finder's edges.
func TestFixedDeflateRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var inputs [][]byte
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 100, 1023, 1024, 4095} {
		b := make([]byte, n)
		r.Read(b)
		inputs = append(inputs, b, bytes.Repeat([]byte{'a'}, n), []byte(xmlish(n)))
	}
	far := make([]byte, 70000)
	r.Read(far)
	copy(far[40000:], far[40000-32768:40000-32768+300]) // distance exactly 32768
	copy(far[50000:], far[50000-32769:50000-32769+300]) // one too far
	inputs = append(inputs, far)
	var tab fixedTable
	for _, codes := range []*huffCodes{&fixedCodes, trainedCodes()} {
		for _, in := range inputs {
			out := deflateBlock(nil, in, &tab, codes, nil)
			if got := inflate(t, out); !bytes.Equal(got, in) {
				t.Fatalf("round trip of %d bytes (fixed %v): got %d bytes, differ", len(in), codes.fixed, len(got))
			}
		}
	}
	// Repetitive XML compresses.
	x := []byte(xmlish(2000))
	if out := fixedDeflate(nil, x, &tab); len(out) > len(x)/2 {
		t.Errorf("xml of %d bytes deflated to %d", len(x), len(out))
	}
	// The match table's base wraps without matching stale positions.
	tab.base = 1<<30 + 1
	for _, in := range inputs[:6] {
		if got := inflate(t, fixedDeflate(nil, in, &tab)); !bytes.Equal(got, in) {
			t.Fatal("round trip after the table's reset differs")
		}
	}
}

func xmlish(n int) string {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString("<hc:HashStep><ds:DigestValue>")
		b.WriteByte(byte('A' + i%26))
		b.WriteString("</ds:DigestValue></hc:HashStep>")
	}
	return b.String()[:n]
}

// TestTrainedCodes: sig-hashchain.xml of a 10000-record batch
// (testdata/container1k) is smaller with trainedCodes than with the
// fixed codes, header included, and inflates back.
func TestTrainedCodes(t *testing.T) {
	x, err := os.ReadFile("testdata/container1k/sig-hashchain.xml")
	if err != nil {
		t.Fatal(err)
	}
	var tab fixedTable
	fixed, trained := fixedDeflate(nil, x, &tab), deflateBlock(nil, x, &tab, trainedCodes(), nil)
	if got := inflate(t, trained); !bytes.Equal(got, x) {
		t.Fatal("round trip with the trained codes differs")
	}
	if len(trained) >= len(fixed)-len(fixed)/10 {
		t.Errorf("trained codes give %d bytes, fixed ones %d: want a tenth less", len(trained), len(fixed))
	}
	t.Logf("%d bytes: fixed codes %d, trained %d", len(x), len(fixed), len(trained))
}

func FuzzFixedDeflate(f *testing.F) {
	f.Add([]byte(xmlish(500)))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
	var tab fixedTable
	f.Fuzz(func(t *testing.T, in []byte) {
		if got := inflate(t, fixedDeflate(nil, in, &tab)); !bytes.Equal(got, in) {
			t.Fatalf("round trip of %d bytes differs", len(in))
		}
		if got := inflate(t, deflateBlock(nil, in, &tab, trainedCodes(), nil)); !bytes.Equal(got, in) {
			t.Fatalf("round trip of %d bytes with the trained codes differs", len(in))
		}
	})
}

func BenchmarkDeflateEntry(b *testing.B) {
	// A hash chain's shape: XML around base64 digests.
	for _, n := range []int{1500, 4650} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchDeflateEntry(b, n) })
	}
}

func benchDeflateEntry(b *testing.B, n int) {
	r := rand.New(rand.NewSource(2))
	var buf bytes.Buffer
	for buf.Len() < n {
		d := make([]byte, 64)
		r.Read(d)
		buf.WriteString(`<HashStep id="s1"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/><DigestValue>`)
		buf.WriteString(base64.StdEncoding.EncodeToString(d))
		buf.WriteString("</DigestValue></HashStep>\n")
	}
	x := buf.Bytes()
	b.Run("fixed", func(b *testing.B) {
		var tab fixedTable
		var out []byte
		for i := 0; i < b.N; i++ {
			out = fixedDeflate(out[:0], x, &tab)
		}
		b.ReportMetric(float64(len(out))/float64(len(x)), "ratio")
	})
	b.Run("packer", func(b *testing.B) {
		p := NewPacker()
		p.fixedMax = 0
		var e packed
		for i := 0; i < b.N; i++ {
			e, _ = p.entryPack(x, false, 0, &fixedCodes)
		}
		b.ReportMetric(float64(len(e.raw))/float64(len(x)), "ratio")
	})
}
