package hashchain

import (
	"strings"

	"github.com/beevik/etree"
)

// Result is a parsed HashChainResult document.
type Result struct {
	URI    string // e.g. "/sig-hashchain.xml#STEP0"
	Method string // digest algorithm URI
	Value  []byte // H(DER of the named step)
}

type valueKind int

const (
	kindHash valueKind = iota
	kindStep
	kindData
)

type value struct {
	kind   valueKind
	method string // own DigestMethod, "" for the chain default
	uri    string
	c14n   string // DataRef/HashValue transform algorithm, if any
	digest []byte
}

type chain struct {
	uri           string
	defaultMethod string
	steps         map[string][]value
}

// ParseResult parses a HashChainResult document, checking the structure
// hashchain.xsd prescribes (MalformedHashChain otherwise).
func ParseResult(data []byte) (*Result, error) {
	root, err := parseRoot(data, "HashChainResult")
	if err != nil {
		return nil, err
	}
	r := &Result{URI: root.SelectAttrValue("URI", "")}
	if r.URI == "" {
		return nil, malformed("HashChainResult has no URI")
	}
	var haveValue bool
	for _, el := range root.ChildElements() {
		switch {
		case is(el, NSDsig, "DigestMethod") && r.Method == "" && !haveValue:
			r.Method = el.SelectAttrValue("Algorithm", "")
		case is(el, NSDsig, "DigestValue") && !haveValue:
			if r.Value, err = digestText(el); err != nil {
				return nil, err
			}
			haveValue = true
		default:
			return nil, malformed("unexpected element %s in HashChainResult", el.Tag)
		}
	}
	if r.Method == "" || !haveValue {
		return nil, malformed("HashChainResult lacks DigestMethod or DigestValue")
	}
	return r, nil
}

// parseChain parses a HashChain document (structure as in hashchain.xsd).
// Documents exactly as Tree.ChainURIs writes them (every container of a
// log archive holds one) are read directly; anything else goes through
// the XML parser.
func parseChain(data []byte) (*chain, error) {
	if c, ok := parseOwnChain(data); ok {
		return c, nil
	}
	return parseChainXML(data)
}

// parseChainXML parses a HashChain document with the XML parser.
func parseChainXML(data []byte) (*chain, error) {
	root, err := parseRoot(data, "HashChain")
	if err != nil {
		return nil, err
	}
	c := &chain{steps: map[string][]value{}}
	for i, el := range root.ChildElements() {
		switch {
		case i == 0 && is(el, NS, "DefaultDigestMethod"):
			c.defaultMethod = el.SelectAttrValue("Algorithm", "")
			if err := leaf(el); err != nil {
				return nil, err
			}
		case is(el, NS, "HashStep"):
			id := el.SelectAttrValue("id", "")
			if _, dup := c.steps[id]; dup || id == "" {
				return nil, malformed("HashStep id %q missing or repeated", id)
			}
			vals, err := parseStep(el)
			if err != nil {
				return nil, err
			}
			c.steps[id] = vals
		default:
			return nil, malformed("unexpected element %s in HashChain", el.Tag)
		}
	}
	return c, nil
}

func parseStep(step *etree.Element) ([]value, error) {
	if err := noText(step); err != nil {
		return nil, err
	}
	var out []value
	for _, el := range step.ChildElements() {
		var v value
		switch {
		case is(el, NS, "HashValue"):
			v.kind = kindHash
		case is(el, NS, "StepRef"):
			v.kind = kindStep
		case is(el, NS, "DataRef"):
			v.kind = kindData
		default:
			return nil, malformed("unexpected element %s in HashStep", el.Tag)
		}
		if v.kind != kindHash {
			v.uri = el.SelectAttrValue("URI", "")
			if v.uri == "" {
				return nil, malformed("%s without URI", el.Tag)
			}
		}
		if err := noText(el); err != nil {
			return nil, err
		}
		// Content model: DigestMethod? then (Transforms? DigestValue) for
		// HashValue and DataRef; StepRef holds only DigestMethod?.
		pos := 0
		haveDigest := false
		for _, c := range el.ChildElements() {
			switch {
			case pos == 0 && is(c, NSDsig, "DigestMethod"):
				v.method = c.SelectAttrValue("Algorithm", "")
				pos = 1
			case pos <= 1 && v.kind != kindStep && is(c, NSDsig, "Transforms"):
				ts := c.ChildElements()
				if len(ts) != 1 || !is(ts[0], NSDsig, "Transform") {
					return nil, malformed("only one Transform is supported")
				}
				v.c14n = ts[0].SelectAttrValue("Algorithm", "")
				pos = 2
			case pos <= 2 && v.kind != kindStep && is(c, NSDsig, "DigestValue"):
				d, err := digestText(c)
				if err != nil {
					return nil, err
				}
				v.digest = d
				haveDigest = true
				pos = 3
			default:
				return nil, malformed("unexpected element %s in %s", c.Tag, el.Tag)
			}
		}
		if v.kind != kindStep && !haveDigest {
			return nil, malformed("%s without DigestValue", el.Tag)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseRoot(data []byte, name string) (*etree.Element, error) {
	doc, err := readXML(data)
	if err != nil {
		return nil, malformed("parsing %s: %v", name, err)
	}
	for _, t := range doc.Child {
		if _, ok := t.(*etree.Directive); ok {
			return nil, malformed("DTD not allowed")
		}
	}
	root := doc.Root()
	if root == nil || !is(root, NS, name) {
		return nil, malformed("root element is not {%s}%s", NS, name)
	}
	if err := noText(root); err != nil {
		return nil, err
	}
	return root, nil
}

func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

func digestText(el *etree.Element) ([]byte, error) {
	if len(el.ChildElements()) > 0 {
		return nil, malformed("unexpected element inside %s", el.Tag)
	}
	d, err := DecodeBase64(el.Text())
	if err != nil {
		return nil, malformed("bad base64 in %s: %v", el.Tag, err)
	}
	return d, nil
}

func leaf(el *etree.Element) error {
	if len(el.ChildElements()) > 0 {
		return malformed("unexpected element inside %s", el.Tag)
	}
	return noText(el)
}

// noText rejects character data in element-only content.
func noText(el *etree.Element) error {
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
			return malformed("unexpected text in %s", el.Tag)
		}
	}
	return nil
}

func malformed(format string, args ...any) *Error {
	return errf(CodeMalformedHashChain, "", format, args...)
}
