package asic

import (
	"encoding/binary"
	"math/bits"
)

// fixedDeflate appends to dst src as one DEFLATE block with the fixed
// Huffman codes of RFC 1951 §3.2.6 and greedy LZ77 matching. A dynamic
// block (klauspost's BestSpeed) spends ~10 µs building and writing its
// Huffman tables whatever the input's size, which for the 1–4 KiB entries
// of a container (message.xml, sig-hashchain.xml) is most of the cost;
// here nothing is built, and the XML's repeated tags and names still
// compress. table is the caller's reusable match table; gen makes its
// stale entries invalid without clearing it.
func fixedDeflate(dst, src []byte, t *fixedTable) []byte {
	return deflateBlock(dst, src, t, &fixedCodes, nil)
}

// deflateBlock is fixedDeflate with the codes of h: the fixed ones or a
// dynamic block's whose header h holds ready-made (trainedCodes). With
// count set nothing is written: the symbols are counted instead.
func deflateBlock(dst, src []byte, t *fixedTable, h *huffCodes, count *symCounts) []byte {
	// acc holds nb pending bits; at most 31 bits are added between
	// flushes of 32.
	dst, acc, nb := h.startBlock(dst)
	if t.base > 1<<30 {
		t.table = [fixedTableSize]int32{}
		t.base = 0
	}
	base := t.base + 1
	t.base += int32(len(src)) + maxDistance + 1
	lit := 0 // first literal not yet written
	n := len(src)
	// After 8 positions without a match the search steps over more
	// bytes (as snappy does, sooner): base64 digests rarely match
	// inside, and a match found past the start of a repeat is extended
	// backwards over the bytes stepped over.
	skip := 8
	for i := 0; i+4 <= n; {
		cur := binary.LittleEndian.Uint32(src[i:])
		hs := (cur * 0x1e35a7bd) >> (32 - fixedTableBits)
		cand := int(t.table[hs] - base)
		t.table[hs] = int32(i) + base
		if cand < 0 || i-cand > maxDistance || binary.LittleEndian.Uint32(src[cand:]) != cur {
			i += skip >> 3
			skip++
			continue
		}
		skip = 8
		for i > lit && cand > 0 && src[i-1] == src[cand-1] {
			i--
			cand--
		}
		l := 4 + matchLen(src[cand+4:], src[i+4:min(n, i+maxMatch)])
		if count != nil {
			count.literals(src[lit:i])
			count.match(l, i-cand)
			i += l
			lit = i
			continue
		}
		dst, acc, nb = h.putLiterals(dst, src[lit:i], acc, nb)
		lc := h.length[l-minMatch]
		dc, dn := h.distCode(i - cand)
		acc |= uint64(lc.code) << nb
		nb += uint(lc.len)
		if nb >= 32 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
			acc >>= 32
			nb -= 32
		}
		acc |= dc << nb
		nb += dn
		if nb >= 32 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
			acc >>= 32
			nb -= 32
		}
		i += l
		lit = i
	}
	if count != nil {
		count.literals(src[lit:])
		count.lit[endOfBlock]++
		return dst
	}
	dst, acc, nb = h.putLiterals(dst, src[lit:], acc, nb)
	return h.endBlock(dst, acc, nb)
}

// startBlock appends the block's header (h.header) to dst, keeping the
// bits of a last partial 32-bit word in acc (nb of them).
func (h *huffCodes) startBlock(dst []byte) (_ []byte, acc uint64, nb uint) {
	for i, b := range h.header[:len(h.header)-1] {
		acc |= uint64(b) << nb
		nb += 8
		if i%4 == 3 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
			acc >>= 32
			nb -= 32
		}
	}
	acc |= uint64(h.header[len(h.header)-1]) << nb
	nb += h.headerLast
	if nb >= 32 {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
		acc >>= 32
		nb -= 32
	}
	return dst, acc, nb
}

