package asic

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"
	"unicode/utf8"
)

// putStored writes data as a STORED entry whose local header carries the
// CRC-32 and both sizes, with no data descriptor after the data.
// zip.Writer.CreateHeader always appends a data descriptor, and Java's
// ZipInputStream (which ASiC readers use) rejects a STORED entry that has
// one ("only DEFLATED entries can have EXT descriptor"). The header
// otherwise matches what CreateHeader writes (MS-DOS time in t's location,
// UTF-8 flag for non-ASCII names) except for the extended-timestamp extra
// field, left out because ASiC readers expect mimetype's content at
// offset 38.
func putStored(zw *zip.Writer, name string, data []byte, t time.Time) error {
	return putRaw(zw, name, zip.Store, data, crc32.ChecksumIEEE(data), len(data), t, false)
}

// putRaw writes an entry whose raw (stored or deflated) bytes, CRC-32 and
// uncompressed size are known, all in the local header, with no data
// descriptor; extTime adds the extended-timestamp extra field that
// CreateHeader writes.
func putRaw(zw *zip.Writer, name string, method uint16, raw []byte, crc uint32, size int, t time.Time, extTime bool) error {
	fh := &zip.FileHeader{
		Name:               name,
		Method:             method,
		CreatorVersion:     20,
		ReaderVersion:      20,
		CRC32:              crc,
		CompressedSize64:   uint64(len(raw)),
		UncompressedSize64: uint64(size),
		Modified:           t,
	}
	if needsUTF8(name) {
		fh.Flags |= 0x800
	}
	//lint:ignore SA1019 CreateRaw writes only the MS-DOS fields; it does not convert Modified.
	fh.ModifiedDate, fh.ModifiedTime = msDosTime(t)
	if extTime {
		var ext [9]byte
		binary.LittleEndian.PutUint16(ext[0:], 0x5455) // extended timestamp
		binary.LittleEndian.PutUint16(ext[2:], 5)
		ext[4] = 1 // modification time present
		binary.LittleEndian.PutUint32(ext[5:], uint32(t.Unix()))
		fh.Extra = ext[:]
	}
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return fmt.Errorf("asic: %s: %w", name, err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("asic: writing %s: %w", name, err)
	}
	return nil
}

func needsUTF8(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return utf8.ValidString(s)
		}
	}
	return false
}

// msDosTime is t as MS-DOS date and time fields (2-second resolution,
// years from 1980), as archive/zip encodes FileHeader.Modified.
func msDosTime(t time.Time) (date, tm uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, t.Location())
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}
