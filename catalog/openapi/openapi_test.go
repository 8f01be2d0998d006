package openapi_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tunduk-kg/tunduk/catalog/openapi"
	"github.com/tunduk-kg/tunduk/internal/testkit"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func TestGenerateGolden(t *testing.T) {
	s := testkit.ExampleService(t, "unreliableSupplier")
	y, err := openapi.Generate(s, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "catalog/golden/unreliableSupplier.openapi.yaml", y)
	j, err := openapi.Generate(s, openapi.Options{JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "catalog/golden/unreliableSupplier.openapi.json", j)
}

// The generated description is valid OpenAPI 3.0 (kin-openapi) and passes
// the security server's OpenApiParser rules without warnings: version 3.0.x,
// base URL = the backend, one endpoint with {inn} replaced by '*'.
func TestGeneratedPassesSSRules(t *testing.T) {
	s := testkit.ExampleService(t, "unreliableSupplier")
	for _, asJSON := range []bool{false, true} {
		b, err := openapi.Generate(s, openapi.Options{JSON: asJSON})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := openapi3.NewLoader().LoadFromData(b)
		if err != nil {
			t.Fatalf("json=%v: kin-openapi load: %v", asJSON, err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Errorf("json=%v: kin-openapi validate: %v", asJSON, err)
		}
		d, err := openapi.Parse(b, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != openapi.Version || d.BaseURL != s.Backend.URL || len(d.Warnings) != 0 {
			t.Errorf("json=%v: %+v", asJSON, d)
		}
		want := []openapi.Endpoint{{Method: "GET", Path: "/unreliable-suppliers/*"}}
		if !reflect.DeepEqual(d.Endpoints, want) {
			t.Errorf("json=%v: endpoints %v, want %v", asJSON, d.Endpoints, want)
		}
	}
	// A public server URL replaces the backend everywhere.
	pub, err := openapi.Generate(s, openapi.Options{ServerURL: "https://ss.example.kg/r1/central-server/GOV/70000041/supplier-registry"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pub, []byte(s.Backend.URL)) {
		t.Error("public description leaks the backend URL")
	}
}

func TestGenerateRefusesSOAP(t *testing.T) {
	if _, err := openapi.Generate(testkit.ExampleService(t, "getSupplierInfo"), openapi.Options{}); err == nil {
		t.Error("generated OpenAPI for a SOAP service")
	}
}

// The openapiparser cases of the corpus (openapi/EXPECTATIONS.md).
func TestOpenAPIParserCorpus(t *testing.T) {
	dir := corpus.Dir(t, "openapi/openapiparser")
	descURL := "file://" + dir + "/" // the SS resolves against where it fetched the file
	get := openapi.Endpoint{Method: "GET", Path: "/test"}
	post := openapi.Endpoint{Method: "POST", Path: "/test"}
	for _, tc := range []struct {
		file      string
		base      string
		endpoints []openapi.Endpoint
		warnings  bool
	}{
		{"valid.yaml", "https://example.org/api", []openapi.Endpoint{get, post}, false},
		{"valid.json", "https://example.org/api", []openapi.Endpoint{get, post}, false},
		{"v310.yaml", "https://example.org/api", []openapi.Endpoint{{"POST", "/file"}, get, post}, false},
		{"v310.json", "https://example.org/api", []openapi.Endpoint{{"POST", "/file"}, get, post}, false},
		{"warnings.yml", "https://{securityserver}/r1", nil, true},
		{"valid_modified.yaml", "https://example.org/api", []openapi.Endpoint{{"GET", "/foo"}, get, {"PATCH", "/test"}}, false},
	} {
		b, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		d, err := openapi.Parse(b, descURL)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if d.BaseURL != tc.base || (len(d.Warnings) > 0) != tc.warnings {
			t.Errorf("%s: base %q warnings %v", tc.file, d.BaseURL, d.Warnings)
		}
		if tc.endpoints != nil && !reflect.DeepEqual(d.Endpoints, tc.endpoints) {
			t.Errorf("%s: endpoints %v, want %v", tc.file, d.Endpoints, tc.endpoints)
		}
		if tc.file == "valid.yaml" && len(d.RegisteredEndpoints()) != 3 {
			t.Errorf("valid.yaml: %d registered endpoints, want 3", len(d.RegisteredEndpoints()))
		}
		if tc.file == "warnings.yml" && len(d.RegisteredEndpoints()) != 3 {
			t.Errorf("warnings.yml: %d registered endpoints, want 3", len(d.RegisteredEndpoints()))
		}
	}
	for _, tc := range []struct{ file, version string }{{"invalid_version.yaml", "3.1.1"}, {"invalid_version.json", "3.2.0"}} {
		b, _ := os.ReadFile(filepath.Join(dir, tc.file))
		_, err := openapi.Parse(b, descURL)
		var ve *openapi.UnsupportedVersionError
		if !errors.As(err, &ve) || ve.Version != tc.version || !errors.Is(err, openapi.ErrInvalid) {
			t.Errorf("%s: err = %v", tc.file, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "duplicateendpoint.yaml"))
	if _, err := openapi.Parse(b, descURL); !errors.Is(err, openapi.ErrInvalid) {
		t.Errorf("duplicateendpoint.yaml: err = %v, want ErrInvalid (duplicate key)", err)
	}
	// Only http(s) base URLs: a file: server (what the unpatched parser refuses).
	if _, err := openapi.Parse([]byte("openapi: 3.0.2\ninfo: {title: t, version: '1'}\nservers: [{url: 'sftp://x/api'}]\npaths: {}\n"), ""); !errors.Is(err, openapi.ErrInvalid) {
		t.Errorf("sftp base URL accepted: %v", err)
	}
}
