package hashchain

import (
	"crypto"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// sameTree describes the first difference between two element trees, or
// returns "".
func sameTree(a, b *etree.Element, path string) string {
	if a.Space != b.Space || a.Tag != b.Tag {
		return fmt.Sprintf("%s: element %s vs %s", path, a.FullTag(), b.FullTag())
	}
	path += "/" + a.FullTag()
	if len(a.Attr) != len(b.Attr) {
		return fmt.Sprintf("%s: %d vs %d attributes", path, len(a.Attr), len(b.Attr))
	}
	for i := range a.Attr {
		if a.Attr[i].Space != b.Attr[i].Space || a.Attr[i].Key != b.Attr[i].Key || a.Attr[i].Value != b.Attr[i].Value {
			return fmt.Sprintf("%s: attribute %d %q=%q vs %q=%q", path, i, a.Attr[i].FullKey(), a.Attr[i].Value, b.Attr[i].FullKey(), b.Attr[i].Value)
		}
	}
	if len(a.Child) != len(b.Child) {
		return fmt.Sprintf("%s: %d vs %d children", path, len(a.Child), len(b.Child))
	}
	for i := range a.Child {
		switch x := a.Child[i].(type) {
		case *etree.Element:
			y, ok := b.Child[i].(*etree.Element)
			if !ok {
				return fmt.Sprintf("%s: child %d: element vs %T", path, i, b.Child[i])
			}
			if d := sameTree(x, y, path); d != "" {
				return d
			}
			if y.Parent() != b || x.Parent() != a {
				return fmt.Sprintf("%s: child %d: wrong parent", path, i)
			}
		case *etree.CharData:
			y, ok := b.Child[i].(*etree.CharData)
			if !ok || x.Data != y.Data || x.IsWhitespace() != y.IsWhitespace() || x.IsCData() != y.IsCData() {
				return fmt.Sprintf("%s: child %d: text %q vs %#v", path, i, x.Data, b.Child[i])
			}
		default:
			return fmt.Sprintf("%s: child %d: unexpected %T", path, i, x)
		}
	}
	return ""
}

// checkReadXML: when the fast reader accepts data, etree accepts it too
// and builds the same root tree, with namespaces resolving the same way.
func checkReadXML(t *testing.T, data []byte) bool {
	fast, ok := readSimpleXML(data)
	if !ok {
		return false
	}
	slow := etree.NewDocument()
	if err := slow.ReadFromBytes(data); err != nil {
		t.Fatalf("fast reader accepted what etree rejects (%v): %q", err, data)
	}
	for _, tok := range slow.Child {
		switch tok := tok.(type) {
		case *etree.Directive, *etree.Comment:
			t.Fatalf("fast reader accepted a document with %T: %q", tok, data)
		case *etree.ProcInst:
			if tok.Target != "xml" {
				t.Fatalf("fast reader accepted a processing instruction: %q", data)
			}
		case *etree.CharData:
			if strings.TrimSpace(tok.Data) != "" {
				t.Fatalf("fast reader accepted text outside the root: %q", data)
			}
		}
	}
	fr, sr := fast.Root(), slow.Root()
	if fr == nil || sr == nil {
		t.Fatalf("root: fast %v, etree %v: %q", fr, sr, data)
	}
	if d := sameTree(fr, sr, ""); d != "" {
		t.Fatalf("trees differ: %s\ninput %q", d, data)
	}
	var walk func(a, b *etree.Element)
	walk = func(a, b *etree.Element) {
		if a.NamespaceURI() != b.NamespaceURI() {
			t.Fatalf("%s: namespace %q vs %q", a.GetPath(), a.NamespaceURI(), b.NamespaceURI())
		}
		ac, bc := a.ChildElements(), b.ChildElements()
		for i := range ac {
			walk(ac[i], bc[i])
		}
	}
	walk(fr, sr)
	return true
}

func xmlSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<a:b xmlns:a="urn:x" xmlns="urn:d" k='v'><c/>  <d e="1">text</d></a:b>`),
		[]byte(`<a><!-- c --></a>`),
		[]byte(`<a>&amp;</a>`),
		[]byte(`<a x="1" x="2"/>`),
		[]byte(`<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>`),
		[]byte(`<a><![CDATA[x]]></a>`),
		[]byte("<a>\r\n</a>"),
		[]byte(`<a:b:c/>`),
		[]byte(`<a></b>`),
	}
	for _, b := range corpus.Files(tb, "hashchain/*.xml") {
		seeds = append(seeds, b)
	}
	return seeds
}

func TestReadXMLAgreesWithEtree(t *testing.T) {
	accepted := 0
	for _, s := range xmlSeeds(t) {
		if checkReadXML(t, s) {
			accepted++
		}
	}
	// Our own writer's documents must take the fast path.
	b, _ := NewBuilder(crypto.SHA512)
	for i := 0; i < 5; i++ {
		b.Add(StepDigest(crypto.SHA512, []byte{byte(i)}), []byte{1})
	}
	tree, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range [][]byte{tree.Result("/sig-hashchain.xml"), tree.Chain(3, "/message.xml")} {
		if !checkReadXML(t, d) {
			t.Errorf("our own hash chain document does not take the fast path:\n%s", d)
		}
		accepted++
	}
	if accepted < 4 {
		t.Errorf("only %d documents took the fast path", accepted)
	}
}

func FuzzReadXML(f *testing.F) {
	for _, s := range xmlSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkReadXML(t, data)
	})
}
