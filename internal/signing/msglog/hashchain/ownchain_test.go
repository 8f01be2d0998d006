package hashchain

import (
	"bytes"
	"crypto"
	"reflect"
	"testing"
)

// TestOwnChainMatchesXML: the direct reader of tunduk's own HashChain
// documents accepts every chain Tree.ChainURIs writes (batches of 2..40,
// with multi-part inputs and exchange URIs) and gives exactly what the
// XML parser gives; for every one-byte change, deletion or insertion in
// such a document it either declines or still agrees with the XML parser,
// so it never accepts a document the XML parser reads differently or
// refuses.
func TestOwnChainMatchesXML(t *testing.T) {
	var docs [][]byte
	for n := 2; n <= 40; n++ {
		b, err := NewBuilder(crypto.SHA512)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < n; k++ {
			m := bytes.Repeat([]byte{byte(k)}, 64)
			if k%3 == 1 {
				b.Add(m, bytes.Repeat([]byte{9}, 64), bytes.Repeat([]byte{8}, 64))
			} else {
				b.Add(m)
			}
		}
		tr, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < n; k++ {
			uris := []string{"/message.xml", "", "/tunduk-exchange.xml"}
			doc := tr.ChainURIs(k, uris)
			if size := tr.ChainSize(k, uris); len(doc) > size {
				t.Fatalf("n=%d k=%d: chain of %d bytes, ChainSize %d", n, k, len(doc), size)
			}
			if got := tr.AppendChainURIs([]byte("prefix"), k, uris); string(got) != "prefix"+string(doc) {
				t.Fatalf("n=%d k=%d: AppendChainURIs differs from ChainURIs", n, k)
			}
			own, ok := parseOwnChain(doc)
			if !ok {
				t.Fatalf("n=%d k=%d: own chain declined:\n%s", n, k, doc)
			}
			want, err := parseChainXML(doc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(own, want) {
				t.Fatalf("n=%d k=%d: direct read %+v, XML parser %+v", n, k, own, want)
			}
			if n == 5 || n == 6 {
				docs = append(docs, doc)
			}
		}
	}
	check := func(doc []byte) {
		own, ok := parseOwnChain(doc)
		if !ok {
			return
		}
		want, err := parseChainXML(doc)
		if err != nil || !reflect.DeepEqual(own, want) {
			t.Fatalf("accepted a document the XML parser reads as %+v, %v (direct: %+v):\n%s", want, err, own, doc)
		}
	}
	for _, doc := range docs[:3] {
		for i := range doc {
			for _, c := range []byte{'"', '<', '>', '&', ' ', '\n', 'A', '/', '#', '=', 0} {
				m := bytes.Clone(doc)
				m[i] = c
				check(m)
				check(append(bytes.Clone(doc[:i]), append([]byte{c}, doc[i:]...)...))
			}
			check(append(bytes.Clone(doc[:i]), doc[i+1:]...))
		}
	}
}

// TestAppendXMLAttr: the byte-wise escaping of chain URIs writes what
// xmlAttr writes, invalid UTF-8 included.
func TestAppendXMLAttr(t *testing.T) {
	for _, s := range []string{"", "/message.xml", `a&b"c<d>e`, "/вложение", "bad\xff\xfe&"} {
		if got, want := string(appendXMLAttr([]byte("x"), s)), "x"+xmlAttr(s); got != want {
			t.Errorf("appendXMLAttr(%q) = %q, want %q", s, got, want)
		}
	}
}
