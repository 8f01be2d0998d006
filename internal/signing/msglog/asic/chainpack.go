package asic

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
)

// chainCoder deflates hash chain documents (sig-hashchain.xml) with
// trainedCodes, encoding once what the documents of a batch share. The
// hash chains of a batch's records are the same XML around different
// digests: each step the same elements (StepRef before or after HashValue
// as the record's leaf lies left or right), ids and URIs, each
// <DigestValue> of the same length. So a document is split into its
// digests' text (the gaps) and the skeleton segments between them; each
// segment is encoded once, as literals and as matches that reach back
// only into itself or the segment before it (across the gap between
// them), and its bits kept under that pair of segments and the gap's
// length: the same pair at the same distance encodes to the same bits in
// any document. Per document only the digests (about three-fifths of
// the bytes) are encoded, as literals, and nothing is searched.
//
// Whatever a gap holds is written as literals, so any input encodes
// correctly; a document that is no hash chain (no gaps, or long segments)
// goes to deflateBlock.
type chainCoder struct {
	segs map[uint64]*segCode
	h    maphash.Hash
	// gaps and used are the last document's gaps and segments.
	gaps [][2]int
	used []*segCode
	// table is deflateBlock's, for documents unlike a hash chain.
	table fixedTable
}

// segCode is a segment's encoding after prev with gap bytes between.
type segCode struct {
	prev, seg []byte
	gap       int
	bits      bitString
}

// maxSegCodes bounds the segments a chainCoder keeps: a batch's chains
// have a few dozen (two forms of step at each depth).
const maxSegCodes = 4096

// bitString is encoded DEFLATE bits: whole 32-bit words, then n bits in
// last.
type bitString struct {
	words []uint32
	last  uint32
	n     uint
}

// deflate appends doc to dst as one final dynamic block with
// trainedCodes.
func (c *chainCoder) deflate(dst, doc []byte) []byte {
	h := trainedCodes()
	if c.segs == nil || len(c.segs) >= maxSegCodes {
		c.segs = map[uint64]*segCode{}
		c.h.SetSeed(maphash.MakeSeed())
	}
	c.gaps = findGaps(c.gaps, doc)
	if !chainLike(c.gaps, len(doc)) {
		c.used = c.used[:0]
		return deflateBlock(dst, doc, &c.table, h, nil)
	}
	dst, acc, nb := h.startBlock(dst)
	var prev []byte
	start, prevEnd := 0, 0
	// same: the segments so far are the last document's (c.used), so
	// the previous one equals the next used one's prev.
	same := true
	for k := 0; k <= len(c.gaps); k++ {
		end := len(doc)
		if k < len(c.gaps) {
			end = c.gaps[k][0]
		}
		seg := doc[start:end]
		gap := start - prevEnd
		var sc *segCode
		if same && k < len(c.used) && c.used[k].gap == gap && bytes.Equal(c.used[k].seg, seg) {
			sc = c.used[k]
		} else {
			same = false
			sc = c.segment(h, doc[start-gap-len(prev):end], len(prev), gap)
			if k < len(c.used) {
				c.used[k] = sc
			} else {
				c.used = append(c.used, sc)
			}
		}
		dst, acc, nb = sc.bits.put(dst, acc, nb)
		if k < len(c.gaps) {
			dst, acc, nb = h.putLiterals(dst, doc[c.gaps[k][0]:c.gaps[k][1]], acc, nb)
			prev, prevEnd, start = seg, end, c.gaps[k][1]
		}
	}
	c.used = c.used[:len(c.gaps)+1]
	return h.endBlock(dst, acc, nb)
}

// segment returns the encoding of the segment at the end of b after a
// segment of np bytes at its start and gap bytes: the one kept, or a new
// one.
func (c *chainCoder) segment(h *huffCodes, b []byte, np, gap int) *segCode {
	prev, seg := b[:np], b[np+gap:]
	c.h.Reset()
	c.h.Write(prev)
	c.h.WriteByte(byte(np))
	c.h.WriteByte(byte(gap))
	c.h.Write(seg)
	key := c.h.Sum64()
	sc := c.segs[key]
	if sc == nil || sc.gap != gap || !bytes.Equal(sc.seg, seg) || !bytes.Equal(sc.prev, prev) {
		sc = &segCode{prev: bytes.Clone(prev), seg: bytes.Clone(seg), gap: gap, bits: encodeSegment(h, b, np, gap)}
		c.segs[key] = sc
	}
	return sc
}