// endBlock appends end of block and the pending bits acc (nb of them),
// padded to a byte.
func (h *huffCodes) endBlock(dst []byte, acc uint64, nb uint) []byte {
	acc |= uint64(h.eob.code) << nb
	nb += uint(h.eob.len)
	for ; nb >= 8; nb -= 8 {
		dst = append(dst, byte(acc))
		acc >>= 8
	}
	if nb > 0 {
		dst = append(dst, byte(acc))
	}
	return dst
}

// putLiterals writes lits with h's codes; with the fixed codes four bytes
// below 144 (eight-bit codes: ASCII text and base64) in one 32-bit step,
// with others (at most 15 bits each) two at a time.
func (h *huffCodes) putLiterals(dst, lits []byte, acc uint64, nb uint) ([]byte, uint64, uint) {
	if !h.fixed {
		// Four at a time while their codes fit 32 bits (base64 and
		// XML text take ~6 bits a character with trainedCodes).
		for len(lits) >= 4 {
			a, b, c, d := h.lit[lits[0]], h.lit[lits[1]], h.lit[lits[2]], h.lit[lits[3]]
			ab, cd := uint(a.len)+uint(b.len), uint(c.len)+uint(d.len)
			lits = lits[4:]
			if ab+cd <= 32 {
				acc |= (uint64(a.code) | uint64(b.code)<<a.len | uint64(c.code)<<ab | uint64(d.code)<<(ab+uint(c.len))) << nb
				nb += ab + cd
				if nb >= 32 {
					dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
					acc >>= 32
					nb -= 32
				}
				continue
			}
			// Two pairs of at most 30 bits.
			acc |= (uint64(a.code) | uint64(b.code)<<a.len) << nb
			nb += ab
			if nb >= 32 {
				dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
				acc >>= 32
				nb -= 32
			}
			acc |= (uint64(c.code) | uint64(d.code)<<c.len) << nb
			nb += cd
			if nb >= 32 {
				dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
				acc >>= 32
				nb -= 32
			}
		}
		for len(lits) >= 2 {
			a, b := h.lit[lits[0]], h.lit[lits[1]]
			acc |= (uint64(a.code) | uint64(b.code)<<a.len) << nb
			nb += uint(a.len) + uint(b.len)
			if nb >= 32 {
				dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
				acc >>= 32
				nb -= 32
			}
			lits = lits[2:]
		}
	}
	for len(lits) >= 4 {
		a, b, c, d := lits[0], lits[1], lits[2], lits[3]
		if a|b|c|d < 128 || (a < 144 && b < 144 && c < 144 && d < 144) {
			acc |= uint64(uint32(h.lit[a].code)|uint32(h.lit[b].code)<<8|
				uint32(h.lit[c].code)<<16|uint32(h.lit[d].code)<<24) << nb
			dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
			acc >>= 32 // nb bits stay pending
			lits = lits[4:]
			continue
		}
		for _, c := range lits[:4] {
			lc := h.lit[c]
			acc |= uint64(lc.code) << nb
			nb += uint(lc.len)
			if nb >= 32 {
				dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
				acc >>= 32
				nb -= 32
			}
		}
		lits = lits[4:]
	}
	for _, c := range lits {
		lc := h.lit[c]
		acc |= uint64(lc.code) << nb
		nb += uint(lc.len)
		if nb >= 32 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
			acc >>= 32
			nb -= 32
		}
	}
	return dst, acc, nb
}

const (
	fixedTableBits = 12
	fixedTableSize = 1 << fixedTableBits
	maxDistance    = 32768
	minMatch       = 3
	maxMatch       = 258
)

// fixedTable holds the last position of each 4-byte hash, offset by base
// so that positions of an earlier input never match.
type fixedTable struct {
	table [fixedTableSize]int32
	base  int32
}

type code struct {
	code uint32 // bit-reversed Huffman code, with extra bits above it
	len  uint8
}

