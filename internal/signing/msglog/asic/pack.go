package asic

import (
	"bytes"
	"crypto/sha512"
	"encoding"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"strconv"
	"time"
	"unsafe"

	"github.com/klauspost/compress/flate"
)

// Packer builds the containers of an archive, compressing every byte at
// most once: each entry of 1 KiB or more is deflated on its own (below
// 8 KiB, the usual message.xml and sig-hashchain.xml, as one block with
// DEFLATE's fixed Huffman codes, which costs no table building; above it
// with one reused dynamic-Huffman compressor) and kept DEFLATED only where
// that saves at least an eighth of it, else STORED, as are smaller entries;
// a record's exchange metadata is fixed-coded from minDeflateExchange. The
// entries the containers of a batch share byte for byte (signatures.xml,
// the hash chain results, the manifests) are compressed once per batch, at
// the best level since that costs once per thousands of containers, and
// their compressed bytes reused. The archive then stores the containers
// as they are (ArchiveOptions.Store) instead of deflating each whole
// container again.
//
// X-Road's AsicContainer reads entries by name with java.util.zip, so the
// method of each entry is its own business; mimetype stays first, STORED
// and without extra field (ETSI TS 102 918 §A.1), and no entry has a data
// descriptor (Java's ZipInputStream refuses a STORED entry with one).
//
// A Packer is not safe for concurrent use. The bytes Build returns are
// valid until the next call.
type Packer struct {
	fw   *flate.Writer
	best *flate.Writer // for the batch's shared entries
	comp bytes.Buffer
	out  []byte
	cd   []byte // central directory being built
	n    int    // entries in cd
	memo map[memoKey]packed
	held int // bytes the memo keeps
	// manifests holds one manifest per layout, so the memo finds it.
	manifests map[string][]byte
	// Entries shorter than fixedMax are deflated as one block:
	// sig-hashchain.xml by chains, the others by deflateBlock with the
	// fixed codes and match table fixed; longer ones by fw.
	fixedMax int
	fixed    fixedTable
	chains   chainCoder // sig-hashchain.xml's
	// prefix is the length of the last container's leading entries
	// shared with the batch's other containers; sumOf is a copy of those
	// bytes, sumState the SHA-512 state after them and sumCRC their
	// CRC-32.
	prefix   int
	sumOf    []byte
	sumState []byte
	sumCRC   uint32
	sha      hash.Hash
	// exchange is the last exchange metadata entry, for the record's
	// other container.
	exchange packed
}

// packed is one entry's bytes as written: raw is the stored or deflated
// data.
type packed struct {
	src    []byte // the entry's bytes
	method uint16
	raw    []byte
	crc    uint32
}

// memoKey finds a shared entry by where its bytes are; the memo keeps a
// copy of them and a hit counts only when the bytes are still equal (a
// caller may reuse its buffer for another batch's signature).
type memoKey struct {
	p *byte
	n int
}

// NewPacker returns a Packer.
func NewPacker() *Packer { return &Packer{memo: map[memoKey]packed{}, fixedMax: maxFixed} }

// Deflating an entry costs a fixed ~10 µs (building its Huffman tables)
// whatever its size. minDeflate is the smallest entry of one container
// worth that: below 1 KiB deflate saves a few hundred bytes at most, so
// such entries are STORED. A batch's shared entries, compressed once for
// all its containers, are deflated from minDeflateShared.
// minDeflateExchange is the same for the exchange metadata (~750 bytes
// at 1 KiB messages): fixed codes take ~1 µs for a quarter of it, which
// the container's SHA-512, CRC-32 and write, all per byte, win back.
const (
	minDeflate         = 1024
	minDeflateShared   = 256
	minDeflateExchange = 256
)

// maxFixed is the size from which an entry is worth a dynamic Huffman
// block (its ~10 µs of table building pays off in bytes); smaller ones get
// fixed codes (fixedDeflate, a few µs).
const maxFixed = 8192

// maxMemo bounds the bytes of shared entries a Packer remembers.
const maxMemo = 8 << 20

