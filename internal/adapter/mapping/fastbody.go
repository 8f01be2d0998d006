package mapping

import (
	"bytes"
	"encoding/xml"
	"text/template"
	"text/template/parse"
)

// tmplPart is one piece of a compiled request template: literal text, or
// (field >= 0) an input value, XML-escaped.
type tmplPart struct {
	lit   string
	field int
}

// Input fields a compiled template can refer to, by index.
var inputFields = []string{"INN", "PIN", "RepresentativePIN", "UserID", "OfficerPIN", "Issue"}

func (in *Input) field(i int) string {
	switch i {
	case 0:
		return in.INN
	case 1:
		return in.PIN
	case 2:
		return in.RepresentativePIN
	case 3:
		return in.UserID
	case 4:
		return in.OfficerPIN
	}
	return in.Issue
}

// compileSimple turns a template made only of text and {{.Field}} or
// {{.Vars.name}} actions (all the shipped mappings) into segments, so a
// request body is rendered without reflection. It returns nil for any
// other template, which then runs through text/template. Vars are
// constant, so they become literal text, escaped like Body escapes them.
func compileSimple(t *template.Template, vars map[string]string) []tmplPart {
	if t == nil || t.Tree == nil || t.Tree.Root == nil {
		return nil
	}
	var segs []tmplPart
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			segs = append(segs, tmplPart{lit: string(n.Text), field: -1})
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
				return nil
			}
			f, ok := n.Pipe.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok {
				return nil
			}
			switch {
			case len(f.Ident) == 1:
				i := indexOf(inputFields, f.Ident[0])
				if i < 0 {
					return nil
				}
				segs = append(segs, tmplPart{field: i})
			case len(f.Ident) == 2 && f.Ident[0] == "Vars":
				v, ok := vars[f.Ident[1]]
				if !ok {
					return nil
				}
				segs = append(segs, tmplPart{lit: xmlEscape(v), field: -1})
			default:
				return nil
			}
		default:
			return nil
		}
	}
	return segs
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// render writes the compiled template for in.
func render(segs []tmplPart, in *Input) []byte {
	n := 0
	for _, s := range segs {
		n += len(s.lit)
		if s.field >= 0 {
			n += len(in.field(s.field))
		}
	}
	b := bytes.NewBuffer(make([]byte, 0, n+16))
	for _, s := range segs {
		if s.field < 0 {
			b.WriteString(s.lit)
			continue
		}
		v := in.field(s.field)
		if plainXMLText(v) {
			b.WriteString(v)
		} else {
			xml.EscapeText(b, []byte(v)) //nolint:errcheck // bytes.Buffer does not fail
		}
	}
	return b.Bytes()
}

// plainXMLText reports whether xml.EscapeText would leave s unchanged.
func plainXMLText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}
