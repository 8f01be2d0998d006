package asic_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha512"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
)

// TestPackerMatchesWrite: a container built by the Packer reads back with
// the same entries and the same bytes as the one Write builds from the
// same input, the batch's shared entries first (dated SharedTime, the
// others Time); mimetype is first and STORED at offset 38; no entry has a
// data descriptor; large compressible entries are DEFLATED,
// incompressible and small ones STORED.
func TestPackerMatchesWrite(t *testing.T) {
	noise := make([]byte, 8<<10)
	rand.NewChaCha8([32]byte{2}).Read(noise)
	sig := bytes.Repeat([]byte("<ds:Signature>abc</ds:Signature>"), 40)
	in := asic.ContainerInput{
		Message:         bytes.Repeat([]byte("<Envelope><Body>procurement</Body></Envelope>"), 30),
		Attachments:     [][]byte{noise, []byte("tiny")},
		Exchange:        []byte(`<record xmlns="urn:x"/>`),
		Signature:       sig,
		HashChainResult: bytes.Repeat([]byte("<result/>"), 50),
		HashChain:       bytes.Repeat([]byte("<chain/>"), 50),
		Time:            time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC),
	}
	want, err := asic.Build(in)
	in.SharedTime = in.Time.Add(-time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := asic.NewPacker()
	got, err := p.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[30:38], []byte("mimetype")) || !bytes.Equal(got[38:38+len(asic.MimeType)], []byte(asic.MimeType)) ||
		binary.LittleEndian.Uint16(got[8:]) != zip.Store {
		t.Fatalf("mimetype is not first, STORED, at offset 38: % x", got[:64])
	}
	gz, wz := zipOf(t, got), zipOf(t, want)
	if len(gz.File) != len(wz.File) {
		t.Fatalf("%d entries, Write gives %d", len(gz.File), len(wz.File))
	}
	order := []string{asic.EntryMimetype, asic.EntrySignature, asic.EntrySigHashChainRes, asic.EntryManifest,
		asic.EntryMessage, asic.EntrySigHashChain, asic.EntryExchange, "attachment1", "attachment2"}
	byName := map[string]*zip.File{}
	for _, f := range wz.File {
		byName[f.Name] = f
	}
	methods := map[string]uint16{"message.xml": zip.Deflate, "attachment1": zip.Store, "attachment2": zip.Store,
		"tunduk-exchange.xml": zip.Store, asic.EntrySignature: zip.Deflate, asic.EntryManifest: zip.Deflate}
	for i, f := range gz.File {
		if f.Name != order[i] {
			t.Errorf("entry %d is %s, want %s", i, f.Name, order[i])
		}
		w := byName[f.Name]
		if w == nil {
			t.Fatalf("%s: Write has no such entry", f.Name)
		}
		if f.Flags&0x8 != 0 {
			t.Errorf("%s has a data descriptor", f.Name)
		}
		if m, ok := methods[f.Name]; ok && f.Method != m {
			t.Errorf("%s: method %d, want %d", f.Name, f.Method, m)
		}
		if a, b := readAll(t, f), readAll(t, w); !bytes.Equal(a, b) {
			t.Errorf("%s: bytes differ from Write's", f.Name)
		}
		mod := in.Time
		if i < 4 {
			mod = in.SharedTime
		}
		if !f.Modified.Equal(mod) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, mod)
		}
	}
	if string(gz.Comment) != string(wz.Comment) {
		t.Errorf("comment %q, want %q", gz.Comment, wz.Comment)
	}
	if _, err := asic.Read(got, asic.Limits{}); err != nil {
		t.Fatal(err)
	}
}