// put appends b after the pending bits acc (nb < 32 of them).
func (b *bitString) put(dst []byte, acc uint64, nb uint) ([]byte, uint64, uint) {
	for _, w := range b.words {
		acc |= uint64(w) << nb
		dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
		acc >>= 32
	}
	acc |= uint64(b.last) << nb
	nb += b.n
	if nb >= 32 {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
		acc >>= 32
		nb -= 32
	}
	return dst, acc, nb
}

// minGap is the shortest digest text taken as a gap.
const minGap = 16

const digestOpen, digestClose = "<DigestValue>", "</DigestValue>"

// findGaps returns the text of each <DigestValue> element of doc at least
// minGap long, reusing gaps, the last document's: while its gaps are
// where doc's digests are (a batch's chains have the same steps) nothing
// is searched; from the first that is not, doc is searched. (A digest
// element between two kept gaps is then left in a segment: encoded all
// the same, as a segment that seldom recurs.)
func findGaps(gaps [][2]int, doc []byte) [][2]int {
	from := 0
	for k, g := range gaps {
		if g[0] < len(digestOpen) || g[1]+len(digestClose) > len(doc) ||
			string(doc[g[0]-len(digestOpen):g[0]]) != digestOpen || string(doc[g[1]:g[1]+len(digestClose)]) != digestClose {
			return digestGaps(gaps[:k], doc, from)
		}
		from = g[1] + len(digestClose)
	}
	return digestGaps(gaps, doc, from)
}

// digestGaps appends to gaps the text of each <DigestValue> element of
// doc[from:] at least minGap long.
func digestGaps(gaps [][2]int, doc []byte, from int) [][2]int {
	for i := from; ; {
		o := bytes.Index(doc[i:], []byte(digestOpen))
		if o < 0 {
			return gaps
		}
		start := i + o + len(digestOpen)
		e := bytes.Index(doc[start:], []byte(digestClose))
		if e < 0 {
			return gaps
		}
		if e >= minGap {
			gaps = append(gaps, [2]int{start, start + e})
		}
		i = start + e + len(digestClose)
	}
}

// maxSegment is the longest skeleton segment of a document chainCoder
// encodes by segments (a hash chain's are under 300 bytes); one with a
// longer segment is no hash chain, and deflateBlock takes it.
const maxSegment = 1024

// chainLike reports whether a document of n bytes with gaps has gaps and
// no segment longer than maxSegment.
func chainLike(gaps [][2]int, n int) bool {
	start := 0
	for _, g := range gaps {
		if g[0]-start > maxSegment {
			return false
		}
		start = g[1]
	}
	return len(gaps) > 0 && n-start <= maxSegment
}

// encodeSegment encodes the segment at the end of b with h, after a
// segment of np bytes at b's start and a gap of gap bytes: greedy longest
// matches (the nearest of equals) whose source lies in the previous
// segment or earlier in this one. At most a few hundred bytes each, so the
// search tries every source.
func encodeSegment(h *huffCodes, b []byte, np, gap int) bitString {
	seg := np + gap // this segment's start in b
	var dst []byte
	var acc uint64
	var nb uint
	put := func(v uint64, n uint) {
		acc |= v << nb
		nb += n
		if nb >= 32 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
			acc >>= 32
			nb -= 32
		}
	}
	lit := seg
	for i := seg; i < len(b); {
		bestL, bestD := 0, 0
		try := func(c, srcEnd int) {
			if l := matchLen(b[c:srcEnd], b[i:min(len(b), i+maxMatch)]); l > bestL || (l == bestL && i-c < bestD) {
				bestL, bestD = l, i-c
			}
		}
		for c := 0; c < np; c++ {
			try(c, np)
		}
		for c := seg; c < i; c++ {
			try(c, len(b))
		}
		if bestL < 4 || bestD > maxDistance {
			i++
			continue
		}
		dst, acc, nb = h.putLiterals(dst, b[lit:i], acc, nb)
		lc := h.length[bestL-minMatch]
		put(uint64(lc.code), uint(lc.len))
		put(h.distCode(bestD))
		i += bestL
		lit = i
	}
	dst, acc, nb = h.putLiterals(dst, b[lit:], acc, nb)
	bs := bitString{words: make([]uint32, len(dst)/4), last: uint32(acc), n: nb}
	for j := range bs.words {
		bs.words[j] = binary.LittleEndian.Uint32(dst[4*j:])
	}
	return bs
}
