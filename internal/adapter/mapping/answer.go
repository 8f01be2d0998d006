package mapping

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
)

// tmplData is what templates see. Values are already escaped for where
// they land (XML text or a URL path segment), so a template cannot be made
// to inject markup.
type tmplData struct {
	INN, PIN, RepresentativePIN, UserID, OfficerPIN, Issue string
	Vars                                                   map[string]string
}

func sampleData(vars map[string]string) tmplData {
	return tmplData{INN: "01234567890123", PIN: "21505199012345", RepresentativePIN: "21505199012345",
		UserID: "KG21505199012345", OfficerPIN: "21505199012345", Issue: "tender-1", Vars: vars}
}

func escaped(in Input, vars map[string]string, esc func(string) string) tmplData {
	v := make(map[string]string, len(vars))
	for k, s := range vars {
		v[k] = esc(s)
	}
	return tmplData{INN: esc(in.INN), PIN: esc(in.PIN), RepresentativePIN: esc(in.RepresentativePIN),
		UserID: esc(in.UserID), OfficerPIN: esc(in.OfficerPIN), Issue: esc(in.Issue), Vars: v}
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // strings.Builder does not fail
	return b.String()
}

// Body renders the content of the SOAP body wrapper for in (SOAP styles).
func (m *Mapping) Body(in Input) ([]byte, error) {
	if m.request == nil {
		return nil, fmt.Errorf("mapping: %s: not a SOAP mapping", m.Check.Name)
	}
	if m.compiled != nil {
		return render(m.compiled, &in), nil
	}
	var b bytes.Buffer
	if err := m.request.Execute(&b, escaped(in, m.vars, xmlEscape)); err != nil {
		return nil, fmt.Errorf("mapping: %s: request template: %w", m.Check.Name, err)
	}
	return b.Bytes(), nil
}

// PathSuffix renders the REST path suffix for in (REST style), unescaped;
// the security-server client appends it, escaped segment by segment, to
// /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. Input values that could
// change the path's structure (/, ?, #, %, ..) are refused.
func (m *Mapping) PathSuffix(in Input) (string, error) {
	if m.path == nil {
		return "", fmt.Errorf("mapping: %s: not a REST mapping", m.Check.Name)
	}
	const unsafe = "\x00"
	var b strings.Builder
	if err := m.path.Execute(&b, escaped(in, m.vars, func(s string) string {
		if s == "" || strings.ContainsAny(s, "/?#%\\\x00") || strings.Contains(s, "..") {
			return unsafe
		}
		return s
	})); err != nil {
		return "", fmt.Errorf("mapping: %s: path template: %w", m.Check.Name, err)
	}
	if strings.Contains(b.String(), unsafe) {
		return "", fmt.Errorf("mapping: %s: an input value used in the path is empty or not safe in a URL path", m.Check.Name)
	}
	return b.String(), nil
}

// node is a parsed answer: XML elements by local name, or JSON objects
// (keys become children; array items become repeated children).
type node struct {
	name string
	text string
	kids []*node
}

// Bounds of an answer's reading (the answer itself is at most the
// mapping's MaxAnswerBytes, and its SOAP envelope was already read by the
// soap package within soap.Limits).
const (
	maxNodes = 100000
	maxDepth = 64
	maxAttrs = 256 // per element
)

// ReadSOAP reads a SOAP answer's body wrapper element (the bytes of
// <serviceCodeResponse>…</serviceCodeResponse>).
func (m *Mapping) ReadSOAP(wrapper []byte) (*Answer, error) {
	root, err := parseXML(wrapper)
	if err != nil {
		return nil, m.malformed("body is not well-formed XML")
	}
	if want := m.Service.ServiceCode + "Response"; root.name != want {
		return nil, m.malformed(fmt.Sprintf("body wrapper is <%s>, want <%s>", root.name, want))
	}
	return m.read(root)
}

// ReadREST reads a REST answer: HTTP status and JSON body.
func (m *Mapping) ReadREST(status int, body []byte) (*Answer, error) {
	code := strconv.Itoa(status)
	for _, s := range m.notFound {
		if s == status {
			return &Answer{Outcome: NotFound, Code: code}, nil
		}
	}
	if status < 200 || status > 299 {
		if m.errorCode != nil {
			if root, err := parseJSON(body); err == nil {
				if n := find(root, m.errorCode); len(n) > 0 && strings.TrimSpace(n[0].text) != "" {
					code = strings.TrimSpace(n[0].text)
				}
			}
		}
		if status == 400 || status == 422 {
			return &Answer{Outcome: Rejected, Code: code}, nil
		}
		return &Answer{Outcome: ProviderError, Code: code}, nil
	}
	root, err := parseJSON(body)
	if err != nil {
		return nil, m.malformed("body is not a JSON object")
	}
	a, err := m.read(root)
	if err == nil && a.Code == "" {
		a.Code = code
	}
	return a, err
}