// huffCodes are the codes of one DEFLATE block type: each literal's,
// each match length's with its extra bits above it, each distance
// symbol's, end of block's, and the block's header (BFINAL, BTYPE and,
// for a dynamic block, its code lengths): header's bytes, the last of
// which holds headerLast bits.
type huffCodes struct {
	lit        [256]code
	length     [maxMatch - minMatch + 1]code
	dist       [30]code
	eob        code
	header     []byte
	headerLast uint
	fixed      bool // the fixed codes: literals below 144 take 8 bits
}

const endOfBlock = 256

// fixedCodes are RFC 1951's fixed codes (§3.2.6).
var fixedCodes = func() (h huffCodes) {
	var lit [288]uint8 // 286 and 287 take part in the canonical code
	var dist [30]uint8
	for v := range lit {
		switch {
		case v < 144:
			lit[v] = 8
		case v < 256:
			lit[v] = 9
		case v < 280:
			lit[v] = 7
		default:
			lit[v] = 8
		}
	}
	for i := range dist {
		dist[i] = 5
	}
	h.set(lit[:], dist[:])
	h.header, h.headerLast, h.fixed = []byte{3}, 3, true // BFINAL=1, BTYPE=01
	return h
}()

// set gives h the canonical codes (RFC 1951 §3.2.2) of the literal/length
// code lengths lit (286 of them, or 288) and distance code lengths dist
// (30).
func (h *huffCodes) set(lit, dist []uint8) {
	litCodes, distCodes := canonical(lit), canonical(dist)
	for v := range 256 {
		h.lit[v] = litCodes[v]
	}
	h.eob = litCodes[endOfBlock]
	for l := minMatch; l <= maxMatch; l++ {
		sym, extra, nextra := lengthSymbol(l)
		c := litCodes[sym]
		c.code |= extra << c.len
		c.len += uint8(nextra)
		h.length[l-minMatch] = c
	}
	copy(h.dist[:], distCodes)
}

// canonical returns the bit-reversed (as DEFLATE writes them) canonical
// Huffman codes of lengths.
func canonical(lengths []uint8) []code {
	var count [16]uint32
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	c := uint32(0)
	for b := 1; b < 16; b++ {
		c = (c + count[b-1]) << 1
		next[b] = c
	}
	codes := make([]code, len(lengths))
	for i, l := range lengths {
		if l == 0 {
			continue
		}
		codes[i] = code{uint32(bits.Reverse16(uint16(next[l])) >> (16 - l)), l}
		next[l]++
	}
	return codes
}

// lengthSymbol returns the length symbol (257…285) of match length l and
// its extra bits.
func lengthSymbol(l int) (sym, extra, nextra uint32) {
	x := uint32(l - minMatch)
	switch {
	case l == maxMatch:
		return 285, 0, 0
	case x < 8:
		return 257 + x, 0, 0
	}
	n := uint32(bits.Len32(x)) - 1
	nextra = n - 2
	return 257 + 4*(n-1) + (x>>(n-2))&3, x & (1<<nextra - 1), nextra
}

// distSymbol returns the distance symbol (0…29) of distance d (1…32768)
// and its extra bits.
func distSymbol(d int) (sym, extra, nextra uint32) {
	x := uint32(d - 1)
	if x < 4 {
		return x, 0, 0
	}
	n := uint32(bits.Len32(x)) - 1
	nextra = n - 1
	return 2*n + (x>>(n-1))&1, x & (1<<nextra - 1), nextra
}

// distCode returns h's code of distance d with its extra bits above it.
func (h *huffCodes) distCode(d int) (uint64, uint) {
	sym, extra, nextra := distSymbol(d)
	c := h.dist[sym]
	return uint64(c.code) | uint64(extra)<<c.len, uint(c.len) + uint(nextra)
}

// matchLen returns how many leading bytes of a and b are equal,
// comparing 8 bytes at a time.
func matchLen(a, b []byte) int {
	if len(a) < len(b) {
		b = b[:len(a)]
	}
	n := 0
	for len(b)-n >= 8 {
		if x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
		n += 8
	}
	for n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
