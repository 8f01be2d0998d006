package asic

import (
	"encoding/base64"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// trainedCodes are the codes of a dynamic DEFLATE block fitted once to
// the shape of sig-hashchain.xml (an XML template around base64 SHA-512
// digests, which fixed codes spend 8 bits a character on), with every
// symbol given a code so that any input encodes. The block's header (its
// code lengths, ~70 bytes) is computed with them and copied into each
// entry: a dynamic block's compression for fixedDeflate's cost, without
// building a table per entry.
var trainedCodes = sync.OnceValue(func() *huffCodes {
	var c symCounts
	var t fixedTable
	deflateBlock(nil, []byte(hashChainSample(14)), &t, &fixedCodes, &c)
	for i := range c.lit {
		c.lit[i]++
	}
	for i := range c.dist {
		c.dist[i]++
	}
	lit, dist := huffLengths(c.lit[:], 15), huffLengths(c.dist[:], 15)
	h := &huffCodes{}
	h.set(lit, dist)
	h.header, h.headerLast = dynamicHeader(lit, dist)
	return h
})

// hashChainSample is a hash chain document of X-Road's form with steps
// steps and random digests.
func hashChainSample(steps int) string {
	r := rand.New(rand.NewChaCha8([32]byte{'h', 'c'}))
	digest := func() string {
		var d [64]byte
		for i := range d {
			d[i] = byte(r.Uint32())
		}
		return base64.StdEncoding.EncodeToString(d[:])
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<ns2:HashChain xmlns="http://www.w3.org/2000/09/xmldsig#" xmlns:ns2="http://cyber.ee/hashchain">` + "\n" +
		`    <ns2:DefaultDigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/>` + "\n")
	for i := range steps {
		b.WriteString(`    <ns2:HashStep id="STEP` + strconv.Itoa(i) + `">` + "\n" +
			`        <ns2:StepRef URI="#STEP` + strconv.Itoa(i+1) + `"/>` + "\n" +
			`        <ns2:HashValue>` + "\n" +
			`            <DigestValue>` + digest() + `</DigestValue>` + "\n" +
			`        </ns2:HashValue>` + "\n" +
			`    </ns2:HashStep>` + "\n")
	}
	b.WriteString(`    <ns2:HashStep id="STEP` + strconv.Itoa(steps) + `">` + "\n")
	for _, uri := range []string{"/message.xml", "/" + EntryExchange} {
		b.WriteString(`        <ns2:DataRef URI="` + uri + `">` + "\n" +
			`            <DigestValue>` + digest() + `</DigestValue>` + "\n" +
			`        </ns2:DataRef>` + "\n")
	}
	b.WriteString("    </ns2:HashStep>\n</ns2:HashChain>")
	return b.String()
}

// symCounts counts the literal/length and distance symbols of a block.
type symCounts struct {
	lit  [286]int
	dist [30]int
}

func (c *symCounts) literals(b []byte) {
	for _, x := range b {
		c.lit[x]++
	}
}

func (c *symCounts) match(l, d int) {
	ls, _, _ := lengthSymbol(l)
	ds, _, _ := distSymbol(d)
	c.lit[ls]++
	c.dist[ds]++
}

// huffLengths returns Huffman code lengths of at most maxBits for freq
// (symbols of frequency 0 get none), flattening the frequencies until the
// longest code fits.
func huffLengths(freq []int, maxBits int) []uint8 {
	f := slices.Clone(freq)
	for {
		l := huffDepths(f)
		if int(slices.Max(l)) <= maxBits {
			return l
		}
		for i, x := range f {
			if x > 0 {
				f[i] = x/2 + 1
			}
		}
	}
}

// huffDepths returns each symbol's depth in a Huffman tree of freq.
func huffDepths(freq []int) []uint8 {
	type node struct{ w, parent int }
	var nodes []node
	var live []int // nodes without a parent
	for _, w := range freq {
		nodes = append(nodes, node{w, -1})
		if w > 0 {
			live = append(live, len(nodes)-1)
		}
	}
	for len(live) > 1 {
		slices.SortFunc(live, func(a, b int) int { return nodes[b].w - nodes[a].w })
		a, b := live[len(live)-1], live[len(live)-2]
		nodes = append(nodes, node{nodes[a].w + nodes[b].w, -1})
		nodes[a].parent, nodes[b].parent = len(nodes)-1, len(nodes)-1
		live = append(live[:len(live)-2], len(nodes)-1)
	}
	depth := make([]uint8, len(freq))
	for i, w := range freq {
		if w == 0 {
			continue
		}
		d := uint8(0)
		for p := nodes[i].parent; p >= 0; p = nodes[p].parent {
			d++
		}
		depth[i] = max(d, 1)
	}
	return depth
}

// dynamicHeader returns the start of a final dynamic block (RFC 1951
// §3.2.7) with literal/length code lengths lit (286) and distance code
// lengths dist (30) as bytes, the last holding the returned number of
// bits.
func dynamicHeader(lit, dist []uint8) ([]byte, uint) {
	// The code lengths, runs of a repeated length as code 16.
	type sym struct{ s, extra, nextra uint8 }
	var syms []sym
	all := append(slices.Clone(lit), dist...)
	for i := 0; i < len(all); {
		syms = append(syms, sym{all[i], 0, 0})
		run := 1
		for i+run < len(all) && all[i+run] == all[i] && run < 7 {
			run++
		}
		if run >= 4 {
			syms = append(syms, sym{16, uint8(run - 4), 2})
			i += run
			continue
		}
		i++
	}
	freq := make([]int, 19)
	for _, s := range syms {
		freq[s.s]++
	}
	clLen := huffLengths(freq, 7)
	clCode := canonical(clLen)
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	hclen := len(order)
	for hclen > 4 && clLen[order[hclen-1]] == 0 {
		hclen--
	}
	var w bitWriter
	w.put(1, 1) // BFINAL
	w.put(2, 2) // BTYPE=10, dynamic
	w.put(uint32(len(lit)-257), 5)
	w.put(uint32(len(dist)-1), 5)
	w.put(uint32(hclen-4), 4)
	for _, s := range order[:hclen] {
		w.put(uint32(clLen[s]), 3)
	}
	for _, s := range syms {
		c := clCode[s.s]
		w.put(c.code, uint(c.len))
		w.put(uint32(s.extra), uint(s.nextra))
	}
	last := w.nb % 8
	if last == 0 {
		last = 8
	}
	return w.out, last
}

// bitWriter appends bits least significant first.
type bitWriter struct {
	out []byte
	nb  uint // bits used in the last byte (0: a new one starts)
}

func (w *bitWriter) put(v uint32, n uint) {
	for ; n > 0; n-- {
		if w.nb%8 == 0 {
			w.out = append(w.out, 0)
		}
		w.out[len(w.out)-1] |= byte(v&1) << (w.nb % 8)
		w.nb++
		v >>= 1
	}
}