func (m *Mapping) malformed(reason string) error {
	return &MalformedError{Check: m.Check.Name, Reason: reason}
}

func (m *Mapping) read(root *node) (*Answer, error) {
	a := &Answer{Outcome: OK}
	for i, r := range m.status {
		found := find(root, r.path)
		if len(found) == 0 {
			if r.missing == "" {
				return nil, m.malformed(fmt.Sprintf("status element %s is missing", strings.Join(r.path, "/")))
			}
			if r.missing != OK {
				return &Answer{Outcome: r.missing}, nil
			}
			continue
		}
		code := strings.TrimSpace(found[0].text)
		o, ok := r.codes[code]
		if !ok {
			o = r.otherwise
		}
		if i == 0 || o != OK {
			a.Code = code
		}
		if o != OK {
			a.Outcome = o
			return a, nil
		}
	}
	f, err := m.readFields(root, m.fields)
	if err != nil {
		return nil, err
	}
	if m.Check.Finish != nil {
		if err := m.Check.Finish(f); err != nil {
			return nil, m.malformed(err.Error())
		}
	}
	a.Fields = f
	return a, nil
}

func (m *Mapping) readFields(at *node, specs []fieldSpec) (map[string]any, error) {
	out := make(map[string]any, len(specs))
	for _, s := range specs {
		if s.constant != nil {
			out[s.name] = s.constant
			continue
		}
		req := s.required
		var found []*node
		for _, p := range s.paths {
			if found = find(at, p); len(found) > 0 {
				break
			}
		}
		where := strings.Join(s.paths[0], "/")
		switch s.typ {
		case checks.List:
			items := make([]map[string]any, 0, len(found))
			for _, n := range found {
				if isEmptyContainer(n, s) {
					continue
				}
				item, err := m.readFields(n, s.fields)
				if err != nil {
					return nil, err
				}
				items = append(items, item)
			}
			if len(found) == 0 && !pathParentExists(at, s.paths[0]) {
				// Neither items nor their container: the producer gave no
				// list. An optional one is left out rather than answered
				// [], which would claim "none".
				if req {
					return nil, m.malformed(fmt.Sprintf("required list %s is missing", where))
				}
				continue
			}
			out[s.name] = items
			continue
		case checks.Object:
			if len(found) == 0 || isEmptyContainer(found[0], s) {
				if req {
					return nil, m.malformed(fmt.Sprintf("required element %s is missing", where))
				}
				continue
			}
			if len(found) > 1 {
				return nil, m.malformed(fmt.Sprintf("element %s is repeated; %s is a single object", where, s.name))
			}
			obj, err := m.readFields(found[0], s.fields)
			if err != nil {
				return nil, err
			}
			out[s.name] = obj
			continue
		}
		if len(found) == 0 {
			if req {
				return nil, m.malformed(fmt.Sprintf("required element %s is missing", where))
			}
			continue
		}
		if len(found) > 1 {
			return nil, m.malformed(fmt.Sprintf("element %s is repeated; %s is a single value (map a list to keep them all)", where, s.name))
		}
		text := strings.TrimSpace(found[0].text)
		v, err := convert(s, text)
		if err != nil {
			return nil, m.malformed(fmt.Sprintf("element %s: %v", where, err))
		}
		out[s.name] = v
	}
	return out, nil
}

// isEmptyContainer skips the lone empty element an XML serializer writes
// for an empty list (<Founders><Founder/></Founders> is rare but seen).
func isEmptyContainer(n *node, s fieldSpec) bool {
	return len(n.kids) == 0 && strings.TrimSpace(n.text) == "" && len(s.fields) > 0
}

// pathParentExists lets a list be empty when its container is present
// (<Founders/>, "founders": []).
func pathParentExists(at *node, path []string) bool {
	return len(path) > 1 && len(find(at, path[:len(path)-1])) > 0
}

func convert(s fieldSpec, text string) (any, error) {
	switch s.typ {
	case checks.Bool:
		if s.truthy != nil {
			return s.truthy[text], nil
		}
		switch strings.ToLower(text) {
		case "true", "1", "yes", "y":
			return true, nil
		case "false", "0", "no", "n":
			return false, nil
		}
		return nil, errors.New("not a boolean")
	case checks.Number, checks.Decimal:
		t, ok := decimal(text)
		if !ok {
			if s.typ == checks.Decimal {
				return nil, errors.New("not a decimal number (digits with an optional . or , fraction)")
			}
			return nil, errors.New("not a number")
		}
		return json.Number(t), nil
	case checks.Date:
		layout := s.layout
		if layout == "" {
			layout = time.DateOnly
		}
		d, err := time.Parse(layout, text)
		if err != nil {
			return nil, errors.New("not a date in the mapping's format")
		}
		return d.Format(time.DateOnly), nil
	case checks.Enum:
		if v, ok := s.enum[foldKey(text)]; ok {
			return v, nil
		}
		if s.otherwise != "" {
			return s.otherwise, nil
		}
		return nil, errors.New("a value the mapping does not list under values: (add it, or set otherwise:)")
	default:
		return text, nil
	}
}

