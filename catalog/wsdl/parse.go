package wsdl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Limits on documents Parse accepts; WSDLs are small.
const (
	MaxSize  = 10 << 20
	MaxDepth = 64
)

// ErrInvalidWSDL is matched (errors.Is) by every error for a document that
// is not a usable WSDL — the security server's ERROR_INVALID_WSDL.
var ErrInvalidWSDL = errors.New("wsdl: not a valid WSDL")

// ErrDTD is matched when the document has a DTD. No entity is resolved: a
// DTD is refused outright (X-Road rejects xxe.wsdl the same way).
var ErrDTD = errors.New("wsdl: DTDs are not allowed")

// ParseError says why a document is not a WSDL; it matches ErrInvalidWSDL,
// and ErrDTD when that is the reason.
type ParseError struct {
	Reason string
	Err    error // underlying XML error or ErrDTD, may be nil
}

func (e *ParseError) Error() string {
	if e.Err != nil {
		return "wsdl: not a valid WSDL: " + e.Reason + ": " + e.Err.Error()
	}
	return "wsdl: not a valid WSDL: " + e.Reason
}

// Is matches ErrInvalidWSDL always, and ErrDTD for DTDs.
func (e *ParseError) Is(target error) bool {
	return target == ErrInvalidWSDL || (target == ErrDTD && e.Err == ErrDTD)
}

// Unwrap returns the underlying XML error.
func (e *ParseError) Unwrap() error { return e.Err }

// InvalidServiceIDError lists service codes and versions that break X-Road's
// identifier rules (no ':' ';' '\' '/' '%', no "..", no control characters)
// — the SS's InvalidServiceIdentifierException with these as metadata.
type InvalidServiceIDError struct {
	Identifiers []string
}

func (e *InvalidServiceIDError) Error() string {
	return "wsdl: invalid service identifiers: " + strings.Join(e.Identifiers, ", ")
}

// InvalidServiceURLError is a soap:address the SS cannot call (only http
// and https) — ERROR_INVALID_SERVICE_URL.
type InvalidServiceURLError struct {
	URL string
}

func (e *InvalidServiceURLError) Error() string {
	return fmt.Sprintf("wsdl: invalid service URL %q: only http and https are allowed", e.URL)
}

// Description is what the security server learns from a WSDL.
type Description struct {
	// TargetNamespace of wsdl:definitions.
	TargetNamespace string
	// Services are the binding operations in document order, one per
	// distinct code and version.
	Services []Service
}

// Service is one X-Road service described by a WSDL.
type Service struct {
	Code    string // operation name
	Version string // xrd:version in the binding; "" when absent
	// Title is the first xrd:title of the portType operation, English if
	// present.
	Title string
	// Address is the soap:address of the port whose binding has the operation.
	Address string
}

// FullCode is "code.version" the way the SS lists services.
func (s Service) FullCode() string {
	if s.Version == "" {
		return s.Code
	}
	return s.Code + "." + s.Version
}

// node is a minimal element tree.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*node
	text     strings.Builder
}

func (n *node) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) all(space, local string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name.Local == local && (space == "*" || c.name.Space == space) {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) walk(fn func(*node)) {
	fn(n)
	for _, c := range n.children {
		c.walk(fn)
	}
}

// maxAttrs bounds the attributes of one element (a WSDL has a handful).
const maxAttrs = 256

// parseTree reads a whole document, refusing DTDs, oversize and deep input
// and elements with more than maxAttrs attributes.
func parseTree(b []byte) (*node, error) {
	if len(b) > MaxSize {
		return nil, &ParseError{Reason: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.Entity = nil
	var root *node
	var stack []*node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &ParseError{Reason: "malformed XML", Err: err}
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, &ParseError{Reason: "the document has a DTD", Err: ErrDTD}
		case xml.StartElement:
			if len(stack) >= MaxDepth {
				return nil, &ParseError{Reason: fmt.Sprintf("nested deeper than %d elements", MaxDepth)}
			}
			if len(t.Attr) > maxAttrs {
				return nil, &ParseError{Reason: fmt.Sprintf("element <%s> has more than %d attributes", t.Name.Local, maxAttrs)}
			}
			n := &node{name: t.Name, attrs: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, &ParseError{Reason: "more than one root element"}
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, &ParseError{Reason: "text outside the root element"}
			}
		}
	}
	if root == nil {
		return nil, &ParseError{Reason: "no root element"}
	}
	return root, nil
}

// Parse reads a WSDL as the security server does when a service
// description is added: the root must be wsdl:definitions, every binding
// operation is a service (code = operation name, version = the binding
// operation's `version` extension element, as X-Road's WsdlParser reads
// it in any namespace), codes and versions must satisfy X-Road's rules and
// soap:address locations must be http(s).
//
// Errors: *ParseError (errors.Is ErrInvalidWSDL; ErrDTD for a DTD),
// *InvalidServiceIDError, *InvalidServiceURLError.
func Parse(b []byte) (*Description, error) {
	root, err := parseTree(b)
	if err != nil {
		return nil, err
	}
	if root.name.Space != NSWSDL || root.name.Local != "definitions" {
		return nil, &ParseError{Reason: fmt.Sprintf("root element is {%s}%s, not wsdl:definitions", root.name.Space, root.name.Local)}
	}
	d := &Description{}
	d.TargetNamespace, _ = root.attr("targetNamespace")

	// Titles from the portType operations.
	titles := map[string]string{}
	for _, pt := range root.all(NSWSDL, "portType") {
		for _, op := range pt.all(NSWSDL, "operation") {
			name, _ := op.attr("name")
			for _, doc := range op.all(NSWSDL, "documentation") {
				for _, t := range doc.all("*", "title") {
					lang := xmlLang(t)
					if _, ok := titles[name]; !ok || lang == "en" || lang == "" {
						titles[name] = strings.TrimSpace(t.text.String())
					}
				}
			}
		}
	}
	// Addresses per binding from the service ports.
	addrs := map[string]string{}
	for _, svc := range root.all(NSWSDL, "service") {
		for _, port := range svc.all(NSWSDL, "port") {
			binding, _ := port.attr("binding")
			// soap:address (SOAP 1.1 or 1.2 binding); a legacy
			// xrd:address producer="…" is not a URL and is ignored.
			for _, a := range append(port.all(NSSOAP, "address"), port.all(NSSOAP12, "address")...) {
				loc, _ := a.attr("location")
				if u, err := url.Parse(loc); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
					return nil, &InvalidServiceURLError{URL: loc}
				}
				addrs[localPart(binding)] = loc
			}
		}
	}

	var bad []string
	seenBad := map[string]bool{}
	addBad := func(s string) {
		if !seenBad[s] {
			seenBad[s] = true
			bad = append(bad, s)
		}
	}
	seen := map[string]bool{}
	for _, bnd := range root.all(NSWSDL, "binding") {
		bname, _ := bnd.attr("name")
		for _, op := range bnd.all(NSWSDL, "operation") {
			code, _ := op.attr("name")
			version := ""
			for _, c := range op.children {
				if c.name.Local == "version" && c.name.Space != NSWSDL && c.name.Space != NSSOAP {
					version = strings.TrimSpace(c.text.String())
				}
			}
			if !validIdentifier(code) {
				addBad(code)
			}
			if version != "" && !validIdentifier(version) {
				addBad(version)
			}
			s := Service{Code: code, Version: version, Title: titles[code], Address: addrs[bname]}
			if !seen[s.FullCode()] {
				seen[s.FullCode()] = true
				d.Services = append(d.Services, s)
			}
		}
	}
	if len(bad) > 0 {
		return nil, &InvalidServiceIDError{Identifiers: bad}
	}
	if len(d.Services) == 0 {
		return nil, &ParseError{Reason: "no binding operations: the WSDL describes no service"}
	}
	return d, nil
}

