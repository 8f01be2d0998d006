package asic_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strconv"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/testkit/zipbomb"
)

// bomb returns a container whose attachments are n entries of size zero
// bytes each, deflated (about 1 KiB per MiB).
func bomb(t *testing.T, n, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	put("mimetype", []byte(asic.MimeType))
	put("message.xml", []byte("<m/>"))
	put("META-INF/signatures.xml", []byte("<s/>"))
	zeros := make([]byte, size)
	for i := 1; i <= n; i++ {
		put("attachment"+strconv.Itoa(i), zeros)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestZipBombs: a container is refused before inflating when its entries
// declare more than the limits allow, however little they compress to,
// and a forged declared size costs no allocation of that size.
func TestZipBombs(t *testing.T) {
	lim := asic.Limits{MaxEntrySize: 8 << 20, MaxTotalSize: 16 << 20}
	b := bomb(t, 3, 8<<20) // 24 MiB in ~25 KiB
	if len(b) > 100<<10 {
		t.Fatalf("bomb is %d bytes", len(b))
	}
	if _, err := asic.Read(b, lim); !errors.Is(err, &asic.Error{Code: asic.CodeTooLarge}) {
		t.Fatalf("3×8 MiB over a 16 MiB total: %v", err)
	}
	if _, err := asic.Read(bomb(t, 1, 9<<20), lim); !errors.Is(err, &asic.Error{Code: asic.CodeTooLarge}) {
		t.Fatalf("9 MiB entry over an 8 MiB limit: %v", err)
	}
	if _, err := asic.Read(bomb(t, 1, 4<<20), asic.Limits{MaxEntrySize: 8 << 20, MaxTotalSize: 16 << 20, MaxInflateRatio: 2000}); err != nil {
		t.Fatalf("4 MiB within limits (inflate ratio raised): %v", err)
	}
	// XML entries have their own, smaller bound: a 2 MiB signatures.xml
	// over a 1 MiB metadata limit is refused, a 2 MiB message is not.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct {
		name string
		size int
	}{{"mimetype", 0}, {"message.xml", 2 << 20}, {"META-INF/signatures.xml", 2 << 20}} {
		w, _ := zw.Create(e.name)
		if e.name == "mimetype" {
			w.Write([]byte(asic.MimeType))
			continue
		}
		w.Write(bytes.Repeat([]byte("<a/>"), e.size/4))
	}
	zw.Close()
	_, err := asic.Read(buf.Bytes(), asic.Limits{MaxMetadataSize: 1 << 20, MaxInflateRatio: 2000})
	var ae *asic.Error
	if !errors.As(err, &ae) || ae.Code != asic.CodeTooLarge || ae.Entry != asic.EntrySignature {
		t.Fatalf("2 MiB signatures.xml over a 1 MiB metadata limit: %v", err)
	}
	if _, err := asic.Read(buf.Bytes(), asic.Limits{MaxMetadataSize: 4 << 20, MaxInflateRatio: 2000}); err != nil {
		t.Fatalf("within the metadata limit: %v", err)
	}

	// Forge the declared size of an entry of 4 bytes to 200 MiB (local
	// and central headers): reading fails, and does not allocate 200 MiB.
	small := bomb(t, 1, 4)
	forged := bytes.Clone(small)
	zr, err := zip.NewReader(bytes.NewReader(small), int64(len(small)))
	if err != nil {
		t.Fatal(err)
	}
	att := zr.File[len(zr.File)-1]
	var size [4]byte
	size[0], size[1], size[2], size[3] = 0, 0, 0x80, 0x0c // 200 MiB little-endian
	for i := 0; i+30 < len(forged); i++ {
		switch {
		case bytes.Equal(forged[i:i+4], []byte("PK\x01\x02")) && bytes.HasPrefix(forged[i+46:], []byte(att.Name)):
			copy(forged[i+24:], size[:])
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = asic.Read(forged, asic.Limits{})
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("forged size accepted")
	}
	t.Logf("forged size: %v", err)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Fatalf("forged 200 MiB size made the reader allocate %d bytes", grew)
	}
}

// TestInflateRatio: with the default limits, a 500 KB container whose
// message.xml inflates to 480 MiB (issue 13: such a bomb drove
// `archive verify` to 275 MB RSS) and one whose 4 MiB entry inflates
// 1000:1 are refused before inflating, allocating next to nothing; an
// entry that compresses like real XML is read.
func TestInflateRatio(t *testing.T) {
	// The bomb maker makes real DEFLATE: 2 MiB of it inflates, CRC and all.
	zr, err := zip.NewReader(bytes.NewReader(bombEntry(t, "message.xml", 2<<20)), int64(len(bombEntry(t, "message.xml", 2<<20))))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "message.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != 2<<20 {
			t.Fatalf("bomb maker: inflated %d bytes, %v", n, err)
		}
	}
	if n := len(bombEntry(t, "message.xml", 480<<20)); n > 600<<10 {
		t.Fatalf("480 MiB bomb is %d bytes, want about 500 KB", n)
	}
	for _, c := range []struct {
		name string
		zip  []byte
	}{
		{"480 MiB message in 500 KB", bombEntry(t, "message.xml", 480<<20)},
		{"4 MiB attachment at 1000:1", bomb(t, 1, 4<<20)},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := asic.Read(c.zip, asic.Limits{})
		runtime.ReadMemStats(&after)
		var ae *asic.Error
		if !errors.As(err, &ae) || ae.Code != asic.CodeTooLarge {
			t.Errorf("%s (%d bytes): %v, want AsicTooLarge", c.name, len(c.zip), err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
			t.Errorf("%s: reading allocated %d bytes", c.name, grew)
		}
	}
	// 2 MiB of varied XML deflates far below 200:1 and is read.
	var x bytes.Buffer
	for i := 0; x.Len() < 2<<20; i++ {
		x.WriteString("<r n=\"" + strconv.Itoa(i*7919%100003) + "\">" + strconv.Itoa(i) + "</r>")
	}
	zipped := func(name string, data []byte) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, e := range []struct {
			n string
			d []byte
		}{{"mimetype", []byte(asic.MimeType)}, {"META-INF/signatures.xml", []byte("<s/>")}, {name, data}} {
			w, _ := zw.Create(e.n)
			w.Write(e.d)
		}
		zw.Close()
		return buf.Bytes()
	}
	if _, err := asic.Read(zipped("message.xml", x.Bytes()), asic.Limits{}); err != nil {
		t.Errorf("2 MiB of ordinary XML: %v", err)
	}
}

// bombEntry is a container whose entry name holds size bytes of one
// repeated character, deflated.
func bombEntry(t *testing.T, name string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct {
		n string
		d []byte
	}{{"mimetype", []byte(asic.MimeType)}, {"META-INF/signatures.xml", []byte("<s/>")}} {
		w, _ := zw.Create(e.n)
		w.Write(e.d)
	}
	raw, crc := zipbomb.Deflate(size)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(size)})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
