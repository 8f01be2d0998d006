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
	// acc holds nb pending bits; at most 31 bits are added between
	// flushes of 32.
	var acc uint64 = 3 // BFINAL=1, BTYPE=01 (fixed Huffman)
	var nb uint = 3
	if t.base > 1<<30 {
		t.table = [fixedTableSize]int32{}
		t.base = 0
	}
	base := t.base + 1
	t.base += int32(len(src)) + maxDistance + 1
	lit := 0 // first literal not yet written
	n := len(src)
	// After 32 positions without a match the search steps over more
	// bytes (as snappy does): base64 digests rarely match inside.
	skip := 32
	for i := 0; i+4 <= n; {
		cur := binary.LittleEndian.Uint32(src[i:])
		h := (cur * 0x1e35a7bd) >> (32 - fixedTableBits)
		cand := int(t.table[h] - base)
		t.table[h] = int32(i) + base
		if cand < 0 || i-cand > maxDistance || binary.LittleEndian.Uint32(src[cand:]) != cur {
			i += skip >> 5
			skip++
			continue
		}
		skip = 32
		l := 4
		for i+l < n && l < maxMatch && src[cand+l] == src[i+l] {
			l++
		}
		dst, acc, nb = putLiterals(dst, src[lit:i], acc, nb)
		lc := fixedLength[l-minMatch]
		dc, dn := distCode(i - cand)
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
	dst, acc, nb = putLiterals(dst, src[lit:], acc, nb)
	nb += 7 // end of block: symbol 256 is seven zero bits
	for ; nb >= 8; nb -= 8 {
		dst = append(dst, byte(acc))
		acc >>= 8
	}
	if nb > 0 {
		dst = append(dst, byte(acc))
	}
	return dst
}

// putLiterals writes lits with their fixed codes, four bytes below 144
// (eight-bit codes: ASCII text and base64) in one 32-bit step.
func putLiterals(dst, lits []byte, acc uint64, nb uint) ([]byte, uint64, uint) {
	for len(lits) >= 4 {
		a, b, c, d := lits[0], lits[1], lits[2], lits[3]
		if a|b|c|d < 128 || (a < 144 && b < 144 && c < 144 && d < 144) {
			acc |= uint64(uint32(fixedLit[a].code)|uint32(fixedLit[b].code)<<8|
				uint32(fixedLit[c].code)<<16|uint32(fixedLit[d].code)<<24) << nb
			dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
			acc >>= 32 // nb bits stay pending
			lits = lits[4:]
			continue
		}
		for _, c := range lits[:4] {
			lc := fixedLit[c]
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
		lc := fixedLit[c]
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

// fixedLit is the fixed literal code of each byte; fixedLength the fixed
// length code and extra bits of each match length 3…258.
var fixedLit, fixedLength = func() (lit [256]code, length [maxMatch - minMatch + 1]code) {
	rev := func(c uint32, n uint8) uint32 { return uint32(bits.Reverse16(uint16(c)) >> (16 - n)) }
	for v := range 256 {
		if v < 144 {
			lit[v] = code{rev(0x30+uint32(v), 8), 8}
		} else {
			lit[v] = code{rev(0x190+uint32(v-144), 9), 9}
		}
	}
	for l := minMatch; l <= maxMatch; l++ {
		x := uint32(l - minMatch)
		var sym, extra, nextra uint32
		switch {
		case l == maxMatch:
			sym = 285
		case x < 8:
			sym = 257 + x
		default:
			n := uint32(bits.Len32(x)) - 1
			sym = 257 + 4*(n-1) + (x>>(n-2))&3
			nextra = n - 2
			extra = x & (1<<nextra - 1)
		}
		var c code
		if sym < 280 {
			c = code{rev(sym-256, 7), 7}
		} else {
			c = code{rev(0xc0+sym-280, 8), 8}
		}
		c.code |= extra << c.len
		c.len += uint8(nextra)
		length[l-minMatch] = c
	}
	return
}()

// distCode returns the fixed code (five bits, reversed) and extra bits of
// distance d (1…32768).
func distCode(d int) (uint64, uint) {
	x := uint32(d - 1)
	if x < 4 {
		return uint64(bits.Reverse8(uint8(x)) >> 3), 5
	}
	n := uint32(bits.Len32(x)) - 1
	sym := 2*n + (x>>(n-1))&1
	nextra := n - 1
	extra := x & (1<<nextra - 1)
	return uint64(bits.Reverse8(uint8(sym))>>3) | uint64(extra)<<5, uint(5 + nextra)
}
