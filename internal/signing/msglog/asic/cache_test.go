package asic_test

import (
	"archive/zip"
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
)

// TestCache: containers read through a Cache equal those read without,
// and an entry whose compressed bytes equal a cached one's but whose data
// descriptor or CRC-32 was altered still fails as it does uncached.
func TestCache(t *testing.T) {
	sig := bytes.Repeat([]byte("<ds:Signature>batch signature</ds:Signature>\n"), 50)
	build := func(msg string) []byte {
		b, err := asic.Build(asic.ContainerInput{Message: []byte(msg), Signature: sig,
			HashChainResult: []byte("<r/>"), HashChain: []byte("<c>" + msg + "</c>"), Time: time.Unix(1767225600, 0)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c1, c2 := build("<m>one</m>"), build("<m>two</m>")
	cache := asic.NewCache(0)
	for _, c := range [][]byte{c1, c2, c1} {
		want, err := asic.Read(c, asic.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := cache.Read(c, asic.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("cached read differs:\n%+v\n%+v", got, want)
		}
	}

	zr, err := zip.NewReader(bytes.NewReader(c2), int64(len(c2)))
	if err != nil {
		t.Fatal(err)
	}
	var f *zip.File
	for _, zf := range zr.File {
		if zf.Name == asic.EntrySignature {
			f = zf
		}
	}
	off, _ := f.DataOffset()
	desc := int(off) + int(f.CompressedSize64)
	if !bytes.Equal(c2[desc:desc+4], []byte("PK\x07\x08")) {
		t.Fatalf("no data descriptor after signatures.xml: % x", c2[desc:desc+8])
	}
	badDesc := bytes.Clone(c2)
	badDesc[desc+4] ^= 1 // CRC-32 in the data descriptor
	badCentral := bytes.Clone(c2)
	i := -1
	for j := len(badCentral) - 46; j >= 0; j-- { // central header of signatures.xml
		if bytes.Equal(badCentral[j:j+4], []byte("PK\x01\x02")) && bytes.HasPrefix(badCentral[j+46:], []byte(asic.EntrySignature)) {
			i = j
			break
		}
	}
	if i < 0 {
		t.Fatal("no central header for signatures.xml")
	}
	badCentral[i+16] ^= 1 // CRC-32 in the central directory
	for name, bad := range map[string][]byte{"data descriptor": badDesc, "central directory": badCentral} {
		if _, err := asic.Read(bad, asic.Limits{}); err == nil {
			t.Fatalf("%s: altered CRC-32 not detected without cache", name)
		}
		if _, err := cache.Read(bad, asic.Limits{}); err == nil {
			t.Errorf("%s: altered CRC-32 not detected through the cache", name)
		}
	}
}
