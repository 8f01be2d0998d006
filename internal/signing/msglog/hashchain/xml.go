package hashchain

import (
	"bytes"

	"github.com/beevik/etree"

	"github.com/tunduk-kg/tunduk/internal/xmlguard"
)

// maxSimpleDepth bounds the element nesting the fast reader takes on;
// deeper documents go to etree, which has its own limit (1024).
const maxSimpleDepth = 64

// readXML parses data as etree does (Document.ReadFromBytes with default
// settings: strict, no entity table).
//
// Hash chain documents are small, plain XML, and a verifier reads two or
// three per container: etree over encoding/xml spent most of the time of
// verifying small containers there. So documents in the plain subset that
// X-Road's JAXB writer and ours produce — elements, attributes, printable
// ASCII text, whitespace, an optional XML declaration — are read by a small
// scanner that builds the same element tree; anything outside the subset
// (comments, processing instructions, CDATA, DTDs, character or entity
// references, carriage returns, non-ASCII bytes, malformed markup,
// duplicate attributes, deep nesting) falls back to etree, which accepts
// or rejects it as before. FuzzReadXML checks that both readers build the
// same tree whenever the scanner accepts.
//
// The scanner's document holds only the root element tree: the XML
// declaration and whitespace around the root are not kept.
func readXML(data []byte) (*etree.Document, error) {
	if doc, ok := readSimpleXML(data); ok {
		return doc, nil
	}
	if err := xmlguard.Check(data, xmlguard.Limits{}); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, err
	}
	return doc, nil
}

// readSimpleXML reads data if it is in the plain subset; ok is false
// otherwise (the input may still be valid XML).
func readSimpleXML(s []byte) (doc *etree.Document, ok bool) {
	if bytes.IndexByte(s, '\r') >= 0 {
		return nil, false // encoding/xml normalizes line ends
	}
	i := 0
	if bytes.HasPrefix(s, []byte("<?xml")) {
		end := bytes.Index(s, []byte("?>"))
		if end < 0 || !simpleDecl(s[5:end]) {
			return nil, false
		}
		i = end + 2
	}
	doc = etree.NewDocument()
	cur := &doc.Element
	depth := 0
	rootDone := false
	ws := map[string]string{}
	for i < len(s) {
		if s[i] != '<' {
			j := bytes.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s)
			} else {
				j += i
			}
			text := s[i:j]
			if !plainText(text) {
				return nil, false
			}
			white := isSpace(text)
			switch {
			case depth == 0 && white:
				// whitespace around the root is not kept
			case depth == 0:
				return nil, false
			case white:
				str, ok := ws[string(text)]
				if !ok {
					str = string(text)
					ws[str] = str
				}
				cur.CreateText(str).SetData(str)
			default:
				cur.CreateText(string(text))
			}
			i = j
			continue
		}
		if i+1 >= len(s) {
			return nil, false
		}
		if s[i+1] == '/' { // end tag
			name, j, ok := scanName(s, i+2)
			j = skipSpace(s, j)
			if !ok || depth == 0 || j >= len(s) || s[j] != '>' || name != cur.FullTag() {
				return nil, false
			}
			cur = cur.Parent()
			depth--
			rootDone = depth == 0
			i = j + 1
			continue
		}
		if rootDone || depth >= maxSimpleDepth {
			return nil, false
		}
		name, j, ok := scanName(s, i+1) // also rejects "<!" and "<?"
		if !ok {
			return nil, false
		}
		el := cur.CreateElement(name)
		selfClosed := false
		for {
			k := skipSpace(s, j)
			if k >= len(s) {
				return nil, false
			}
			if s[k] == '>' {
				j = k + 1
				break
			}
			if s[k] == '/' {
				if k+1 >= len(s) || s[k+1] != '>' {
					return nil, false
				}
				j, selfClosed = k+2, true
				break
			}
			if k == j { // attributes need whitespace before them
				return nil, false
			}
			key, k, ok := scanName(s, k)
			if !ok {
				return nil, false
			}
			k = skipSpace(s, k)
			if k >= len(s) || s[k] != '=' {
				return nil, false
			}
			k = skipSpace(s, k+1)
			if k >= len(s) || (s[k] != '"' && s[k] != '\'') {
				return nil, false
			}
			end := bytes.IndexByte(s[k+1:], s[k])
			if end < 0 {
				return nil, false
			}
			val := s[k+1 : k+1+end]
			if !plainAttr(val) {
				return nil, false
			}
			for _, a := range el.Attr {
				if a.FullKey() == key {
					return nil, false
				}
			}
			el.CreateAttr(key, string(val))
			j = k + 1 + end + 1
		}
		if selfClosed {
			rootDone = depth == 0
		} else {
			cur = el
			depth++
		}
		i = j
	}
	if depth != 0 || !rootDone {
		return nil, false
	}
	return doc, true
}

// simpleDecl reports whether the inside of <?xml … ?> is a plain XML 1.0
// declaration: pseudo-attributes in printable ASCII with version 1.0.
func simpleDecl(b []byte) bool {
	if len(b) == 0 || !isSpaceByte(b[0]) || !plainAttr(b) || bytes.ContainsAny(b, "<>") {
		return false
	}
	return bytes.Contains(b, []byte(`version="1.0"`)) || bytes.Contains(b, []byte(`version='1.0'`))
}

// scanName reads an XML name at s[i:] in the ASCII subset, with at most
// one colon separating a non-empty prefix and local part.
func scanName(s []byte, i int) (string, int, bool) {
	start := i
	colon := -1
	for i < len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		case '0' <= c && c <= '9', c == '.', c == '-':
			if i == start || i == colon+1 {
				return "", i, false
			}
		case c == ':':
			if colon >= 0 || i == start {
				return "", i, false
			}
			colon = i
		default:
			goto done
		}
		i++
	}
done:
	if i == start || colon == i-1 {
		return "", i, false
	}
	return string(s[start:i]), i, true
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

func skipSpace(s []byte, i int) int {
	for i < len(s) && isSpaceByte(s[i]) {
		i++
	}
	return i
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if !isSpaceByte(c) {
			return false
		}
	}
	return true
}

// plainText: printable ASCII, tab and newline; no references and no "]]>"
// (which encoding/xml rejects outside CDATA).
func plainText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\n') || c >= 0x7f || c == '&' {
			return false
		}
	}
	return !bytes.Contains(b, []byte("]]>"))
}

// plainAttr: printable ASCII without references or '<'.
func plainAttr(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '&' || c == '<' {
			return false
		}
	}
	return true
}
