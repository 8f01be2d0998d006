package asic_test

import (
	"bytes"
	"crypto"
	"crypto/sha512"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestCorpusStructure is X-Road's AsicContainerTest: two containers load,
// four fail with the stated codes (asic/EXPECTATIONS.md).
func TestCorpusStructure(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "asic"), "asic-core")
	cases := map[string]string{
		"valid-signed-message.asice":                  "",
		"valid-signed-message-with-attachments.asice": "",
		"no-mimetype.asice":                           asic.CodeMimeTypeNotFound,
		"no-message.asice":                            asic.CodeMessageNotFound,
		"no-signature.asice":                          asic.CodeSignatureNotFound,
		"not-asic.asice":                              asic.CodeMimeTypeNotFound,
	}
	for name, want := range cases {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = asic.Read(b, asic.Limits{})
		if want == "" && err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if want != "" && !errors.Is(err, &asic.Error{Code: want}) {
			t.Errorf("%s: want %s, got %v", name, want, err)
		}
	}
}

// TestCorpusArchives checks X-Road's ArchiveHashChainVerifierTest cases and
// the computed last digests (archive/EXPECTATIONS.md).
func TestCorpusArchives(t *testing.T) {
	dir := corpus.Dir(t, "archive")
	check := func(name, prev string, first bool) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		a, err := asic.OpenArchive(bytes.NewReader(b), int64(len(b)), asic.Limits{})
		if err != nil {
			return "", err
		}
		l, err := a.NewLinker(prev, first)
		if err != nil {
			return "", err
		}
		for _, f := range a.Containers {
			c, err := a.ReadContainer(f)
			if err != nil {
				return "", err
			}
			h := l.Hash().New()
			h.Write(c)
			if err := l.Next(f.Name, h.Sum(nil)); err != nil {
				return "", err
			}
		}
		return l.Last(), nil
	}
	const last0 = "9011ab557706b5050584d6888af7b390e5350f4edad296bd7a582aa51732aac7f49a4ec44dd361027945ade0de8b8cf607fb7b7d11f17b0560d44b965c358eaa"
	got, err := check("message-archive-0.zip", "", true)
	if err != nil || got != last0 {
		t.Fatalf("archive 0: %s, %v", got, err)
	}
	got, err = check("message-archive-1.zip", last0, false)
	if err != nil || got != "1bdf9efbf998d9c15a2137d898c9a742059ab2072a4e2ef0c7c8e0d61f7574c5efcd4c7e27d0684ab16fb1f989ab290c0a98d23b26e28361649e75b566b7ac36" {
		t.Fatalf("archive 1: %s, %v", got, err)
	}
	if _, err := check("message-archive-1.zip", "4145"+last0[4:], false); !errors.Is(err, &asic.Error{Code: asic.CodePrevDigestMismatch}) {
		t.Fatalf("wrong prev: %v", err)
	}
	if _, err := check("message-archive-1.zip", "", true); !errors.Is(err, &asic.Error{Code: asic.CodePrevDigestMismatch}) {
		t.Fatalf("archive 1 as first: %v", err)
	}
	for name, want := range map[string]string{
		"logarchive/mlog-WITH_LINKINGINFO.zip":               "",
		"logarchive/mlog-WITH_INVALID_LINKINGINFO.zip":       asic.CodeDigestMismatch,
		"logarchive/mlog-EXCESSIVE_FILES_IN_LINKINGINFO.zip": asic.CodeEntriesMismatch,
		"logarchive/mlog-NO_LINKINGINFO.zip":                 asic.CodeNoLinkingInfo,
		"logarchive/mlog-NO_ASIC_CONTAINERS.zip":             asic.CodeNoContainers,
	} {
		got, err := check(name, "", true)
		if want == "" && (err != nil || got != "624334053a96e0e1209d342514b5d890aeaeee8f0659da69688a3eeac0304856") {
			t.Errorf("%s: %s %v", name, got, err)
		}
		if want != "" && !errors.Is(err, &asic.Error{Code: want}) {
			t.Errorf("%s: want %s, got %v", name, want, err)
		}
	}
}

func TestArchiveWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := asic.NewArchiveWriter(&buf, asic.ArchiveOptions{PrevDigest: "abc", PrevName: "mlog-x.zip", Hash: crypto.SHA256, Time: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	want := "abc"
	for _, n := range []string{"a-request-1.asice", "a-response-2.asice"} {
		d, err := w.Add(n, []byte(n))
		if err != nil {
			t.Fatal(err)
		}
		want = asic.Link(crypto.SHA256, want, []byte(n))
		if d != want {
			t.Fatalf("digest %s want %s", d, want)
		}
	}
	if _, err := w.Add("a-request-1.asice", nil); err == nil {
		t.Fatal("repeated name accepted")
	}
	last, err := w.Close()
	if err != nil || last != want {
		t.Fatal(last, err)
	}
	a, err := asic.OpenArchive(bytes.NewReader(buf.Bytes()), int64(buf.Len()), asic.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Linking.PrevDigest != "abc" || a.Linking.PrevName != "mlog-x.zip" || a.Linking.HashName != "SHA-256" || len(a.Linking.Entries) != 2 {
		t.Fatalf("%+v", a.Linking)
	}
	if got := asic.ArchiveName(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC), last); got != "mlog-20260102030405-20260102040000-"+last[:16]+".zip" {
		t.Fatal(got)
	}
}

// TestArchiveWriterNames: a repeated container name is refused whether the
// names so far arrived in increasing order (no set kept) or not.
func TestArchiveWriterNames(t *testing.T) {
	var buf bytes.Buffer
	w, err := asic.NewArchiveWriter(&buf, asic.ArchiveOptions{Time: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"b-request.asice", true},
		{"b-response.asice", true},
		{"b-response.asice", false}, // in order so far
		{"c.asice", true},
		{"a.asice", true}, // out of order: a set from here on
		{"b-request.asice", false},
		{"c.asice", false},
		{"a.asice", false},
		{"d.asice", true},
		{"d.asice", false},
	} {
		if _, err := w.Add(c.name, []byte(c.name)); (err == nil) != c.ok {
			t.Fatalf("Add(%s): %v, want accepted %v", c.name, err, c.ok)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := asic.OpenArchive(bytes.NewReader(buf.Bytes()), int64(buf.Len()), asic.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Linking.Entries) != 5 || len(a.Containers) != 5 {
		t.Fatalf("%d linkinginfo lines, %d containers, want 5", len(a.Linking.Entries), len(a.Containers))
	}
}

// TestArchiveWriterLongLinkingInfo: linkinginfo kept in several chunks
// reads back whole and its chain checks.
func TestArchiveWriterLongLinkingInfo(t *testing.T) {
	var buf bytes.Buffer
	w, err := asic.NewArchiveWriter(&buf, asic.ArchiveOptions{Time: time.Unix(0, 0), Store: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // ~580 KiB of lines
	for i := range n {
		if _, err := w.Add(fmt.Sprintf("%08d-request.asice", i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	last, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	a, err := asic.OpenArchive(bytes.NewReader(buf.Bytes()), int64(buf.Len()), asic.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := a.NewLinker("", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Containers {
		c, err := a.ReadContainer(f)
		if err != nil {
			t.Fatal(err)
		}
		d := sha512.Sum512(c)
		if err := l.Next(f.Name, d[:]); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.Linking.Entries) != n || l.Last() != last {
		t.Fatalf("%d entries, last %s, want %d, %s", len(a.Linking.Entries), l.Last(), n, last)
	}
}
