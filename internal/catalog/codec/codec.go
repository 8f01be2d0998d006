// Package codec reads requests and writes answers of a SOAP service exactly
// as its catalog description declares them, so that what the provider
// sends always validates against the WSDL that catalog/wsdl generates from
// the same description: the same element names and order, the same
// namespace qualification (elementFormDefault), the same types,
// optional/repeated fields and the same business-error shape.
//
// DecodeRequest reads the body wrapper's children into typed, checked
// values (INN/PIN structure, dates, decimals, enumerations, patterns)
// before any backend is called. EncodeOutput turns a backend's JSON answer
// into the response wrapper's content, in description order, dropping
// members the description does not declare and refusing an answer that
// lacks a required field or carries a value of the wrong type.
// EncodeFault and EncodeNotFound write the declared business answers.
//
// Non-goals: object-valued inputs (SOAP inputs are scalars here), xs:any,
// attributes, attachments.
package codec

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/adapter/kgid"
)

// Prefix is the namespace prefix the encoder writes for qualified
// elements; soap.NewResponseFrom declares it on the response wrapper.
const Prefix = "tns"

// InputError says which input is wrong and why, in words safe to return
// to the consumer (it never repeats an identifier's value).
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return "input " + e.Field + ": " + e.Reason }

// AnswerError says how a backend answer fails the description; it is the
// provider's fault (a technical error), never the consumer's.
type AnswerError struct {
	Path   string
	Reason string
}

func (e *AnswerError) Error() string {
	return "backend answer: " + e.Path + ": " + e.Reason
}

// ValueError is the reason a scalar value does not fit its field.
type ValueError struct{ Reason string }

func (e *ValueError) Error() string { return e.Reason }

// Limits on a request wrapper the decoder reads.
const (
	maxInputElements = 256
	maxInputText     = 64 << 10
)

// CheckInputs checks that a service's inputs are what the decoder reads:
// scalar fields only.
func CheckInputs(s *catalog.Service) error {
	for _, f := range s.Input {
		if f.Type == catalog.TypeObject {
			return fmt.Errorf("codec: service %s: input %s is an object; SOAP inputs must be scalar fields", s.FullCode(), f.Name)
		}
	}
	return nil
}

// DecodeRequest reads the direct children of the request's body wrapper
// (its bytes as soap.Message.BodyElement returns them) into values by
// input field name, checking each against its declaration. A child the
// description does not declare, a repeated non-repeated field, a missing
// required field or a value of the wrong type is an *InputError.
// Namespace prefixes of the children are not checked: consumers differ in
// whether they qualify them, and the element names are unambiguous.
func DecodeRequest(s *catalog.Service, wrapper []byte) (map[string][]string, error) {
	d := xml.NewDecoder(bytes.NewReader(wrapper))
	out := map[string][]string{}
	depth, count := 0, 0
	var cur *catalog.Field
	var text strings.Builder
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &InputError{Field: s.Code, Reason: "the body is not well-formed XML"}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				count++
				if count > maxInputElements {
					return nil, &InputError{Field: s.Code, Reason: fmt.Sprintf("more than %d elements", maxInputElements)}
				}
				cur = field(s.Input, t.Name.Local)
				if cur == nil {
					return nil, &InputError{Field: t.Name.Local, Reason: "not an input of " + s.Code + "; remove it (see the service's WSDL)"}
				}
				if len(out[cur.Name]) > 0 && !cur.Repeated {
					return nil, &InputError{Field: cur.Name, Reason: "given twice; it takes one value"}
				}
				text.Reset()
			}
			if depth > 2 {
				return nil, &InputError{Field: cur.Name, Reason: "must be a simple value, not nested elements"}
			}
		case xml.CharData:
			if depth == 2 {
				if text.Len()+len(t) > maxInputText {
					return nil, &InputError{Field: cur.Name, Reason: "value too long"}
				}
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 2 {
				v := strings.TrimSpace(text.String())
				if _, err := Canonical(cur, v); err != nil {
					return nil, &InputError{Field: cur.Name, Reason: err.Error()}
				}
				out[cur.Name] = append(out[cur.Name], v)
			}
			depth--
		}
	}
	for _, f := range s.Input {
		if f.Required && len(out[f.Name]) == 0 {
			return nil, &InputError{Field: f.Name, Reason: "required; add <" + f.Name + "> to the request"}
		}
	}
	return out, nil
}

