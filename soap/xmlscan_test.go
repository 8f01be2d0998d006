package soap

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// FuzzXMLScanner is a differential test: whatever xmlScanner accepts,
// encoding/xml's strict RawToken must read as the same tokens with the
// same offsets.
func FuzzXMLScanner(f *testing.F) {
	for _, b := range corpus.Files(f, "soap/*.query") {
		if !bytes.HasPrefix(b, []byte("--")) {
			f.Add(b)
		}
	}
	for _, s := range []string{`<a x="1&amp;2" y='&#x41;'>t&lt;<![CDATA[c]]>x</a>`, "<a>\r\n\r</a>", `<?xml version="1.0"?><!-- c --><a/>`,
		`<p:a xmlns:p="u"><b/></p:a>`, "<a>]]></a>", `<!DOCTYPE a><a/>`, "<a>&#0;</a>", "<a b='<'/>", "<ä/>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		type tok struct {
			kind     tokKind
			name     xml.Name
			attrs    []xml.Attr
			text     string
			end      int
			piTarget string
		}
		var mine []tok
		sc := xmlScanner{b: in}
		for {
			err := sc.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return // rejected: nothing to compare
			}
			tk := tok{kind: sc.kind, end: sc.end, text: string(sc.text), piTarget: sc.target}
			if sc.kind == tokStart || sc.kind == tokEnd {
				tk.name = sc.name
				tk.text = ""
			}
			if sc.kind == tokStart {
				tk.attrs = append([]xml.Attr(nil), sc.attrs...)
			}
			mine = append(mine, tk)
		}
		d := xml.NewDecoder(bytes.NewReader(in))
		d.Strict = true
		d.CharsetReader = passthroughCharset
		for i := 0; ; i++ {
			t0, err := d.RawToken()
			if err == io.EOF {
				if i != len(mine) {
					t.Fatalf("encoding/xml ends after %d tokens, scanner read %d", i, len(mine))
				}
				return
			}
			if err != nil && i < len(mine) && mine[i].kind == tokDirective {
				return // both refuse the document: callers reject any declaration
			}
			if err != nil {
				t.Fatalf("scanner accepted what encoding/xml rejects at token %d: %v", i, err)
			}
			if i >= len(mine) {
				t.Fatalf("encoding/xml reads more tokens than the scanner (%T)", t0)
			}
			m := mine[i]
			if _, ok := t0.(xml.Directive); ok || m.kind == tokDirective {
				if m.kind != tokDirective {
					t.Fatalf("token %d: encoding/xml reads a directive, the scanner %+v", i, m)
				}
				return // callers stop at a declaration; its extent does not matter
			}
			if int(d.InputOffset()) != m.end {
				t.Fatalf("token %d: end offset %d, encoding/xml %d", i, m.end, d.InputOffset())
			}
			switch x := t0.(type) {
			case xml.StartElement:
				if m.kind != tokStart || m.name != x.Name || len(m.attrs) != len(x.Attr) {
					t.Fatalf("token %d: %+v vs %+v", i, m, x)
				}
				for j := range x.Attr {
					if m.attrs[j] != x.Attr[j] {
						t.Fatalf("token %d attr %d: %+v vs %+v", i, j, m.attrs[j], x.Attr[j])
					}
				}
			case xml.EndElement:
				if m.kind != tokEnd || m.name != x.Name {
					t.Fatalf("token %d: %+v vs %+v", i, m, x)
				}
			case xml.CharData:
				if m.kind != tokText || m.text != string(x) {
					t.Fatalf("token %d: %+v vs %q", i, m, x)
				}
			case xml.Comment:
				if m.kind != tokComment || m.text != string(x) {
					t.Fatalf("token %d: %+v vs %q", i, m, x)
				}
			case xml.ProcInst:
				if m.kind != tokPI || m.piTarget != x.Target {
					t.Fatalf("token %d: %+v vs %+v", i, m, x)
				}
			}
		}
	})
}
