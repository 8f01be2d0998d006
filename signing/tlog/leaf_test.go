package tlog

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// AppendHash is Hash, appended, for any number of attachments (on the
// stack up to 4, beyond on the heap).
func TestLeafAppendHash(t *testing.T) {
	for n := range 7 {
		atts := make([][]byte, n)
		for i := range atts {
			atts[i] = fmt.Appendf(nil, "attachment %d", i)
		}
		l := NewLeaf(uint64(40+n), []byte("<record/>"), atts...)
		if got := l.AppendHash([]byte("x")); !bytes.Equal(got, append([]byte("x"), l.Hash()...)) {
			t.Errorf("%d attachments: AppendHash %x, Hash %x", n, got[1:], l.Hash())
		}
	}
}

// TestLeafHashVectors pins the leaf hash of each version (computed
// independently: SHA-256(0x00 || prefix || seq || digests), the version 1
// figure also by the build before version 2 existed), so that neither
// encoding can change under existing logs, receipts and archives.
func TestLeafHashVectors(t *testing.T) {
	doc := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<record xmlns=\"https://tunduk.kg/xsd/msglog/1\" seq=\"7\" type=\"exchange\"/>\n")
	for _, c := range []struct {
		name string
		leaf Leaf
		want string
	}{
		{"v1", NewLeaf(7, doc, []byte("<q/>"), []byte("<a/>")), "f14a903f72fee25fd61920fee061cf4312288b27aeca16e07543abf920fd1f1d"},
		{"v1 explicit", func() Leaf { l := NewLeaf(7, doc, []byte("<q/>"), []byte("<a/>")); l.Version = LeafV1; return l }(),
			"f14a903f72fee25fd61920fee061cf4312288b27aeca16e07543abf920fd1f1d"},
		{"v2", NewLeafV2(7, doc), "2643de337202ad74d597da67d12d635f7050e6201e5e0aaf5b44589e9f52e233"},
	} {
		if got := hex.EncodeToString(c.leaf.Hash()); got != c.want {
			t.Errorf("%s: leaf hash %s, want %s", c.name, got, c.want)
		}
		if got := c.leaf.AppendHash(nil); !bytes.Equal(got, c.leaf.Hash()) {
			t.Errorf("%s: AppendHash %x, Hash %x", c.name, got, c.leaf.Hash())
		}
	}
}

func TestLeafVersionOf(t *testing.T) {
	const head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<record xmlns=\"https://tunduk.kg/xsd/msglog/1\""
	for doc, want := range map[string]int{
		head + ` leaf="2" type="exchange">`:                         LeafV2, // as journaled, before seq
		head + ` seq="12345678901234567890" leaf="2" type="x">`:     LeafV2,
		head + ` format="3" seq="9" leaf="2" type="x">`:             LeafV2, // tunduk-exchange.xml
		head + ` seq="9" type="x">`:                                 LeafV1,
		head + ` format="2" seq="9" type="x">`:                      LeafV1,
		head + ` seq="9" type="x" leaf="2">`:                        LeafV1, // not where tunduk writes it
		head + ` seq="9" leaf="3" type="x">`:                        LeafV1,
		`<record xmlns="other" seq="9" leaf="2">`:                   LeafV1,
		strings.Repeat(" ", 100) + head + ` seq="9" leaf="2" a="">`: LeafV1, // not at the start
		head + ` seq="9`: LeafV1,
		"":               LeafV1,
	} {
		if got := LeafVersionOf([]byte(doc)); got != want {
			t.Errorf("LeafVersionOf(%q) = %d, want %d", doc, got, want)
		}
	}
}

// TestRecordLeaf: a version 2 record's leaf is rebuilt only when each
// attachment is the body message.xml references with its SHA-512 digest;
// a version 1 record's from all its bytes.
func TestRecordLeaf(t *testing.T) {
	q, a := []byte("<q/>"), []byte("<a/>")
	d := func(b []byte) string {
		s := sha512.Sum512(b)
		return "SHA-512:" + base64.StdEncoding.EncodeToString(s[:])
	}
	doc := func(leaf, req, resp string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<record xmlns="https://tunduk.kg/xsd/msglog/1" seq="7"` + leaf +
			` type="exchange"><exchange><request size="4"` + req + `></request><response size="4"` + resp + `></response></exchange></record>`)
	}
	v2 := doc(` leaf="2"`, ` digest="`+d(q)+`" body="/attachment1"`, ` digest="`+d(a)+`" body="/attachment2"`)
	l, err := RecordLeaf(7, v2, q, a)
	if err != nil || !bytes.Equal(l.Hash(), NewLeafV2(7, v2).Hash()) {
		t.Fatalf("v2: %v", err)
	}
	v1 := doc("", ` digest="`+d(q)+`" body="/attachment1"`, ` digest="`+d(a)+`" body="/attachment2"`)
	if l, err := RecordLeaf(7, v1, q, a); err != nil || !bytes.Equal(l.Hash(), NewLeaf(7, v1, q, a).Hash()) {
		t.Fatalf("v1: %v", err)
	}
	meta := doc(` leaf="2"`, ` digest="`+d(q)+`"`, ` digest="`+d(a)+`"`) // metadata only: no attachments
	if _, err := RecordLeaf(7, meta); err != nil {
		t.Errorf("metadata only: %v", err)
	}
	event := []byte(`<record xmlns="https://tunduk.kg/xsd/msglog/1" seq="7" leaf="2" type="archive-read"><event action="search"></event></record>`)
	if _, err := RecordLeaf(7, event); err != nil {
		t.Errorf("event: %v", err)
	}
	for name, c := range map[string]struct {
		doc  []byte
		atts [][]byte
	}{
		"swapped":          {v2, [][]byte{a, q}},
		"changed":          {v2, [][]byte{q, []byte("<b/>")}},
		"missing":          {v2, [][]byte{q}},
		"extra":            {v2, [][]byte{q, a, a}},
		"metadata + extra": {meta, [][]byte{q}},
		"event + extra":    {event, [][]byte{q}},
		"named twice":      {doc(` leaf="2"`, ` digest="`+d(q)+`" body="/attachment1"`, ` digest="`+d(q)+`" body="/attachment1"`), [][]byte{q}},
		"bad name":         {doc(` leaf="2"`, ` digest="`+d(q)+`" body="/attachment01x"`, ""), [][]byte{q}},
		"not XML":          {[]byte(`<record xmlns="https://tunduk.kg/xsd/msglog/1" seq="7" leaf="2"><exchange>`), nil},
	} {
		if _, err := RecordLeaf(7, c.doc, c.atts...); !errors.Is(err, ErrBody) {
			t.Errorf("%s: %v, want ErrBody", name, err)
		}
	}
}
