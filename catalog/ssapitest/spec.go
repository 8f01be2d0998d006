package ssapitest

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// SpecFile is the management API definition inside the conformance corpus's
// openapi directory; it refers to CommonSpecFile beside it.
const (
	SpecFile       = "openapi-definition.yaml"
	CommonSpecFile = "common-openapi-definition.yaml"
)

// commonRef is how the copied definition names the common file (a path in
// X-Road's source tree); see the corpus's openapi/EXPECTATIONS.md.
const commonRef = "../../../../../../common/common-admin-api/src/main/resources/common-openapi-definition.yaml"

type spec struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	specMu    sync.Mutex
	specCache = map[string]*spec{}
)

// loadSpec loads and caches the definition in dir (the corpus's openapi
// directory). The copy is made strict: every object schema forbids
// properties it does not declare, so a misspelt field in a request fails
// validation instead of being silently dropped as Jackson would.
func loadSpec(dir string) (*spec, error) {
	specMu.Lock()
	defer specMu.Unlock()
	if s, ok := specCache[dir]; ok {
		return s, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, SpecFile))
	if err != nil {
		return nil, fmt.Errorf("ssapitest: %w", err)
	}
	data = bytes.ReplaceAll(data, []byte(commonRef), []byte(CommonSpecFile))
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.Context = context.Background()
	abs, err := filepath.Abs(filepath.Join(dir, SpecFile))
	if err != nil {
		return nil, fmt.Errorf("ssapitest: %w", err)
	}
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: filepath.ToSlash(abs)})
	if err != nil {
		return nil, fmt.Errorf("ssapitest: loading %s: %w", SpecFile, err)
	}
	// Paths are matched after the fake strips the /api/v1 base.
	doc.Servers = nil
	strict := map[*openapi3.Schema]bool{}
	for _, ref := range doc.Components.Schemas {
		makeStrict(ref, strict)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					makeStrict(mt.Schema, strict)
				}
			}
		}
	}
	// X-Road's own examples do not all match their schemas (e.g. an OCSP
	// status example "IN_USE"); they are documentation, not contract.
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		return nil, fmt.Errorf("ssapitest: router: %w", err)
	}
	s := &spec{doc: doc, router: router}
	specCache[dir] = s
	return s, nil
}

// makeStrict sets additionalProperties: false on object schemas that
// declare properties and say nothing about additional ones.
func makeStrict(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
		no := false
		s.AdditionalProperties.Has = &no
	}
	for _, p := range s.Properties {
		makeStrict(p, seen)
	}
	makeStrict(s.Items, seen)
	for _, group := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
		for _, r := range group {
			makeStrict(r, seen)
		}
	}
}
