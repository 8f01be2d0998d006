package export

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/openapi"
	"github.com/tunduk-kg/tunduk/catalog/wsdl"
)

// DescriptionsOptions configure DescriptionsHandler.
type DescriptionsOptions struct {
	// Prefix is the URL path the handler is mounted at; default
	// "/descriptions". It is the path of catalog.descriptionBaseURL.
	Prefix string
	// Modified is the Last-Modified time; zero leaves the header out.
	Modified time.Time
}

// DescriptionPath returns the path, below the prefix, where a service's
// generated description is served: /SUBSYSTEM/CODE.VERSION.wsdl for SOAP,
// /SUBSYSTEM/CODE.openapi.yaml for REST — the layout `tunduk catalog apply`
// registers (register.FromCatalogOptions.DescriptionURL).
func DescriptionPath(s *catalog.Service) string {
	if s.Protocol == catalog.REST {
		return "/" + s.Subsystem + "/" + s.Code + ".openapi.yaml"
	}
	return "/" + s.Subsystem + "/" + s.FullCode() + ".wsdl"
}

// DescriptionsHandler serves the WSDL and OpenAPI descriptions generated
// from the catalog, for the security server to download when `tunduk
// catalog apply` adds or refreshes a service description.
//
// INTERNAL: the descriptions carry the backend URLs the security server
// must call (soap:address, servers[0].url). Mount this handler only on a
// listener the security server reaches, never beside the public /catalog:
//
//	d, err := export.DescriptionsHandler(c, export.DescriptionsOptions{})
//	internalMux.Handle("/descriptions/", d)
//
// Everything is generated once, here; a catalog that cannot be described
// is an error now rather than a 500 later.
func DescriptionsHandler(c *catalog.Catalog, opts DescriptionsOptions) (http.Handler, error) {
	prefix := strings.TrimSuffix(opts.Prefix, "/")
	if prefix == "" {
		prefix = "/descriptions"
	}
	h := &descHandler{modified: opts.Modified, files: map[string]asset{}}
	for _, s := range c.Services {
		var (
			b     []byte
			err   error
			ctype string
		)
		switch s.Protocol {
		case catalog.SOAP:
			b, err = wsdl.Generate([]*catalog.Service{s}, wsdl.Options{})
			ctype = "text/xml; charset=utf-8"
		case catalog.REST:
			b, err = openapi.Generate(s, openapi.Options{})
			ctype = "application/yaml; charset=utf-8"
		default:
			err = fmt.Errorf("protocol %q", s.Protocol)
		}
		if err != nil {
			return nil, fmt.Errorf("export: service %s: %w", s.FullCode(), err)
		}
		p := prefix + DescriptionPath(s)
		if _, dup := h.files[p]; dup {
			return nil, fmt.Errorf("export: two services are served at %s", p)
		}
		h.files[p] = asset{b: b, ctype: ctype, etag: etag(b)}
	}
	return h, nil
}

type descHandler struct {
	modified time.Time
	files    map[string]asset
}

func (h *descHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := h.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	serve(w, r, &a, h.modified)
}
