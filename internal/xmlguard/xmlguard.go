// Package xmlguard bounds an XML document before a tree-building reader
// (etree, encoding/xml's Decode) sees it: size, element nesting,
// attributes per element, element count, duplicate attributes and DTDs.
//
// etree, which the message log's signature, hash-chain and manifest
// readers use, caps depth at 1024 but silently keeps the last of two
// attributes with the same name, where X-Road's Java parser refuses the
// document; it also has no bound on attributes or elements. Check refuses
// all of that in one linear pass over encoding/xml's RawToken (no entity
// expansion, no namespace work), so the two readings cannot differ and a
// hostile document costs time proportional to its size.
//
// The zero Limits takes the defaults (Default*), which fit the message
// log's metadata documents (a few KiB, nesting below 20) with a wide
// margin.
package xmlguard

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// Limits bound a document; zero fields take the defaults.
type Limits struct {
	MaxBytes    int // default 16 MiB
	MaxDepth    int // element nesting; default 128
	MaxAttrs    int // attributes per element; default 256
	MaxElements int // elements in the document; default 1,000,000
}

// Defaults for Limits.
const (
	DefaultMaxBytes    = 16 << 20
	DefaultMaxDepth    = 128
	DefaultMaxAttrs    = 256
	DefaultMaxElements = 1_000_000
)

// Error says which bound a document broke, or why it is refused.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "xmlguard: " + e.Reason }

// ErrDTD is matched (errors.Is) by the error for a document with a DTD
// or other declaration.
var ErrDTD = errors.New("xmlguard: DTDs and declarations are not accepted")

// Check reads b once and returns an *Error (or ErrDTD, or encoding/xml's
// syntax error) if it is not a well-formed document within lim.
func Check(b []byte, lim Limits) error {
	lim = lim.withDefaults()
	if len(b) > lim.MaxBytes {
		return &Error{fmt.Sprintf("document of %d bytes exceeds the limit of %d", len(b), lim.MaxBytes)}
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var (
		depth, elements int
		seen            map[xml.Name]struct{}
		open            []xml.Name // RawToken does not match end tags; we do
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if depth != 0 {
				return &Error{"document ends inside an element"}
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("xmlguard: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			elements++
			switch {
			case depth > lim.MaxDepth:
				return &Error{fmt.Sprintf("elements nested deeper than %d", lim.MaxDepth)}
			case elements > lim.MaxElements:
				return &Error{fmt.Sprintf("more than %d elements", lim.MaxElements)}
			case len(t.Attr) > lim.MaxAttrs:
				return &Error{fmt.Sprintf("element <%s> has more than %d attributes", t.Name.Local, lim.MaxAttrs)}
			}
			if dup, ok := duplicate(t.Attr, &seen); ok {
				return &Error{fmt.Sprintf("attribute %s repeated in <%s>", dup, t.Name.Local)}
			}
			open = append(open, t.Name)
		case xml.EndElement:
			if depth == 0 || open[depth-1] != t.Name {
				return &Error{fmt.Sprintf("unexpected end tag </%s>", qname(t.Name))}
			}
			depth--
			open = open[:depth]
		case xml.Directive:
			return ErrDTD
		}
	}
}

// duplicate finds a repeated attribute name: by comparison for a few, by
// set beyond, so the check stays linear.
func duplicate(attrs []xml.Attr, seen *map[xml.Name]struct{}) (string, bool) {
	if len(attrs) <= 8 {
		for i := 1; i < len(attrs); i++ {
			for j := range i {
				if attrs[i].Name == attrs[j].Name {
					return qname(attrs[i].Name), true
				}
			}
		}
		return "", false
	}
	if *seen == nil {
		*seen = make(map[xml.Name]struct{}, len(attrs))
	}
	defer clear(*seen)
	for _, a := range attrs {
		if _, ok := (*seen)[a.Name]; ok {
			return qname(a.Name), true
		}
		(*seen)[a.Name] = struct{}{}
	}
	return "", false
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultMaxAttrs
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	return l
}
