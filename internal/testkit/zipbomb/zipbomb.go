// Package zipbomb makes decompression bombs for the tests of the limits on
// archives and containers.
package zipbomb

import (
	"bytes"
	"compress/flate"
	"hash/crc32"
)

// Deflate returns a raw DEFLATE stream of size bytes of spaces (a
// multiple of 1 MiB) and their CRC-32, built from one compressed MiB
// repeated, so a 480 MiB bomb costs milliseconds to make, even under the
// race detector.
func Deflate(size int) ([]byte, uint32) {
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	_, _ = fw.Write(chunk)
	_ = fw.Flush() // ends with a sync flush: non-final blocks, byte aligned
	var out bytes.Buffer
	var crc uint32
	for range size >> 20 {
		out.Write(blk.Bytes())
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	out.Write([]byte{0x03, 0x00}) // an empty final fixed-Huffman block
	return out.Bytes(), crc
}