// entryPack returns data as an entry: deflated when that saves an eighth,
// else stored; below fixedMax with codes, or with the chainCoder if codes
// is nil. With share the result is remembered by data's memory for
// the next containers of the batch.
func (p *Packer) entryPack(data []byte, share bool, minSize int, codes *huffCodes) (packed, error) {
	var key memoKey
	if share && len(data) > 0 {
		key = memoKey{unsafe.SliceData(data), len(data)}
		if e, ok := p.memo[key]; ok && bytes.Equal(e.src, data) {
			return e, nil
		}
	}
	e := packed{src: data, method: 0, raw: data, crc: crc32.ChecksumIEEE(data)}
	if len(data) >= minSize {
		p.comp.Reset()
		var err error
		switch {
		case key.p != nil:
			// Once per batch: the smallest encoding is worth its cost.
			err = p.deflate(&p.best, flate.BestCompression, data)
		case len(data) < p.fixedMax && codes == nil:
			p.comp.Write(p.chains.deflate(p.comp.AvailableBuffer(), data))
		case len(data) < p.fixedMax:
			p.comp.Write(deflateBlock(p.comp.AvailableBuffer(), data, &p.fixed, codes, nil))
		default:
			// BestSpeed: several times faster than the default level
			// for a few per cent of size.
			err = p.deflate(&p.fw, flate.BestSpeed, data)
		}
		if err != nil {
			return packed{}, err
		}
		if p.comp.Len() <= len(data)-len(data)/8 {
			e.method, e.raw = 8, p.comp.Bytes()
		}
	}
	if key.p != nil {
		e.src = bytes.Clone(data)
		e.raw = e.src
		if e.method != 0 {
			e.raw = bytes.Clone(p.comp.Bytes())
		}
		if p.held+len(e.raw)+len(data) > maxMemo {
			clear(p.memo)
			p.held = 0
		}
		p.memo[key] = e
		p.held += len(e.raw) + len(data)
	}
	return e, nil
}

// deflate writes data deflated at level into p.comp with *w, made on
// first use and reused.
func (p *Packer) deflate(w **flate.Writer, level int, data []byte) error {
	if *w == nil {
		*w, _ = flate.NewWriter(&p.comp, level)
	} else {
		(*w).Reset(&p.comp)
	}
	if _, err := (*w).Write(data); err != nil {
		return err
	}
	return (*w).Close()
}

// Build returns the container for in with each entry packed as the
// Packer's doc says (in.Stored is ignored). The entries are Write's, in
// another order: mimetype first, then those a batch's containers share
// (signatures.xml, sig-hashchainresult.xml, manifest.xml), dated
// in.SharedTime, then the record's own. X-Road's readers look entries up
// by name; the shared leading bytes let Sum hash them once per batch. The
// bytes are valid until the next call.
func (p *Packer) Build(in ContainerInput) ([]byte, error) {
	if len(in.Message) == 0 {
		return nil, errf(CodeMessageNotFound, "", "container needs a message")
	}
	if len(in.Signature) == 0 {
		return nil, errf(CodeSignatureNotFound, "", "container needs a signature")
	}
	if (in.HashChainResult == nil) != (in.HashChain == nil) {
		return nil, errors.New("asic: HashChainResult and HashChain go together")
	}
	if in.Timestamp != nil {
		return nil, errors.New("asic: Packer does not write separate batch time-stamps; embed the token in the signature")
	}
	t := in.Time
	if t.IsZero() {
		t = time.Now()
	}
	st := in.SharedTime
	if st.IsZero() {
		st = t
	}
	p.out, p.cd, p.n = p.out[:0], p.cd[:0], 0
	mt := []byte(MimeType)
	sdate, stm := msDosTime(st)
	p.put(EntryMimetype, packed{src: mt, raw: mt, crc: mimeCRC}, sdate, stm)
	add := func(name string, data []byte, share bool, t time.Time) error {
		if data == nil {
			return nil
		}
		minSize := minDeflate
		switch {
		case name == EntryExchange:
			// Each record's own, shared by its request's and
			// response's containers: kept for the next container only.
			if bytes.Equal(data, p.exchange.src) {
				date, tm := msDosTime(t)
				p.put(name, p.exchange, date, tm)
				return nil
			}
			minSize, share = minDeflateExchange, false
		case share:
			minSize = minDeflateShared // once per batch
		}
		codes := &fixedCodes
		if name == EntrySigHashChain {
			codes = nil // chainCoder's
		}
		e, err := p.entryPack(data, share, minSize, codes)
		if err != nil {
			return err
		}
		if name == EntryExchange {
			p.exchange.src = append(p.exchange.src[:0], data...)
			p.exchange.raw = append(p.exchange.raw[:0], e.raw...)
			p.exchange.method, p.exchange.crc = e.method, e.crc
			e = p.exchange
		}
		date, tm := msDosTime(t)
		p.put(name, e, date, tm)
		return nil
	}
	names := []string{EntryMessage}
	if in.HashChainResult != nil {
		names = append(names, EntrySigHashChainRes, EntrySigHashChain)
	}
	if in.Exchange != nil {
		names = append(names, EntryExchange)
	}
	for _, e := range []struct {
		name  string
		data  []byte
		share bool
		t     time.Time
	}{
		{EntrySignature, in.Signature, true, st},
		{EntrySigHashChainRes, in.HashChainResult, true, st},
		{EntryManifest, p.manifest(names, len(in.Attachments)), true, st},
		{EntryMessage, in.Message, false, t},
		{EntrySigHashChain, in.HashChain, false, t},
		{EntryExchange, in.Exchange, false, t},
	} {
		if err := add(e.name, e.data, e.share, e.t); err != nil {
			return nil, err
		}
		if e.name == EntryManifest {
			p.prefix = len(p.out)
		}
	}
	for i, a := range in.Attachments {
		if err := add(attachmentPrefix+strconv.Itoa(i+1), a, false, t); err != nil {
			return nil, err
		}
	}
	// End of central directory, with the comment Write sets.
	const comment = "mimetype=" + MimeType
	cdOff := len(p.out)
	p.out = append(p.out, p.cd...)
	var end [22]byte
	binary.LittleEndian.PutUint32(end[0:], 0x06054b50)
	binary.LittleEndian.PutUint16(end[8:], uint16(p.n))
	binary.LittleEndian.PutUint16(end[10:], uint16(p.n))
	binary.LittleEndian.PutUint32(end[12:], uint32(len(p.cd)))
	binary.LittleEndian.PutUint32(end[16:], uint32(cdOff))
	binary.LittleEndian.PutUint16(end[20:], uint16(len(comment)))
	p.out = append(p.out, end[:]...)
	p.out = append(p.out, comment...)
	if uint64(len(p.out)) >= 1<<32-1 || p.n >= 1<<16-1 {
		return nil, errors.New("asic: container too large for a zip without zip64")
	}
	return p.out, nil
}

