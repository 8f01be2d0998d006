package portalapi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tunduk-kg/tunduk/adapter/checks"
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
