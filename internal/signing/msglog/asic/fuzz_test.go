package asic_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic/asictest"
)

// fuzzLimits keep fuzzing inputs from spending the fuzzer's memory: each
// input may still declare entries of up to 1 MiB.
var fuzzLimits = asic.Limits{MaxEntrySize: 1 << 20, MaxEntries: 512, MaxTotalSize: 4 << 20}

func blank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// typed fails the test unless err carries an X-Road code.
func typed(t *testing.T, err error) {
	t.Helper()
	var ae *asic.Error
	if !errors.As(err, &ae) || ae.Code == "" {
		t.Fatalf("untyped error: %v", err)
	}
}

// FuzzRead: the container reader never panics, returns only coded errors,
// and a container it accepts has what X-Road requires.
func FuzzRead(f *testing.F) {
	cs, _ := asictest.Seeds(f)
	for _, c := range cs {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := asic.Read(data, fuzzLimits)
		if err != nil {
			typed(t, err)
			return
		}
		if len(bytes.TrimSpace(c.Message)) == 0 || len(bytes.TrimSpace(c.Signature)) == 0 {
			t.Fatal("accepted a container without message or signature")
		}
		if blank(c.SigHashChainResult) != blank(c.SigHashChain) || blank(c.TSHashChainResult) != blank(c.TSHashChain) {
			t.Fatal("accepted half a signature hash chain")
		}
		var total int
		for _, n := range c.Names {
			b, _ := c.Entry("/" + n)
			total += len(b)
		}
		if total > int(fuzzLimits.MaxTotalSize) {
			t.Fatalf("read %d bytes, over the total limit", total)
		}
	})
}

// FuzzOpenArchive: opening an archive, checking its linking chain and
// reading its containers never panics and fails only with coded errors.
func FuzzOpenArchive(f *testing.F) {
	_, as := asictest.Seeds(f)
	for _, a := range as {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := asic.OpenArchive(bytes.NewReader(data), int64(len(data)), fuzzLimits)
		if err != nil {
			typed(t, err)
			return
		}
		l, err := a.NewLinker("", false)
		if err != nil {
			typed(t, err)
			return
		}
		for _, zf := range a.Containers {
			c, err := a.ReadContainer(zf)
			if err != nil {
				typed(t, err)
				return
			}
			h := l.Hash().New()
			h.Write(c)
			if err := l.Next(zf.Name, h.Sum(nil)); err != nil {
				typed(t, err)
				return
			}
		}
		if last := l.Last(); len(a.Linking.Entries) > 0 && !strings.EqualFold(last, a.Linking.Entries[len(a.Linking.Entries)-1].Digest) {
			t.Fatalf("chain verified but ends with %s, linkinginfo with %s", last, a.Linking.Entries[len(a.Linking.Entries)-1].Digest)
		}
	})
}

// FuzzParseLinkingInfo: the linkinginfo parser never panics, fails only
// with MalformedLinkingInfo, and what it accepts has a known algorithm and
// well-formed lines.
func FuzzParseLinkingInfo(f *testing.F) {
	f.Add([]byte("- - SHA-512\n"))
	f.Add([]byte("abc mlog-x.zip SHA-256\r\nd1 a.asice\r\n\r\nd2 b.asice"))
	_, as := asictest.Seeds(f)
	for _, a := range as {
		zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
		if err != nil {
			continue
		}
		for _, zf := range zr.File {
			if zf.Name == asic.EntryLinkingInfo {
				rc, err := zf.Open()
				if err != nil {
					continue
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		li, err := asic.ParseLinkingInfo(data)
		if err != nil {
			if !errors.Is(err, &asic.Error{Code: asic.CodeMalformedLinkingInfo}) {
				t.Fatalf("want MalformedLinkingInfo, got %v", err)
			}
			return
		}
		if !li.Hash.Available() {
			t.Fatalf("accepted unavailable hash %v", li.Hash)
		}
		for _, e := range li.Entries {
			if e.Digest == "" || e.Name == "" {
				t.Fatalf("accepted entry %+v", e)
			}
		}
	})
}
