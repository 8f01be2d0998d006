package portalapi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
)

func TestDocumentIsValidAndCoversEveryCheck(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI 3: %v", err)
	}
	for _, c := range checks.All() {
		p := doc.Paths.Find(c.Route)
		if p == nil || p.Get == nil {
			t.Errorf("check %s: route %s not documented", c.Name, c.Route)
			continue
		}
		for _, code := range []string{"200", "400", "401", "403", "404", "502", "503", "504"} {
			if p.Get.Responses.Value(code) == nil {
				t.Errorf("%s: response %s not documented", c.Route, code)
			}
		}
	}
	var enum []string
	for _, v := range doc.Components.Schemas["CheckName"].Value.Enum {
		enum = append(enum, v.(string))
	}
	if !slices.Equal(enum, checks.Names()) {
		t.Errorf("CheckName enum %v, registry %v", enum, checks.Names())
	}
	if !strings.Contains(string(JSON), "X-User-Id") || doc.Paths.Find("/v1/supplier-checks").Post == nil {
		t.Error("officer header or batch endpoint missing")
	}
}

// The answer schemas describe exactly the result fields the checks
// registry promises (names, types, required; derived fields are always
// present, so required), nested lists and objects included: the document
// cannot drift from what the gateway answers.
func TestAnswerSchemasMatchTheRegistry(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(JSON)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]string{"tax-debt": "DebtData", "social-fund-debt": "DebtData", "founders": "FoundersData", "criminal-record": "CriminalRecordData"}
	for _, c := range checks.All() {
		ref := doc.Components.Schemas[schemas[c.Name]]
		if ref == nil {
			t.Errorf("%s: no schema %s", c.Name, schemas[c.Name])
			continue
		}
		compareSchema(t, c.Name, ref.Value, c.Fields)
	}
}

func compareSchema(t *testing.T, at string, s *openapi3.Schema, fields []checks.Field) {
	t.Helper()
	if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
		t.Errorf("%s: schema allows additional properties", at)
	}
	want := map[string]bool{}
	for _, f := range fields {
		want[f.Name] = true
		p := s.Properties[f.Name]
		if p == nil {
			t.Errorf("%s.%s: not in the schema", at, f.Name)
			continue
		}
		if slices.Contains(s.Required, f.Name) != (f.Required || f.Derived) {
			t.Errorf("%s.%s: required in schema %v, registry %v", at, f.Name, slices.Contains(s.Required, f.Name), f.Required || f.Derived)
		}
		v := p.Value
		typ := map[checks.FieldType]string{checks.String: "string", checks.Bool: "boolean", checks.Number: "number", checks.Decimal: "number",
			checks.Date: "string", checks.Enum: "string", checks.List: "array", checks.Object: "object"}[f.Type]
		if !v.Type.Is(typ) {
			t.Errorf("%s.%s: schema type %v, registry %s", at, f.Name, v.Type, f.Type)
		}
		switch f.Type {
		case checks.Date:
			if v.Format != "date" {
				t.Errorf("%s.%s: a date without format: date", at, f.Name)
			}
		case checks.Enum:
			var enum []string
			for _, e := range v.Enum {
				enum = append(enum, e.(string))
			}
			if !slices.Equal(enum, f.Values) {
				t.Errorf("%s.%s: enum %v, registry %v", at, f.Name, enum, f.Values)
			}
		case checks.List:
			compareSchema(t, at+"."+f.Name+"[]", v.Items.Value, f.Fields)
		case checks.Object:
			compareSchema(t, at+"."+f.Name, v, f.Fields)
		}
	}
	for name := range s.Properties {
		if !want[name] {
			t.Errorf("%s.%s: in the schema but not in the registry", at, name)
		}
	}
}