func xmlLang(n *node) string {
	for _, a := range n.attrs {
		if a.Name.Local == "lang" && (a.Name.Space == "xml" || a.Name.Space == "http://www.w3.org/XML/1998/namespace") {
			return a.Value
		}
	}
	return ""
}

func localPart(qname string) string {
	if i := strings.IndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}

// validIdentifier applies X-Road's rules for service codes and versions.
func validIdentifier(s string) bool {
	if strings.TrimSpace(s) == "" || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if strings.ContainsRune(":;/\\%", r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// ValidateOptions control Validate.
type ValidateOptions struct {
	// Dir is where the WSDL lives, to resolve relative schemaLocations;
	// empty skips that check.
	Dir string
}

// Report is the outcome of Validate: errors make the security server
// refuse the WSDL (ERROR_INVALID_WSDL, cannot be ignored); warnings need
// ignore_warnings (WARNING_WSDL_VALIDATION_WARNINGS).
type Report struct {
	Errors   []string
	Warnings []string
}

// OK reports whether there are no errors.
func (r Report) OK() bool { return len(r.Errors) == 0 }

// Validate applies the checks of X-Road's wsdlvalidator add-on that decide
// registration: the document parses (Parse), schema components have
// names, relative schema imports resolve, portType operations reference
// declared messages; an operation without documentation, output or output
// message is a warning.
func Validate(b []byte, opts ValidateOptions) Report {
	var r Report
	if _, err := Parse(b); err != nil {
		r.Errors = append(r.Errors, err.Error())
		return r
	}
	root, _ := parseTree(b)
	root.walk(func(n *node) {
		if n.name.Space != NSXS {
			return
		}
		switch n.name.Local {
		case "element", "attribute", "complexType", "simpleType", "group", "attributeGroup":
			if v, ok := n.attr("name"); ok && strings.TrimSpace(v) == "" {
				r.Errors = append(r.Errors, fmt.Sprintf("xs:%s with an empty name", n.name.Local))
			}
		case "import", "include":
			loc, ok := n.attr("schemaLocation")
			if !ok || opts.Dir == "" {
				return
			}
			if u, err := url.Parse(loc); err == nil && u.Scheme == "" && !filepath.IsAbs(loc) {
				if _, err := os.Stat(filepath.Join(opts.Dir, filepath.FromSlash(loc))); err != nil {
					r.Errors = append(r.Errors, fmt.Sprintf("schema %s %q cannot be resolved", n.name.Local, loc))
				}
			}
		}
	})
	messages := map[string]bool{}
	for _, m := range root.all(NSWSDL, "message") {
		name, _ := m.attr("name")
		messages[name] = true
	}
	for _, pt := range root.all(NSWSDL, "portType") {
		for _, op := range pt.all(NSWSDL, "operation") {
			name, _ := op.attr("name")
			if len(op.all(NSWSDL, "documentation")) == 0 {
				r.Warnings = append(r.Warnings, fmt.Sprintf("operation %s has no wsdl:documentation (xrd:title)", name))
			}
			for _, tag := range []string{"input", "output"} {
				ios := op.all(NSWSDL, tag)
				if len(ios) == 0 {
					r.Warnings = append(r.Warnings, fmt.Sprintf("operation %s has no %s", name, tag))
					continue
				}
				msg, ok := ios[0].attr("message")
				switch {
				case !ok:
					r.Warnings = append(r.Warnings, fmt.Sprintf("operation %s: %s has no message", name, tag))
				case !messages[localPart(msg)]:
					r.Errors = append(r.Errors, fmt.Sprintf("operation %s: %s message %q is not declared", name, tag, msg))
				}
			}
		}
	}
	return r
}
