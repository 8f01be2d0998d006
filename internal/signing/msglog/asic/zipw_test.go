package asic

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"io"
	"strconv"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// zipEntry is one raw entry for the zip writer tests.
type zipEntry struct {
	name   string
	method uint16
	raw    []byte
	crc    uint32
	size   int
}

// writeOwn writes entries, linkinginfo (info) and comment with zipWriter,
// as ArchiveWriter does.
func writeOwn(t testing.TB, w io.Writer, entries func(yield func(zipEntry) bool), info [][]byte, comment string, mt time.Time) {
	z := newZipWriter(w)
	for e := range entries {
		if err := z.raw(e.name, e.method, e.raw, e.crc, e.size, mt); err != nil {
			t.Fatal(err)
		}
	}
	comp := func(w io.Writer) (io.WriteCloser, error) { return kflate.NewWriter(w, kflate.BestSpeed) }
	if err := z.streamed(EntryLinkingInfo, zip.Deflate, mt, comp, info); err != nil {
		t.Fatal(err)
	}
	if err := z.close(comment); err != nil {
		t.Fatal(err)
	}
}

// writeArchiveZip writes the same with archive/zip's Writer, as
// ArchiveWriter did before zipWriter: CreateRaw (putRaw) for the entries,
// CreateHeader for linkinginfo.
func writeArchiveZip(t testing.TB, w io.Writer, entries func(yield func(zipEntry) bool), info [][]byte, comment string, mt time.Time) {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) { return kflate.NewWriter(out, kflate.BestSpeed) })
	if err := zw.SetComment(comment); err != nil {
		t.Fatal(err)
	}
	for e := range entries {
		if err := putRaw(zw, e.name, e.method, e.raw, e.crc, e.size, mt, true); err != nil {
			t.Fatal(err)
		}
	}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: EntryLinkingInfo, Method: zip.Deflate, Modified: mt})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range info {
		f.Write(c)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestZipWriterMatchesArchiveZip: zipWriter writes the bytes archive/zip
// writes for the same entries, stored and deflated, with UTF-8 names, a
// comment and a linkinginfo in several chunks; and with 70,000 entries,
// where the end of central directory needs zip64 records. The result
// reads back with archive/zip.
func TestZipWriterMatchesArchiveZip(t *testing.T) {
	mt := time.Date(2026, 12, 6, 3, 4, 5, 0, time.FixedZone("KGT", 6*3600))
	small := func(n int) func(yield func(zipEntry) bool) {
		return func(yield func(zipEntry) bool) {
			var tab fixedTable
			for i := range n {
				data := []byte("container " + strconv.Itoa(i))
				e := zipEntry{name: strconv.Itoa(i) + "-request.asice", raw: data, crc: crc32.ChecksumIEEE(data), size: len(data)}
				if i%3 == 1 {
					e.name = "ä" + e.name
					e.method = zip.Deflate
					e.raw = fixedDeflate(nil, data, &tab)
				}
				if !yield(e) {
					return
				}
			}
		}
	}
	info := [][]byte{[]byte("- - SHA-512\n"), bytes.Repeat([]byte("0123456789abcdef 1-request.asice\n"), 9000), []byte("x y\n")}
	for _, n := range []int{1, 5, 70000} {
		var own, ref bytes.Buffer
		writeOwn(t, &own, small(n), info, "tunduk archive format 2", mt)
		writeArchiveZip(t, &ref, small(n), info, "tunduk archive format 2", mt)
		if !bytes.Equal(own.Bytes(), ref.Bytes()) {
			i := 0
			for i < min(own.Len(), ref.Len()) && own.Bytes()[i] == ref.Bytes()[i] {
				i++
			}
			t.Fatalf("%d entries: %d bytes, archive/zip's %d, first difference at %d", n, own.Len(), ref.Len(), i)
		}
		zr, err := zip.NewReader(bytes.NewReader(own.Bytes()), int64(own.Len()))
		if err != nil || len(zr.File) != n+1 {
			t.Fatalf("%d entries: %v", n, err)
		}
		rc, err := zr.File[n].Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, bytes.Join(info, nil)) {
			t.Fatalf("linkinginfo read back: %v", err)
		}
	}
}

// TestZipWriterZip64Offsets: past 4 GiB (entries' offsets in zip64 extra
// fields, the central directory's in the zip64 end record) zipWriter's
// bytes are archive/zip's still: the same length and CRC-32 over the
// whole stream, and the same last 64 KiB.
func TestZipWriterZip64Offsets(t *testing.T) {
	mt := time.Unix(1767225600, 0)
	big := make([]byte, 64<<20)
	crc := crc32.ChecksumIEEE(big)
	entries := func(yield func(zipEntry) bool) {
		for i := range 66 { // 4.1 GiB
			if !yield(zipEntry{name: strconv.Itoa(i) + ".asice", raw: big, crc: crc, size: len(big)}) {
				return
			}
		}
	}
	info := [][]byte{[]byte("- - SHA-512\n")}
	var own, ref tailSum
	writeOwn(t, &own, entries, info, "c", mt)
	writeArchiveZip(t, &ref, entries, info, "c", mt)
	if own.n <= 1<<32 || own.n != ref.n || own.crc != ref.crc || !bytes.Equal(own.tail, ref.tail) {
		t.Fatalf("%d bytes (CRC-32 %08x), archive/zip's %d (%08x); tails equal: %v", own.n, own.crc, ref.n, ref.crc, bytes.Equal(own.tail, ref.tail))
	}
}

// tailSum keeps a stream's length, CRC-32 and last 64 KiB.
type tailSum struct {
	n    int64
	crc  uint32
	tail []byte
}

func (s *tailSum) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	s.crc = crc32.Update(s.crc, crc32.IEEETable, p)
	s.tail = append(s.tail, p[max(0, len(p)-(64<<10)):]...)
	if len(s.tail) > 64<<10 {
		s.tail = append(s.tail[:0], s.tail[len(s.tail)-(64<<10):]...)
	}
	return len(p), nil
}
