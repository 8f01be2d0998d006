package asic

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

const framingDoc = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<record xmlns="https://tunduk.kg/xsd/msglog/1" format="3" seq="1"/>`

func TestFramingRoundTrip(t *testing.T) {
	f := &Framing{Pre: []byte("preamble\r\n--B\r\nContent-Type: text/xml\r\n\r\n"),
		Seps: [][]byte{[]byte("\r\n--B\r\nContent-Type: a/b\r\n\r\n"), {}, []byte("\n--B \t\nX: \xff\x00\n\n")},
		Tail: []byte("\r\n--B--\r\nepilogue")}
	ex := AppendFraming([]byte(framingDoc), f)
	doc, g, err := SplitExchange(ex)
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != framingDoc {
		t.Errorf("document %q", doc)
	}
	body, err := g.Body([]byte("<Envelope/>"), [][]byte{[]byte("A1"), []byte("A2"), []byte("A3")})
	if err != nil {
		t.Fatal(err)
	}
	want := "preamble\r\n--B\r\nContent-Type: text/xml\r\n\r\n<Envelope/>\r\n--B\r\nContent-Type: a/b\r\n\r\nA1A2\n--B \t\nX: \xff\x00\n\nA3\r\n--B--\r\nepilogue"
	if string(body) != want {
		t.Errorf("body %q\nwant %q", body, want)
	}
	if _, err := g.Body([]byte("<Envelope/>"), [][]byte{[]byte("A1")}); !errors.Is(err, ErrFraming) {
		t.Errorf("fewer attachments than the framing describes: %v", err)
	}
	if d, g, err := SplitExchange([]byte(framingDoc)); err != nil || g != nil || string(d) != framingDoc {
		t.Errorf("no framing: %q %v %v", d, g, err)
	}
}

// TestFramingRefused: each malformed or oversized framing is ErrFraming.
func TestFramingRefused(t *testing.T) {
	enc := func(raw []byte) []byte {
		return []byte(framingDoc + framingPI + base64.StdEncoding.EncodeToString(raw) + "?>")
	}
	good := (&Framing{Pre: []byte("p"), Seps: [][]byte{[]byte("s")}, Tail: []byte("t")}).encode()
	big := binary.AppendUvarint([]byte{framingVersion, 0}, MaxFramingSize+1)
	big = append(big, make([]byte, MaxFramingSize+1)...)
	big = append(big, 0)
	many := binary.AppendUvarint([]byte{framingVersion}, MaxFramingParts+1)
	for _, c := range []struct {
		name string
		ex   []byte
	}{
		{"unterminated", []byte(framingDoc + framingPI + "AQ==")},
		{"text after it", append(enc(good), ' ')},
		{"not base64", []byte(framingDoc + framingPI + "!!!!?>")},
		{"line break in base64", []byte(framingDoc + framingPI + "AQAA\nAAA=?>")},
		{"unknown version", enc(append([]byte{2}, good[1:]...))},
		{"empty", enc(nil)},
		{"truncated", enc(good[:len(good)-1])},
		{"trailing bytes", enc(append(bytes.Clone(good), 0))},
		{"long varint", enc([]byte{framingVersion, 0x80, 0x00, 0, 0})},
		{"too many parts", enc(many)},
		{"too large", enc(big)},
	} {
		if _, _, err := SplitExchange(c.ex); !errors.Is(err, ErrFraming) {
			t.Errorf("%s: %v, want ErrFraming", c.name, err)
		}
	}
	if (&Framing{Seps: make([][]byte, MaxFramingParts+1)}).Fits() || (&Framing{Pre: make([]byte, MaxFramingSize+1)}).Fits() {
		t.Error("Fits accepts a framing over the limits")
	}
}

// FuzzSplitExchange: whatever tunduk-exchange.xml holds, SplitExchange
// neither panics nor reads past its limits, and a framing it accepts has
// one encoding: writing it back gives the same bytes.
func FuzzSplitExchange(f *testing.F) {
	f.Add([]byte(framingDoc))
	f.Add(AppendFraming([]byte(framingDoc), &Framing{Pre: []byte("--B\r\n\r\n"), Seps: [][]byte{[]byte("\r\n--B\r\n\r\n")}, Tail: []byte("\r\n--B--")}))
	f.Add(AppendFraming(nil, &Framing{}))
	f.Add([]byte(framingPI + "AQIAAAA=?>"))
	f.Fuzz(func(t *testing.T, ex []byte) {
		doc, fr, err := SplitExchange(ex)
		if err != nil {
			if !errors.Is(err, ErrFraming) {
				t.Fatalf("error %v does not wrap ErrFraming", err)
			}
			return
		}
		if fr == nil {
			if !bytes.Equal(doc, ex) {
				t.Fatal("no framing, but the document is not the entry")
			}
			return
		}
		if !fr.Fits() {
			t.Fatalf("accepted a framing over the limits: %d parts, %d bytes", len(fr.Seps), fr.Size())
		}
		if back := AppendFraming(doc, fr); !bytes.Equal(back, ex) {
			t.Fatalf("framing has another encoding:\n%q\n%q", ex, back)
		}
		atts := make([][]byte, len(fr.Seps))
		body, err := fr.Body([]byte("M"), atts)
		if err != nil || len(body) != fr.Size()+1 {
			t.Fatalf("body of %d bytes, %v; want %d", len(body), err, fr.Size()+1)
		}
		if strings.Contains(string(doc), framingPI) {
			t.Fatal("document keeps a framing instruction")
		}
	})
}
