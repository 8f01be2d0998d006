package asic

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// shared are the entries every container of a batch holds byte for byte
// alike: the batch signature and time-stamp with their hash chain results
// and manifests.
var shared = map[string]bool{
	EntrySignature: true, EntrySigHashChainRes: true, EntryTSHashChainResult: true,
	EntryTimestamp: true, EntryASiCManifest: true, EntryManifest: true,
}

// Cache lets a reader inflate once the entries that the containers of a
// batch share (signatures.xml, the hash chain results, timestamp.tst, the
// manifests), which are half of what a small container holds. An entry is
// found by SHA-256 over its compressed bytes, the data descriptor after
// them, its method, CRC-32 and size: the same compressed stream inflates
// to the same bytes, which archive/zip checked against that CRC-32 and
// size when they were first read. Safe for concurrent use. Entries read
// through a Cache are shared between containers and must not be modified.
type Cache struct {
	mu   sync.Mutex
	m    map[[32]byte][]byte
	size int64
	max  int64
}

// NewCache returns a cache that holds up to maxBytes of entries (default
// 16 MiB when maxBytes ≤ 0), starting afresh when full.
func NewCache(maxBytes int64) *Cache {
	if maxBytes <= 0 {
		maxBytes = 16 << 20
	}
	return &Cache{m: map[[32]byte][]byte{}, max: maxBytes}
}

// Read is [Read] through the cache.
func (c *Cache) Read(data []byte, lim Limits) (*Container, error) {
	return read(data, lim, c)
}

// entry returns f's bytes from the cache or reads and remembers them.
// data is the whole zip f belongs to.
func (c *Cache) entry(data []byte, f *zip.File, limit, ratio int64) ([]byte, error) {
	off, err := f.DataOffset()
	if c == nil || !shared[f.Name] || err != nil || f.Method == zip.Store ||
		f.UncompressedSize64 > uint64(limit) || off < 0 || uint64(off)+f.CompressedSize64 > uint64(len(data)) {
		return readEntry(f, limit, ratio)
	}
	end := min(uint64(off)+f.CompressedSize64+24, uint64(len(data))) // + data descriptor
	h := sha256.New()
	var hdr [16]byte
	binary.LittleEndian.PutUint16(hdr[0:], f.Method)
	binary.LittleEndian.PutUint32(hdr[4:], f.CRC32)
	binary.LittleEndian.PutUint64(hdr[8:], f.UncompressedSize64)
	h.Write(hdr[:])
	h.Write(data[off:end])
	var k [32]byte
	h.Sum(k[:0])
	c.mu.Lock()
	b, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err = readEntry(f, limit, ratio)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.size+int64(len(b)) > c.max {
		clear(c.m)
		c.size = 0
	}
	c.m[k] = b
	c.size += int64(len(b))
	c.mu.Unlock()
	return b, nil
}
