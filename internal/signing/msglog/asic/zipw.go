package asic

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"time"
)

// zipWriter writes an archive's zip: entries whose raw bytes, CRC-32 and
// sizes are known up front, one streamed entry with a data descriptor
// (linkinginfo), the central directory and its end, with zip64 records
// where offsets, sizes or the number of entries need them. Its bytes are
// those archive/zip's Writer writes for the same calls (CreateRaw, and
// CreateHeader for the streamed entry; TestZipWriterMatchesArchiveZip),
// without its per-entry allocations and second buffer: the central
// directory grows in chunks as the entries are written.
type zipWriter struct {
	w   io.Writer
	bw  *bufio.Writer // w, when zipWriter buffers it
	off int64
	cd  chunks
	n   int
	err error
}

// chunks is bytes kept in chunks of chunkSize, never copied to grow.
type chunks [][]byte

const chunkSize = 256 << 10

// room returns the last chunk, with room for n more bytes.
func (c *chunks) room(n int) *[]byte {
	if len(*c) == 0 || len((*c)[len(*c)-1])+n > chunkSize {
		*c = append(*c, make([]byte, 0, max(chunkSize, n)))
	}
	return &(*c)[len(*c)-1]
}

func newZipWriter(w io.Writer) *zipWriter {
	z := &zipWriter{w: w}
	switch w.(type) {
	case *bufio.Writer, *bytes.Buffer:
	default:
		z.bw = bufio.NewWriterSize(w, 64<<10)
		z.w = z.bw
	}
	return z
}

func (z *zipWriter) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	n, err := z.w.Write(p)
	z.off += int64(n)
	z.err = err
	return n, err
}

const (
	uint16max = math.MaxUint16
	uint32max = math.MaxUint32
)

// extTime is the extended-timestamp extra field with modification time
// t, as archive/zip's CreateHeader writes it.
func extTime(t time.Time) [9]byte {
	var ext [9]byte
	binary.LittleEndian.PutUint16(ext[0:], 0x5455)
	binary.LittleEndian.PutUint16(ext[2:], 5)
	ext[4] = 1 // modification time present
	binary.LittleEndian.PutUint32(ext[5:], uint32(t.Unix()))
	return ext
}

// local writes a local header: flags 0x8 (data descriptor) leaves CRC-32
// and sizes to it.
func (z *zipWriter) local(name string, flags, method uint16, crc uint32, csize, size uint64, t time.Time, extra []byte) (off int64, err error) {
	if len(name) > uint16max || len(extra) > uint16max {
		return 0, errors.New("asic: zip entry name or extra field too long")
	}
	if needsUTF8(name) {
		flags |= 0x800
	}
	date, tm := msDosTime(t)
	var h [30]byte
	binary.LittleEndian.PutUint32(h[0:], 0x04034b50)
	binary.LittleEndian.PutUint16(h[4:], 20)
	binary.LittleEndian.PutUint16(h[6:], flags)
	binary.LittleEndian.PutUint16(h[8:], method)
	binary.LittleEndian.PutUint16(h[10:], tm)
	binary.LittleEndian.PutUint16(h[12:], date)
	if flags&0x8 == 0 {
		binary.LittleEndian.PutUint32(h[14:], crc)
		binary.LittleEndian.PutUint32(h[18:], uint32(min(csize, uint32max)))
		binary.LittleEndian.PutUint32(h[22:], uint32(min(size, uint32max)))
	}
	binary.LittleEndian.PutUint16(h[26:], uint16(len(name)))
	binary.LittleEndian.PutUint16(h[28:], uint16(len(extra)))
	off = z.off
	z.Write(h[:])
	io.WriteString(z, name)
	z.Write(extra)
	return off, z.err
}

// central adds the entry's central directory record.
func (z *zipWriter) central(name string, flags, method uint16, crc uint32, csize, size uint64, t time.Time, extra []byte, off int64) {
	if needsUTF8(name) {
		flags |= 0x800
	}
	date, tm := msDosTime(t)
	zip64 := csize >= uint32max || size >= uint32max || off >= uint32max
	c := z.cd.room(46 + len(name) + len(extra) + 28)
	var h [46]byte
	binary.LittleEndian.PutUint32(h[0:], 0x02014b50)
	binary.LittleEndian.PutUint16(h[4:], 20) // made by: version 2.0, MS-DOS
	binary.LittleEndian.PutUint16(h[6:], 20)
	if flags&0x8 != 0 && (csize >= uint32max || size >= uint32max) {
		binary.LittleEndian.PutUint16(h[6:], 45) // as archive/zip's fileWriter
	}
	binary.LittleEndian.PutUint16(h[8:], flags)
	binary.LittleEndian.PutUint16(h[10:], method)
	binary.LittleEndian.PutUint16(h[12:], tm)
	binary.LittleEndian.PutUint16(h[14:], date)
	binary.LittleEndian.PutUint32(h[16:], crc)
	nextra := len(extra)
	if zip64 {
		binary.LittleEndian.PutUint32(h[20:], uint32max)
		binary.LittleEndian.PutUint32(h[24:], uint32max)
		nextra += 28
	} else {
		binary.LittleEndian.PutUint32(h[20:], uint32(csize))
		binary.LittleEndian.PutUint32(h[24:], uint32(size))
	}
	binary.LittleEndian.PutUint16(h[28:], uint16(len(name)))
	binary.LittleEndian.PutUint16(h[30:], uint16(nextra))
	binary.LittleEndian.PutUint32(h[42:], uint32(min(off, uint32max)))
	*c = append(*c, h[:]...)
	*c = append(*c, name...)
	*c = append(*c, extra...)
	if zip64 {
		var x [28]byte
		binary.LittleEndian.PutUint16(x[0:], 0x0001)
		binary.LittleEndian.PutUint16(x[2:], 24)
		binary.LittleEndian.PutUint64(x[4:], size)
		binary.LittleEndian.PutUint64(x[12:], csize)
		binary.LittleEndian.PutUint64(x[20:], uint64(off))
		*c = append(*c, x[:]...)
	}
	z.n++
}