// TestPackerSharedEntryBufferReused: the Packer compresses a batch's shared
// entries once, but a caller that reuses the same buffer for the next
// batch's signature (as the journal scan does) gets the new bytes, not
// the remembered ones.
func TestPackerSharedEntryBufferReused(t *testing.T) {
	p := asic.NewPacker()
	buf := bytes.Repeat([]byte("<sig>first batch</sig>"), 30)
	build := func() []byte {
		c, err := p.Build(asic.ContainerInput{Message: []byte("<m/>"), Signature: buf, Time: time.Unix(1767225600, 0)})
		if err != nil {
			t.Fatal(err)
		}
		c2, err := asic.Read(bytes.Clone(c), asic.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return c2.Signature
	}
	if got := build(); !bytes.Equal(got, buf) {
		t.Fatal("first signature differs")
	}
	copy(buf, bytes.Repeat([]byte("<sig>other batch</sig>"), 30))
	if got := build(); !bytes.Equal(got, buf) {
		t.Fatalf("second batch got a remembered signature: %.40q", got)
	}
}

// TestPackerSum: Sum gives the SHA-512 and CRC-32 of each container as
// computed afresh, whether its leading shared entries are those of the
// container before (hashed once) or of another batch, and for bytes that
// are not the last container built.
func TestPackerSum(t *testing.T) {
	p := asic.NewPacker()
	batch := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	sig := bytes.Repeat([]byte("<ds:Signature>abc</ds:Signature>"), 40)
	check := func(i int, c []byte) {
		t.Helper()
		d, crc := p.Sum(c)
		if d != sha512.Sum512(c) || crc != crc32.ChecksumIEEE(c) {
			t.Fatalf("container %d: Sum differs from SHA-512 and CRC-32 of its bytes", i)
		}
	}
	for i := range 6 {
		if i == 3 { // the next batch
			sig = bytes.Repeat([]byte("<ds:Signature>xyz</ds:Signature>"), 40)
			batch = batch.Add(time.Second)
		}
		in := asic.ContainerInput{Message: bytes.Repeat([]byte{byte('a' + i)}, 100+i), Signature: sig,
			HashChainResult: []byte("<result/>"), HashChain: []byte("<chain/>"),
			Time: batch.Add(time.Duration(i) * time.Minute), SharedTime: batch}
		c, err := p.Build(in)
		if err != nil {
			t.Fatal(err)
		}
		check(i, c)
		check(i, bytes.Clone(c))
	}
}

// TestPackerExchangeReused: a record's two containers share their
// exchange metadata, which the Packer keeps for the next container; the
// next record's, even of the same length or in the same buffer, is its
// own.
func TestPackerExchangeReused(t *testing.T) {
	p := asic.NewPacker()
	buf := []byte(strings.Repeat(`<record seq="1"><digest>abc</digest></record>`, 10))
	for i, want := range []string{string(buf), string(buf), strings.ReplaceAll(string(buf), "seq=\"1\"", "seq=\"2\""), ""} {
		copy(buf, want)
		in := asic.ContainerInput{Message: []byte("<m/>"), Signature: []byte("<s/>"), Exchange: []byte(want), Time: time.Unix(1767225600, 0)}
		if i == 2 {
			in.Exchange = buf // the caller's buffer, rewritten
		}
		c, err := p.Build(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := asic.Read(bytes.Clone(c), asic.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Exchange) != want {
			t.Fatalf("container %d: exchange %.50q, want %.50q", i, got.Exchange, want)
		}
	}
}

func zipOf(t *testing.T, b []byte) *zip.Reader {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func readAll(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(rc); err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return b.Bytes()
}

// BenchmarkPackRecord builds the two containers of one record as msglog's
// BenchmarkSustained does (1 KiB messages, a 10000-record batch's
// signature and hash chain, from testdata/container1k) with the SHA-512
// and CRC-32 the archive needs of each (Packer.Sum), next to a plain SHA-512 of the
// same entries' bytes (once per record) in the same run, all in process
// CPU time (the machine is shared):
//
//	container_B        bytes of one container
//	cpu_µs/record      CPU of the two containers
//	sha512_cpu_µs/record  CPU of SHA-512 over the entries' bytes
//	x_sha512           the ratio of the two
func BenchmarkPackRecord(b *testing.B) {
	read := func(name string) []byte {
		d, err := os.ReadFile(filepath.Join("testdata", "container1k", name))
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	in := asic.ContainerInput{Message: read("message.xml"), Signature: read("signatures.xml"),
		HashChainResult: read("sig-hashchainresult.xml"), HashChain: read("sig-hashchain.xml"),
		Exchange: read("tunduk-exchange.xml"), Time: time.Date(2026, 12, 5, 12, 3, 25, 0, time.UTC)}
	in.SharedTime = in.Time
	var all []byte
	for _, e := range [][]byte{in.Message, in.Signature, in.HashChainResult, in.HashChain, in.Exchange} {
		all = append(all, e...)
	}
	p := asic.NewPacker()
	size := 0
	var pack, sha time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := cputime.Process()
		for range 2 { // request and response
			c, err := p.Build(in)
			if err != nil {
				b.Fatal(err)
			}
			p.Sum(c)
			size = len(c)
		}
		c1 := cputime.Process()
		sha512.Sum512(all)
		pack, sha = pack+c1-c0, sha+cputime.Process()-c1
	}
	b.ReportMetric(float64(size), "container_B")
	b.ReportMetric(pack.Seconds()*1e6/float64(b.N), "cpu_µs/record")
	b.ReportMetric(sha.Seconds()*1e6/float64(b.N), "sha512_cpu_µs/record")
	b.ReportMetric(float64(pack)/float64(sha), "x_sha512")
}
