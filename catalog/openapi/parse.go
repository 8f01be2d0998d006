package openapi

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxSize bounds a description Parse accepts.
const MaxSize = 10 << 20

// ErrInvalid is matched (errors.Is) by every error for a document that is
// not a usable OpenAPI description (the SS's ParsingException).
var ErrInvalid = errors.New("openapi: not a valid OpenAPI description")

// UnsupportedVersionError is an `openapi` version the SS refuses: anything
// but 3.0.x and exactly 3.1.0 (UnsupportedOpenApiVersionException).
type UnsupportedVersionError struct{ Version string }

func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("openapi: version %q is not supported; the security server takes 3.0.x or 3.1.0", e.Version)
}

// Is makes an unsupported version match ErrInvalid too.
func (e *UnsupportedVersionError) Is(target error) bool { return target == ErrInvalid }

// Endpoint is one operation as the security server records it: the HTTP
// method in upper case and the path with every {param} replaced by '*'.
type Endpoint struct {
	Method, Path string
}

// Description is what the security server learns from an OpenAPI document.
type Description struct {
	// Version is the document's `openapi` field.
	Version string
	// BaseURL is the first server's URL, resolved against the
	// description's own URL unless it contains '{'.
	BaseURL string
	// Endpoints in path order, then method order.
	Endpoints []Endpoint
	// Warnings are what the SS reports as warnings (adding the description
	// then needs ignore_warnings): undeclared path parameters, server
	// variables without definitions, missing info.
	Warnings []string
}

var (
	paramRE   = regexp.MustCompile(`\{([^{}]*)\}`)
	methods   = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	version30 = regexp.MustCompile(`^3\.0(\.|$)`)
)

// Parse reads a YAML or JSON OpenAPI document with the security server's
// rules; descURL is where the description was fetched from (may be empty).
// Duplicate keys are refused (Jackson would silently keep the last one).
// Errors match ErrInvalid; *UnsupportedVersionError for a bad version.
func Parse(b []byte, descURL string) (*Description, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxSize)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if doc == nil {
		return nil, fmt.Errorf("%w: empty document", ErrInvalid)
	}
	v, ok := doc["openapi"].(string)
	if !ok {
		return nil, fmt.Errorf("%w: no openapi version field (Swagger 2.0 is not supported)", ErrInvalid)
	}
	if !version30.MatchString(v) && v != "3.1.0" {
		return nil, &UnsupportedVersionError{Version: v}
	}
	d := &Description{Version: v}

	if info, _ := doc["info"].(map[string]any); info == nil {
		d.Warnings = append(d.Warnings, "info is missing")
	} else {
		for _, k := range []string{"title", "version"} {
			if info[k] == nil {
				d.Warnings = append(d.Warnings, "info."+k+" is missing")
			}
		}
	}

	servers, _ := doc["servers"].([]any)
	if len(servers) == 0 {
		return nil, fmt.Errorf("%w: no servers[].url: the security server needs the service's base URL", ErrInvalid)
	}
	srv, _ := servers[0].(map[string]any)
	base, _ := srv["url"].(string)
	if base == "" {
		return nil, fmt.Errorf("%w: servers[0].url is empty", ErrInvalid)
	}
	if strings.Contains(base, "{") {
		vars, _ := srv["variables"].(map[string]any)
		for _, m := range paramRE.FindAllStringSubmatch(base, -1) {
			if _, ok := vars[m[1]]; !ok {
				d.Warnings = append(d.Warnings, fmt.Sprintf("server variable {%s} is not defined", m[1]))
			}
		}
	} else {
		u, err := url.Parse(base)
		if err != nil {
			return nil, fmt.Errorf("%w: servers[0].url %q: %v", ErrInvalid, base, err)
		}
		if !u.IsAbs() && descURL != "" {
			du, err := url.Parse(descURL)
			if err != nil {
				return nil, fmt.Errorf("%w: description URL %q: %v", ErrInvalid, descURL, err)
			}
			u = du.ResolveReference(u)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("%w: base URL %q: only http and https are allowed", ErrInvalid, u)
		}
		base = u.String()
	}
	d.BaseURL = base

	paths, _ := doc["paths"].(map[string]any)
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, p := range keys {
		item, _ := paths[p].(map[string]any)
		declared := pathParams(item["parameters"])
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			d.Endpoints = append(d.Endpoints, Endpoint{Method: strings.ToUpper(m), Path: paramRE.ReplaceAllString(p, "*")})
			opDeclared := pathParams(op["parameters"])
			for _, pm := range paramRE.FindAllStringSubmatch(p, -1) {
				if !declared[pm[1]] && !opDeclared[pm[1]] {
					d.Warnings = append(d.Warnings, fmt.Sprintf("%s %s: path parameter {%s} is not declared", strings.ToUpper(m), p, pm[1]))
				}
			}
		}
	}
	return d, nil
}

func pathParams(v any) map[string]bool {
	out := map[string]bool{}
	list, _ := v.([]any)
	for _, x := range list {
		p, _ := x.(map[string]any)
		if in, _ := p["in"].(string); in == "path" {
			if name, _ := p["name"].(string); name != "" {
				out[name] = true
			}
		}
	}
	return out
}

// WildcardEndpoint is the endpoint the security server adds to every REST
// service description besides the operations: any method, any path.
var WildcardEndpoint = Endpoint{Method: "*", Path: "**"}

// RegisteredEndpoints returns the endpoints the SS creates when the
// description is added: the operations plus WildcardEndpoint (valid.yaml's
// 2 operations give 3 endpoints).
func (d *Description) RegisteredEndpoints() []Endpoint {
	return append(append([]Endpoint(nil), d.Endpoints...), WildcardEndpoint)
}
