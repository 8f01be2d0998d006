package asic_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
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

// TestArchiveEntryMethod: the archive writer deflates a container that
// deflate shrinks by 1/32 or more and stores one it does not (large
// messages, already deflated inside), in both cases with CRC-32 and sizes
// in the local header; the bytes read back are the container's.
func TestArchiveEntryMethod(t *testing.T) {
	incompressible := make([]byte, 64<<10)
	rand.NewChaCha8([32]byte{1}).Read(incompressible)
	compressible := bytes.Repeat([]byte("<m>procurement</m>"), 1000)
	var buf bytes.Buffer
	w, err := asic.NewArchiveWriter(&buf, asic.ArchiveOptions{Time: time.Unix(1767225600, 0)})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string][]byte{"big-request-1.asice": incompressible, "small-request-2.asice": compressible}
	for _, n := range []string{"big-request-1.asice", "small-request-2.asice"} {
		if _, err := w.Add(n, in[n]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint16{"big-request-1.asice": zip.Store, "small-request-2.asice": zip.Deflate}
	for _, f := range zr.File {
		m, ok := want[f.Name]
		if !ok {
			continue
		}
		if f.Method != m || f.Flags&0x8 != 0 {
			t.Errorf("%s: method %d flags %#x, want method %d without data descriptor", f.Name, f.Method, f.Flags, m)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, in[f.Name]) {
			t.Errorf("%s: read back %d bytes, %v", f.Name, len(got), err)
		}
	}
	a, err := asic.OpenArchive(bytes.NewReader(data), int64(len(data)), asic.Limits{})
	if err != nil || len(a.Containers) != 2 {
		t.Fatalf("open: %v", err)
	}
}
