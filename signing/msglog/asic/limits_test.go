package asic_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"testing"

	"github.com/tunduk-kg/tunduk/signing/msglog/asic"
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
	if _, err := asic.Read(bomb(t, 1, 4<<20), lim); err != nil {
		t.Fatalf("4 MiB within limits: %v", err)
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
	_, err := asic.Read(buf.Bytes(), asic.Limits{MaxMetadataSize: 1 << 20})
	var ae *asic.Error
	if !errors.As(err, &ae) || ae.Code != asic.CodeTooLarge || ae.Entry != asic.EntrySignature {
		t.Fatalf("2 MiB signatures.xml over a 1 MiB metadata limit: %v", err)
	}
	if _, err := asic.Read(buf.Bytes(), asic.Limits{MaxMetadataSize: 4 << 20}); err != nil {
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