// decimal normalises a producer's decimal ("184 250,75", "1250000.00",
// "-3") to JSON number syntax without going through a float; exponents,
// NaN and infinities are refused.
func decimal(text string) (string, bool) {
	t := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\'':
			return -1
		case ',':
			return '.'
		}
		return r
	}, text)
	neg := strings.HasPrefix(t, "-")
	digits := strings.TrimPrefix(t, "-")
	intPart, frac, hasFrac := strings.Cut(digits, ".")
	if intPart == "" || hasFrac && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return "", false
	}
	if trimmed := strings.TrimLeft(intPart, "0"); trimmed != intPart {
		intPart = trimmed
		if intPart == "" {
			intPart = "0"
		}
	}
	out := intPart
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// foldKey is how enum wording is compared: case and surrounding or
// repeated spaces do not matter.
func foldKey(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func find(at *node, path []string) []*node {
	cur := []*node{at}
	for _, p := range path {
		var next []*node
		for _, n := range cur {
			for _, k := range n.kids {
				if k.name == p {
					next = append(next, k)
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		cur = next
	}
	return cur
}

// parseXML reads an answer into nodes. It uses RawToken (no namespace
// translation: only local names are looked at) and checks itself that end
// tags match; nodes come from a small arena. Its cost is linear: each
// element's text is gathered in a buffer and made a string once, at its
// end tag (appending to a string per text token was quadratic in an
// element whose text is split by many comments or CDATA sections), and
// elements, depth and attributes per element are capped.
func parseXML(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var (
		stack []*node
		texts [][]byte   // direct text of the open elements
		names []xml.Name // raw (prefix, local) of the open elements
		root  *node
		arena []node
	)
	count := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxNodes || len(stack) >= maxDepth {
				return nil, errors.New("answer too large or too deep")
			}
			if len(t.Attr) > maxAttrs {
				return nil, fmt.Errorf("element <%s> has more than %d attributes", t.Name.Local, maxAttrs)
			}
			if len(arena) == cap(arena) {
				arena = make([]node, 0, 16)
			}
			arena = append(arena, node{name: t.Name.Local})
			n := &arena[len(arena)-1]
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
			names = append(names, t.Name)
			if len(texts) < cap(texts) {
				texts = texts[:len(texts)+1]
				texts[len(texts)-1] = texts[len(texts)-1][:0]
			} else {
				texts = append(texts, nil)
			}
		case xml.EndElement:
			if len(names) == 0 || names[len(names)-1] != t.Name {
				return nil, fmt.Errorf("unexpected end element </%s>", t.Name.Local)
			}
			top := len(stack) - 1
			if len(texts[top]) > 0 {
				stack[top].text = string(texts[top])
			}
			stack, names, texts = stack[:top], names[:top], texts[:top]
		case xml.CharData:
			if len(stack) > 0 {
				texts[len(texts)-1] = append(texts[len(texts)-1], t...)
			}
		case xml.Directive:
			return nil, errors.New("directives are not allowed")
		}
	}
	if len(stack) > 0 {
		return nil, io.ErrUnexpectedEOF
	}
	if root == nil {
		return nil, errors.New("no element")
	}
	return root, nil
}

func parseJSON(b []byte) (*node, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	root := &node{}
	count := 0
	if err := fromJSON(root, obj, 0, &count); err != nil {
		return nil, err
	}
	return root, nil
}

func fromJSON(n *node, v any, depth int, count *int) error {
	*count++
	if depth > maxDepth || *count > maxNodes {
		return errors.New("answer too large or too deep")
	}
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if arr, ok := x.([]any); ok {
				for _, item := range arr {
					c := &node{name: k}
					if err := fromJSON(c, item, depth+1, count); err != nil {
						return err
					}
					n.kids = append(n.kids, c)
				}
				if len(arr) == 0 {
					n.kids = append(n.kids, &node{name: k}) // an empty list's container
				}
				continue
			}
			c := &node{name: k}
			if err := fromJSON(c, x, depth+1, count); err != nil {
				return err
			}
			n.kids = append(n.kids, c)
		}
	case nil:
	case string:
		n.text = t
	case json.Number:
		n.text = t.String()
	case bool:
		n.text = strconv.FormatBool(t)
	default:
		return fmt.Errorf("unexpected JSON value %T", v)
	}
	return nil
}