// raw writes an entry of raw (stored or deflated) bytes whose CRC-32 and
// uncompressed size are known, all in the local header, with the
// extended-timestamp extra field: as CreateRaw with those fields.
func (z *zipWriter) raw(name string, method uint16, raw []byte, crc uint32, size int, t time.Time) error {
	ext := extTime(t)
	off, err := z.local(name, 0, method, crc, uint64(len(raw)), uint64(size), t, ext[:])
	if err != nil {
		return fmt.Errorf("asic: %s: %w", name, err)
	}
	if _, err := z.Write(raw); err != nil {
		return fmt.Errorf("asic: writing %s: %w", name, err)
	}
	z.central(name, 0, method, crc, uint64(len(raw)), uint64(size), t, ext[:], off)
	return nil
}

// streamed writes an entry of the bytes in data through the compressor
// comp makes, CRC-32 and sizes in a data descriptor after them, as
// CreateHeader with Modified t does.
func (z *zipWriter) streamed(name string, method uint16, t time.Time, comp func(w io.Writer) (io.WriteCloser, error), data [][]byte) error {
	ext := extTime(t)
	off, err := z.local(name, 0x8, method, 0, 0, 0, t, ext[:])
	if err != nil {
		return fmt.Errorf("asic: %s: %w", name, err)
	}
	start := z.off
	fw, err := comp(z)
	if err != nil {
		return fmt.Errorf("asic: %s: %w", name, err)
	}
	crc, size := uint32(0), uint64(0)
	for _, d := range data {
		crc = crc32.Update(crc, crc32.IEEETable, d)
		size += uint64(len(d))
		if _, err := fw.Write(d); err != nil {
			return fmt.Errorf("asic: writing %s: %w", name, err)
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("asic: writing %s: %w", name, err)
	}
	csize := uint64(z.off - start)
	var dd [24]byte
	binary.LittleEndian.PutUint32(dd[0:], 0x08074b50)
	binary.LittleEndian.PutUint32(dd[4:], crc)
	n := 16
	if csize >= uint32max || size >= uint32max {
		binary.LittleEndian.PutUint64(dd[8:], csize)
		binary.LittleEndian.PutUint64(dd[16:], size)
		n = 24
	} else {
		binary.LittleEndian.PutUint32(dd[8:], uint32(csize))
		binary.LittleEndian.PutUint32(dd[12:], uint32(size))
	}
	if _, err := z.Write(dd[:n]); err != nil {
		return fmt.Errorf("asic: writing %s: %w", name, err)
	}
	z.central(name, 0x8, method, crc, csize, size, t, ext[:], off)
	return nil
}

// close writes the central directory and its end with comment, and
// flushes what zipWriter buffered; the underlying writer is not closed.
func (z *zipWriter) close(comment string) error {
	if len(comment) > uint16max {
		return errors.New("asic: zip comment too long")
	}
	start := z.off
	for _, c := range z.cd {
		z.Write(c)
	}
	end := z.off
	records, size, offset := uint64(z.n), uint64(end-start), uint64(start)
	if records >= uint16max || size >= uint32max || offset >= uint32max {
		var b [56 + 20]byte
		binary.LittleEndian.PutUint32(b[0:], 0x06064b50) // zip64 end of central directory
		binary.LittleEndian.PutUint64(b[4:], 56-12)
		binary.LittleEndian.PutUint16(b[12:], 45) // made by
		binary.LittleEndian.PutUint16(b[14:], 45) // needed
		binary.LittleEndian.PutUint64(b[24:], records)
		binary.LittleEndian.PutUint64(b[32:], records)
		binary.LittleEndian.PutUint64(b[40:], size)
		binary.LittleEndian.PutUint64(b[48:], offset)
		binary.LittleEndian.PutUint32(b[56:], 0x07064b50) // its locator
		binary.LittleEndian.PutUint64(b[64:], uint64(end))
		binary.LittleEndian.PutUint32(b[72:], 1) // disks
		z.Write(b[:])
		records, size, offset = uint16max, uint32max, uint32max
	}
	var b [22]byte
	binary.LittleEndian.PutUint32(b[0:], 0x06054b50)
	binary.LittleEndian.PutUint16(b[8:], uint16(records))
	binary.LittleEndian.PutUint16(b[10:], uint16(records))
	binary.LittleEndian.PutUint32(b[12:], uint32(size))
	binary.LittleEndian.PutUint32(b[16:], uint32(offset))
	binary.LittleEndian.PutUint16(b[20:], uint16(len(comment)))
	z.Write(b[:])
	io.WriteString(z, comment)
	if z.err == nil && z.bw != nil {
		z.err = z.bw.Flush()
	}
	return z.err
}
