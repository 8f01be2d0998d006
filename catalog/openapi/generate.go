// Package openapi generates and checks OpenAPI 3.0 descriptions of X-Road
// REST services (PR-REST), as the security server's OPENAPI3 service
// description import expects them.
//
// Generate writes an OpenAPI 3.0.3 document for a REST service of the
// catalog: one server (the base URL the SS calls), the service's operation
// with its path, query and header parameters, request body and JSON
// response, titles in ky/ru/en as x-title extensions, and x-personal-data
// on personal-data fields.
//
// Parse reads a description with the rules of the SS's OpenApiParser:
// version 3.0.x or exactly 3.1.0, base URL = the first server's URL
// (resolved against the description's URL unless it has a '{'), only
// http/https, one endpoint per operation with every {param} replaced by
// '*'. It also reports the warnings that would make the SS ask for
// ignore_warnings.
//
// Non-goals: $ref resolution, OpenAPI 3.1 generation, Swagger 2.0.
//
// Public API: other programs may import this package to generate and check the OpenAPI description of a catalogued REST service. Everything under internal/ is tunduk's own and may change
// without notice.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tunduk-kg/tunduk/catalog"
)

// Version is the OpenAPI version Generate writes.
const Version = "3.0.3"

// Options control generation.
type Options struct {
	// ServerURL is servers[0].url, the base URL the security server calls.
	// Empty means the service's Backend.URL (internal: never publish such
	// a document).
	ServerURL string
	// JSON writes JSON instead of YAML.
	JSON bool
}

// Generate writes the OpenAPI document for one REST service. The output is
// deterministic (golden-file tested).
func Generate(s *catalog.Service, opts Options) ([]byte, error) {
	if s.Protocol != catalog.REST {
		return nil, fmt.Errorf("openapi: service %s is %s, not REST; use catalog/wsdl", s.FullCode(), s.Protocol)
	}
	method := strings.ToLower(s.Method)
	switch method {
	case "get", "post", "put", "patch", "delete":
	default:
		return nil, fmt.Errorf("openapi: service %s: method %q", s.FullCode(), s.Method)
	}
	if !strings.HasPrefix(s.Path, "/") {
		return nil, fmt.Errorf("openapi: service %s: path %q must start with '/'", s.FullCode(), s.Path)
	}
	server := opts.ServerURL
	if server == "" {
		server = s.Backend.URL
	}
	if server == "" {
		return nil, fmt.Errorf("openapi: service %s: no server URL (set Options.ServerURL or backend.url)", s.FullCode())
	}

	op := mapping(
		"operationId", str(s.Code),
		"summary", str(s.Title.Get("en")),
		"description", str(multiline(s.Description)),
		"x-title", textNode(s.Title),
	)
	var params []*yaml.Node
	var body []*catalog.Field
	for _, f := range s.Input {
		if f.In == "" {
			body = append(body, f)
			continue
		}
		params = append(params, mapping(
			"name", str(f.Name),
			"in", str(f.In),
			"description", str(f.Title.Get("en")),
			"required", boolean(f.Required || f.In == "path"),
			"schema", schema(f, false),
		))
	}
	if len(params) > 0 {
		op.Content = append(op.Content, str("parameters"), seq(params...))
	}
	if len(body) > 0 {
		op.Content = append(op.Content, str("requestBody"), mapping(
			"required", boolean(true),
			"content", mapping("application/json", mapping("schema", object(body))),
		))
	}
	op.Content = append(op.Content, str("responses"), mapping(
		"200", mapping(
			"description", str("OK"),
			"content", mapping("application/json", mapping("schema", object(s.Output))),
		),
		"default", mapping(
			"description", str("Error; the security server adds X-Road-Error for its own errors"),
			"content", mapping("application/json", mapping("schema", errorSchema())),
		),
	))

	info := mapping(
		"title", str(s.Title.Get("en")),
		"description", str(multiline(s.Description)),
		"version", str(orDefault(s.Version, "1")),
		"x-xroad-service-code", str(s.Code),
		"x-title", textNode(s.Title),
	)
	doc := mapping(
		"openapi", str(Version),
		"info", info,
		"servers", seq(mapping("url", str(server))),
		"paths", mapping(s.Path, mapping(method, op)),
	)
	if opts.JSON {
		var v any
		if err := doc.Decode(&v); err != nil {
			return nil, fmt.Errorf("openapi: %w", err)
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("openapi: %w", err)
		}
		return append(b, '\n'), nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return buf.Bytes(), nil
}

func multiline(t catalog.Text) string {
	var parts []string
	for _, l := range []struct{ lang, s string }{{"en", t.EN}, {"ru", t.RU}, {"ky", t.KY}} {
		if l.s != "" {
			parts = append(parts, l.s)
		}
	}
	return strings.Join(parts, "\n\n")
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

// mapping builds a mapping from key, value pairs; values that are empty
// strings are left out.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1].(*yaml.Node)
		if v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Value == "" {
			continue
		}
		if v.Kind == yaml.MappingNode && len(v.Content) == 0 {
			continue
		}
		n.Content = append(n.Content, str(kv[i].(string)), v)
	}
	return n
}