func field(fs []*catalog.Field, name string) *catalog.Field {
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// patterns caches compiled field patterns (XML Schema patterns are
// anchored; so are these).
var patterns sync.Map // string → *regexp.Regexp

func pattern(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile("^(?:" + p + ")$")
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}

// Precompile compiles every pattern of the services' fields once, so a
// bad pattern is an error at load rather than on a request.
func Precompile(services ...*catalog.Service) error {
	var err error
	for _, s := range services {
		for _, fs := range [][]*catalog.Field{s.Input, s.Output} {
			catalog.WalkFields(fs, func(path string, f *catalog.Field) {
				if f.Pattern == "" {
					return
				}
				if _, e := pattern(f.Pattern); e != nil && err == nil {
					err = fmt.Errorf("codec: %s %s: pattern: %w", s.FullCode(), path, e)
				}
			})
		}
	}
	return err
}

var (
	dateRE     = regexp.MustCompile(`^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	decimalRE  = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	integerRE  = regexp.MustCompile(`^[+-]?[0-9]+$`)
	fourteenRE = regexp.MustCompile(`^[0-9]{14}$`)
)

// Canonical checks a scalar value written as text against its field and
// returns the text to write in XML (the canonical lexical form of its XML
// Schema type). The error says what is wrong without repeating the value.
func Canonical(f *catalog.Field, v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", &ValueError{"not valid UTF-8"}
	}
	for _, r := range v {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return "", &ValueError{"contains a control character XML cannot carry"}
		}
	}
	switch f.Type {
	case catalog.TypeINN:
		if err := kgid.ValidateINN(v); err != nil {
			return "", &ValueError{reason(err)}
		}
	case catalog.TypePIN:
		if err := kgid.ValidatePIN(v); err != nil {
			return "", &ValueError{reason(err)}
		}
	case catalog.TypeInteger:
		if !integerRE.MatchString(v) {
			return "", &ValueError{"must be an integer (digits, optional sign)"}
		}
	case catalog.TypeDecimal:
		if !decimalRE.MatchString(v) {
			return "", &ValueError{"must be a decimal number like 1250.50 (no exponent, '.' as separator)"}
		}
	case catalog.TypeBoolean:
		switch v {
		case "true", "false", "1", "0":
		default:
			return "", &ValueError{"must be true or false"}
		}
	case catalog.TypeDate:
		if !dateRE.MatchString(v) {
			return "", &ValueError{"must be a date YYYY-MM-DD"}
		}
		if _, err := time.Parse("2006-01-02", strings.TrimPrefix(v, "-")[:10]); err != nil {
			return "", &ValueError{"must be a real calendar date YYYY-MM-DD"}
		}
	case catalog.TypeDateTime:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return "", &ValueError{"must be a date and time like 2026-01-31T09:30:00+06:00"}
		}
		v = t.Format(time.RFC3339Nano)
	case catalog.TypeObject:
		return "", &ValueError{"must be an object"}
	}
	if len(f.Enum) > 0 && !contains(f.Enum, v) {
		return "", &ValueError{"must be one of " + strings.Join(f.Enum, ", ")}
	}
	if f.Pattern != "" {
		re, err := pattern(f.Pattern)
		if err != nil {
			return "", &ValueError{"the field's pattern does not compile"}
		}
		if !re.MatchString(v) {
			return "", &ValueError{"does not match the pattern " + f.Pattern}
		}
	}
	return v, nil
}

func reason(err error) string {
	var ie *kgid.InvalidError
	if errors.As(err, &ie) {
		return string(ie.Kind) + " " + ie.Reason
	}
	return "invalid"
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// EncodeOutput turns a backend's JSON answer (an object whose members are
// named like the output fields) into the XML content of the response
// wrapper, in description order. Members not declared are left out; a
// missing required field, a wrong type or a value that fails its checks
// is an *AnswerError. The INN/PIN structure is not re-checked on output
// (the WSDL declares 14 digits; that is checked).
func EncodeOutput(s *catalog.Service, raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &AnswerError{Path: "$", Reason: "not JSON"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &AnswerError{Path: "$", Reason: "data after the JSON value"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &AnswerError{Path: "$", Reason: "not a JSON object"}
	}
	e := encoder{qualified: s.Qualified()}
	if err := e.fields("", s.Output, obj, 0); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

type encoder struct {
	buf       bytes.Buffer
	qualified bool
}

const maxDepth = 32

func (e *encoder) fields(path string, fs []*catalog.Field, obj map[string]any, depth int) error {
	if depth > maxDepth {
		return &AnswerError{Path: path, Reason: "nested too deeply"}
	}
	for _, f := range fs {
		p := f.Name
		if path != "" {
			p = path + "." + f.Name
		}
		v, ok := obj[f.Name]
		if !ok || v == nil {
			if f.Required {
				return &AnswerError{Path: p, Reason: "required by the service description but missing"}
			}
			continue
		}
		items := []any{v}
		if arr, isArr := v.([]any); isArr {
			if !f.Repeated {
				return &AnswerError{Path: p, Reason: "a list, but the description declares one value"}
			}
			items = arr
		}
		if f.Required && len(items) == 0 {
			return &AnswerError{Path: p, Reason: "required by the service description but empty"}
		}
		for _, it := range items {
			if err := e.value(p, f, it, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *encoder) value(path string, f *catalog.Field, v any, depth int) error {
	if f.Type == catalog.TypeObject {
		obj, ok := v.(map[string]any)
		if !ok {
			return &AnswerError{Path: path, Reason: "must be an object"}
		}
		e.open(f.Name)
		if err := e.fields(path, f.Fields, obj, depth+1); err != nil {
			return err
		}
		e.close(f.Name)
		return nil
	}
	s, err := jsonScalar(f, v)
	if err != nil {
		return &AnswerError{Path: path, Reason: err.Error()}
	}
	check := f
	if f.Type == catalog.TypeINN || f.Type == catalog.TypePIN {
		// Output identifiers are checked as the WSDL declares them.
		c := *f
		c.Type = catalog.TypeString
		check = &c
		if !fourteenRE.MatchString(s) {
			return &AnswerError{Path: path, Reason: "must be 14 digits"}
		}
	}
	s, err = Canonical(check, s)
	if err != nil {
		return &AnswerError{Path: path, Reason: err.Error()}
	}
	e.open(f.Name)
	_ = xml.EscapeText(&e.buf, []byte(s))
	e.close(f.Name)
	return nil
}

func (e *encoder) open(name string) {
	e.buf.WriteByte('<')
	if e.qualified {
		e.buf.WriteString(Prefix + ":")
	}
	e.buf.WriteString(name)
	e.buf.WriteByte('>')
}

func (e *encoder) close(name string) {
	e.buf.WriteString("</")
	if e.qualified {
		e.buf.WriteString(Prefix + ":")
	}
	e.buf.WriteString(name)
	e.buf.WriteByte('>')
}

// jsonScalar writes a JSON scalar as the text of a field of type f.Type.
func jsonScalar(f *catalog.Field, v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		if f.Type != catalog.TypeBoolean && f.Type != catalog.TypeString {
			return "", fmt.Errorf("a boolean where %s is declared", f.Type)
		}
		return strconv.FormatBool(t), nil
	case json.Number:
		switch f.Type {
		case catalog.TypeInteger, catalog.TypeDecimal:
			return plainDecimal(t.String(), f.Type == catalog.TypeInteger)
		case catalog.TypeString:
			return t.String(), nil
		}
		return "", fmt.Errorf("a number where %s is declared", f.Type)
	case map[string]any, []any:
		return "", fmt.Errorf("a JSON structure where %s is declared", f.Type)
	}
	return "", fmt.Errorf("unexpected JSON value")
}

// plainDecimal writes a JSON number (which may have an exponent) in the
// xs:decimal lexical form, which has none.
func plainDecimal(s string, integer bool) (string, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", errors.New("not a number")
	}
	if integer {
		if !r.IsInt() {
			return "", errors.New("a fraction where an integer is declared")
		}
		return r.Num().String(), nil
	}
	if r.IsInt() {
		return r.Num().String(), nil
	}
	// JSON numbers are decimal, so some power of ten makes them whole.
	ten := big.NewRat(10, 1)
	x := new(big.Rat).Set(r)
	for scale := 1; scale <= 1000; scale++ {
		x.Mul(x, ten)
		if x.IsInt() {
			return r.FloatString(scale), nil
		}
	}
	return "", errors.New("too many decimal places")
}

// EncodeFault writes the declared business-error answer: a <fault> with
// <faultCode> and <faultString>, as PR-MESS Annex C declares it. code must
// be one of the service's ErrorCodes (BAD_REQUEST otherwise).
func EncodeFault(s *catalog.Service, code, msg string) []byte {
	if !contains(s.ErrorCodes(), code) {
		code = catalog.ErrorBadRequest
	}
	e := encoder{qualified: s.Qualified()}
	e.open("fault")
	e.open("faultCode")
	_ = xml.EscapeText(&e.buf, []byte(code))
	e.close("faultCode")
	e.open("faultString")
	_ = xml.EscapeText(&e.buf, []byte(clean(msg)))
	e.close("faultString")
	e.close("fault")
	return e.buf.Bytes()
}

// EncodeNotFound writes the answer for "no record matches": the declared
// output values, or the declared business error.
func EncodeNotFound(s *catalog.Service) ([]byte, error) {
	if code := s.NotFoundError(); code != "" {
		return EncodeFault(s, code, "no record matches the request"), nil
	}
	e := encoder{qualified: s.Qualified()}
	for _, f := range s.Output {
		v, ok := s.NotFound.Output[f.Name]
		if !ok {
			continue
		}
		c, err := Canonical(f, v)
		if err != nil {
			return nil, fmt.Errorf("codec: %s notFound.output.%s: %w", s.FullCode(), f.Name, err)
		}
		e.open(f.Name)
		_ = xml.EscapeText(&e.buf, []byte(c))
		e.close(f.Name)
	}
	return e.buf.Bytes(), nil
}

// clean drops characters XML cannot carry.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') {
			return -1
		}
		return r
	}, s)
}