var mimeCRC = crc32.ChecksumIEEE([]byte(MimeType))

// Sum returns the SHA-512 and CRC-32 (IEEE) of c, the container the last
// Build returned, hashing its leading entries shared with the batch's
// other containers once per batch: a third of a 1 KiB record's container.
func (p *Packer) Sum(c []byte) (digest [sha512.Size]byte, crc uint32) {
	if len(c) != len(p.out) || len(c) == 0 || unsafe.SliceData(c) != unsafe.SliceData(p.out) {
		return sha512.Sum512(c), crc32.ChecksumIEEE(c)
	}
	head, rest := c[:p.prefix], c[p.prefix:]
	if p.sha == nil {
		p.sha = sha512.New()
	}
	resumed := bytes.Equal(head, p.sumOf) && p.sha.(encoding.BinaryUnmarshaler).UnmarshalBinary(p.sumState) == nil
	if !resumed {
		p.sha.Reset()
		p.sha.Write(head)
		p.sumOf, p.sumState = p.sumOf[:0], p.sumState[:0]
		if st, err := p.sha.(encoding.BinaryAppender).AppendBinary(p.sumState); err == nil {
			p.sumOf, p.sumState = append(p.sumOf, head...), st
		}
		p.sumCRC = crc32.ChecksumIEEE(head)
	}
	p.sha.Write(rest)
	p.sha.Sum(digest[:0])
	return digest, crc32.Update(p.sumCRC, crc32.IEEETable, rest)
}

// manifest returns the manifest for names, the same slice for the same
// layout so that the memo compresses it once.
func (p *Packer) manifest(names []string, attachments int) []byte {
	k := strconv.Itoa(attachments)
	for _, n := range names {
		k += "|" + n
	}
	if m, ok := p.manifests[k]; ok {
		return m
	}
	if p.manifests == nil || len(p.manifests) > 64 {
		p.manifests = map[string][]byte{}
	}
	m := manifest(names, attachments)
	p.manifests[k] = m
	return m
}

// put appends e's local header and data and its central directory record,
// as archive/zip's CreateRaw writes them (version 2.0, UTF-8 flag for
// non-ASCII names), sizes and CRC-32 in the local header, no data
// descriptor, and no extra field: the modification time is the MS-DOS
// one (two-second resolution), as X-Road's java.util.zip writes it; an
// extended-timestamp field would cost 18 bytes an entry.
func (p *Packer) put(name string, e packed, date, tm uint16) {
	off := uint32(len(p.out))
	var flags uint16
	if needsUTF8(name) {
		flags |= 0x800
	}
	var h [46]byte
	binary.LittleEndian.PutUint32(h[0:], 0x04034b50)
	binary.LittleEndian.PutUint16(h[4:], 20)
	binary.LittleEndian.PutUint16(h[6:], flags)
	binary.LittleEndian.PutUint16(h[8:], e.method)
	binary.LittleEndian.PutUint16(h[10:], tm)
	binary.LittleEndian.PutUint16(h[12:], date)
	binary.LittleEndian.PutUint32(h[14:], e.crc)
	binary.LittleEndian.PutUint32(h[18:], uint32(len(e.raw)))
	binary.LittleEndian.PutUint32(h[22:], uint32(len(e.src)))
	binary.LittleEndian.PutUint16(h[26:], uint16(len(name)))
	p.out = append(p.out, h[:30]...)
	p.out = append(p.out, name...)
	p.out = append(p.out, e.raw...)

	var c [46]byte
	binary.LittleEndian.PutUint32(c[0:], 0x02014b50)
	binary.LittleEndian.PutUint16(c[4:], 20) // made by: version 2.0, MS-DOS
	copy(c[6:], h[4:30])                     // version needed … extra length
	binary.LittleEndian.PutUint32(c[42:], off)
	p.cd = append(p.cd, c[:]...)
	p.cd = append(p.cd, name...)
	p.n++
}