func textNode(t catalog.Text) *yaml.Node {
	return mapping("ky", str(t.KY), "ru", str(t.RU), "en", str(t.EN))
}

// object is the JSON schema of an object with fields as properties.
func object(fields []*catalog.Field) *yaml.Node {
	props := &yaml.Node{Kind: yaml.MappingNode}
	var required []*yaml.Node
	for _, f := range fields {
		props.Content = append(props.Content, str(f.Name), schema(f, true))
		if f.Required {
			required = append(required, str(f.Name))
		}
	}
	n := mapping("type", str("object"))
	if len(required) > 0 {
		n.Content = append(n.Content, str("required"), seq(required...))
	}
	n.Content = append(n.Content, str("properties"), props)
	return n
}

// schema is the JSON schema of one field; repeated fields become arrays
// unless they are parameters (withArray false keeps query parameters scalar
// per value).
func schema(f *catalog.Field, withArray bool) *yaml.Node {
	var n *yaml.Node
	switch f.Type {
	case catalog.TypeObject:
		n = object(f.Fields)
	case catalog.TypeInteger:
		n = mapping("type", str("integer"))
	case catalog.TypeDecimal:
		n = mapping("type", str("number"))
	case catalog.TypeBoolean:
		n = mapping("type", str("boolean"))
	case catalog.TypeDate:
		n = mapping("type", str("string"), "format", str("date"))
	case catalog.TypeDateTime:
		n = mapping("type", str("string"), "format", str("date-time"))
	case catalog.TypeINN, catalog.TypePIN:
		n = mapping("type", str("string"), "pattern", str("^[0-9]{14}$"))
	default:
		n = mapping("type", str("string"))
	}
	if len(f.Enum) > 0 {
		var vals []*yaml.Node
		for _, e := range f.Enum {
			vals = append(vals, str(e))
		}
		n.Content = append(n.Content, str("enum"), seq(vals...))
	}
	if f.Pattern != "" && (f.Type == catalog.TypeINN || f.Type == catalog.TypePIN) {
		// One pattern per schema: both must hold.
		n = mapping("allOf", seq(n, mapping("pattern", str("^(?:"+f.Pattern+")$"))))
	} else if f.Pattern != "" {
		n.Content = append(n.Content, str("pattern"), str("^(?:"+f.Pattern+")$"))
	}
	extra := mapping(
		"title", str(f.Title.Get("en")),
		"x-title", textNode(f.Title),
		"x-classifier", str(f.Classifier),
	)
	n.Content = append(n.Content, extra.Content...)
	if f.PersonalData {
		n.Content = append(n.Content, str("x-personal-data"), boolean(true))
	}
	if f.Repeated && withArray {
		return mapping("type", str("array"), "items", n)
	}
	return n
}

func errorSchema() *yaml.Node {
	return mapping(
		"type", str("object"),
		"properties", mapping(
			"type", mapping("type", str("string")),
			"message", mapping("type", str("string")),
			"detail", mapping("type", str("string")),
		),
	)
}
