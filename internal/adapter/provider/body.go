package provider

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// params are the request's input values, read from the body wrapper.
type params struct {
	values map[string]string // leaf element local name → text (first wins)
	order  []string
	// requestElement is the <request> child of a legacy-style wrapper, ready
	// to be echoed into the response; nil for other styles.
	requestElement []byte
}

// select_ returns the named values to send to the backend (all when names is empty).
func (p params) select_(names []string) map[string]string {
	out := map[string]string{}
	if len(names) == 0 {
		for _, k := range p.order {
			out[k] = p.values[k]
		}
		return out
	}
	for _, k := range names {
		if v, ok := p.values[k]; ok {
			out[k] = v
		}
	}
	return out
}

// readParams reads the leaves of a body wrapper element, in both Tunduk
// styles: legacy <op><request><inn>…</inn></request></op> and WCF
// <Op><PIN>…</PIN></Op>. soap.Parse has already refused DTDs and bounded
// size and depth.
func readParams(wrapper []byte) (params, error) {
	p := params{values: map[string]string{}}
	d := xml.NewDecoder(bytes.NewReader(wrapper))
	type frame struct {
		name     string
		start    int64
		children int
		text     bytes.Buffer
		prefixed bool
	}
	var stack []*frame
	for {
		before := d.InputOffset()
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p, fmt.Errorf("body: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if n := len(stack); n > 0 {
				stack[n-1].children++
			}
			f := &frame{name: t.Name.Local, start: before, prefixed: t.Name.Space != ""}
			for _, a := range t.Attr {
				if a.Name.Space != "" && a.Name.Space != "xmlns" {
					f.prefixed = true
				}
			}
			stack = append(stack, f)
		case xml.CharData:
			if n := len(stack); n > 0 {
				stack[n-1].text.Write(t)
			}
		case xml.EndElement:
			n := len(stack)
			if n == 0 {
				return p, errors.New("body: unbalanced element")
			}
			f := stack[n-1]
			stack = stack[:n-1]
			if n >= 2 && f.children == 0 {
				if _, seen := p.values[f.name]; !seen {
					p.values[f.name] = string(bytes.TrimSpace(f.text.Bytes()))
					p.order = append(p.order, f.name)
				}
			}
			if n == 2 && f.name == "request" && p.requestElement == nil {
				p.requestElement = echoable(wrapper[f.start:d.InputOffset()])
			}
		}
	}
	if len(stack) != 0 {
		return p, errors.New("body: unclosed element")
	}
	return p, nil
}

// echoable returns the <request> element's bytes if they stand alone (no
// namespace prefixes that the wrapper may have declared); otherwise it
// rebuilds the element unqualified, which is how legacy services echo it.
func echoable(raw []byte) []byte {
	if !bytes.ContainsRune(raw, ':') {
		return append([]byte(nil), raw...)
	}
	d := xml.NewDecoder(bytes.NewReader(raw))
	var out bytes.Buffer
	for {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			out.WriteString("<" + t.Name.Local + ">")
		case xml.EndElement:
			out.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			xmlEscape(&out, string(t))
		}
	}
	return out.Bytes()
}

// jsonToXML turns a backend's JSON answer into XML elements: object keys
// become elements, arrays repeat their key's element, scalars become text.
// A top-level array becomes repeated <item> elements.
func jsonToXML(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("backend answer is not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("backend answer has data after the JSON value")
	}
	var out bytes.Buffer
	if err := writeValue(&out, "", v, 0); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

const maxJSONDepth = 64

func writeValue(out *bytes.Buffer, name string, v any, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("backend answer nests too deeply")
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			if !validXMLName(k) {
				return fmt.Errorf("backend answer key %q is not a valid XML element name", k)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return wrap(out, name, func() error {
			for _, k := range keys {
				if err := writeValue(out, k, t[k], depth+1); err != nil {
					return err
				}
			}
			return nil
		})
	case []any:
		item := name
		if item == "" {
			item = "item"
		}
		for _, e := range t {
			if err := writeValue(out, item, e, depth+1); err != nil {
				return err
			}
		}
	case nil:
		if name != "" {
			out.WriteString("<" + name + "/>")
		}
	default:
		var s string
		switch x := t.(type) {
		case string:
			s = x
		case bool:
			s = strconv.FormatBool(x)
		case json.Number:
			s = x.String()
		default:
			return fmt.Errorf("unexpected JSON value %T", t)
		}
		return wrap(out, name, func() error { xmlEscape(out, s); return nil })
	}
	return nil
}

func wrap(out *bytes.Buffer, name string, inner func() error) error {
	if name != "" {
		out.WriteString("<" + name + ">")
	}
	if err := inner(); err != nil {
		return err
	}
	if name != "" {
		out.WriteString("</" + name + ">")
	}
	return nil
}

// validXMLName accepts the NCName subset JSON keys realistically use.
func validXMLName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return len(s) < 3 || !bytes.EqualFold([]byte(s[:3]), []byte("xml"))
}

// xmlEscape writes s as XML text, dropping characters XML cannot carry.
func xmlEscape(out *bytes.Buffer, s string) {
	clean := bytes.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') {
			return -1
		}
		return r
	}, []byte(s))
	_ = xml.EscapeText(out, clean)
}
