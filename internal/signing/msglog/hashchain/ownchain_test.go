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
			doc := tr.ChainURIs(k, []string{"/message.xml", "", "/tunduk-exchange.xml"})
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
