package asic_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/signing/msglog/asic"
)

// TestStoredEntryLayout: a container's mimetype entry comes first, STORED,
// with its content at offset 38 (no extra field), CRC-32 and sizes in the
// local header and no data descriptor — Java's ZipInputStream, which ASiC
// readers use, refuses a STORED entry followed by a data descriptor.
func TestStoredEntryLayout(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)
	c, err := asic.Build(asic.ContainerInput{Message: []byte("<m/>"), Signature: []byte("<s/>"), Time: when})
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(c) != 0x04034b50 || !bytes.Equal(c[30:38], []byte("mimetype")) ||
		!bytes.Equal(c[38:38+len(asic.MimeType)], []byte(asic.MimeType)) {
		t.Fatalf("mimetype is not the first entry with its content at offset 38: % x", c[:64])
	}
	flags, method := binary.LittleEndian.Uint16(c[6:]), binary.LittleEndian.Uint16(c[8:])
	crc, csize, usize := binary.LittleEndian.Uint32(c[14:]), binary.LittleEndian.Uint32(c[18:]), binary.LittleEndian.Uint32(c[22:])
	if method != zip.Store || flags&0x8 != 0 {
		t.Errorf("mimetype: method %d flags %#x, want STORED without data descriptor", method, flags)
	}
	zr, err := zip.NewReader(bytes.NewReader(c), int64(len(c)))
	if err != nil {
		t.Fatal(err)
	}
	f := zr.File[0]
	if crc != f.CRC32 || uint64(csize) != f.UncompressedSize64 || uint64(usize) != f.UncompressedSize64 {
		t.Errorf("mimetype: local header crc/sizes %x/%d/%d, central %x/%d", crc, csize, usize, f.CRC32, f.UncompressedSize64)
	}
	if !f.Modified.Equal(when) {
		t.Errorf("mimetype: modified %v, want %v", f.Modified, when)
	}
	for _, f := range zr.File[1:] {
		if f.Method == zip.Store {
			t.Errorf("%s: only mimetype is STORED", f.Name)
		}
	}
	if _, err := asic.Read(c, asic.Limits{}); err != nil {
		t.Fatal(err)
	}
}
