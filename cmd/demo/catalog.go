package demo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/ssapitest"
	"github.com/tunduk-kg/tunduk/configs"
	"github.com/tunduk-kg/tunduk/internal/catalog/register"
	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// Catalog demo settings: the emulated security server's API key (not a
// secret), where it "downloads" service descriptions from, who applies,
// and the service the drift seeds.
const (
	catalogAPIKey   = "demo-ss-api-key-not-a-secret"
	catalogDescBase = "http://descriptions.demo.invalid/descriptions"
	catalogApplier  = "n.osmonov"
	// DriftService is the REST service the demo registers on its emulated
	// security server, live, without a catalog entry: `catalog diff` shows
	// it as a "!" line.
	DriftService = "legacySupplierExport"
)

// catalogDemo is the emulated SS Management API with the example catalog
// written out beside it and a configuration pointing at both.
type catalogDemo struct {
	ss     *ssapitest.Server
	Config string // configuration file for tunduk catalog plan|apply|diff
	Dir    string // the catalog directory
}

// Commands are the catalog commands the banner suggests, in order.
func (c *catalogDemo) Commands() []string {
	return []string{
		"tunduk catalog plan --config " + c.Config,
		"tunduk catalog apply --config " + c.Config + " --as " + catalogApplier,
		"tunduk catalog diff --config " + c.Config,
	}
}

// Close stops the emulated API.
func (c *catalogDemo) Close() { c.ss.Close() }

// startCatalogDemo writes the example catalog into dir/catalog (unless
// there is one), starts the
// emulated SS Management API (validating every request against X-Road's
// openapi-definition.yaml, read from the conformance corpus) owned by the
// catalog's member, publishes the catalog's generated descriptions on it,
// optionally seeds drift, and writes dir/catalog-demo.yaml. It returns an
// error saying what to do when the corpus cannot be found.
func startCatalogDemo(dir, listen string, drift bool, log *zap.Logger) (*catalogDemo, error) {
	root := corpus.Root()
	if root == "" {
		return nil, fmt.Errorf("X-Road's Management API definition (openapi-definition.yaml) not found: set %s to the conformance corpus", corpus.EnvVar)
	}
	// An existing catalog (a --dir kept from an earlier run) is the
	// operator's to edit; only a missing one is written.
	catDir := filepath.Join(dir, "catalog")
	if _, err := os.Stat(catDir); errors.Is(err, fs.ErrNotExist) {
		if err := writeFS(configs.Catalog, "catalog", catDir); err != nil {
			return nil, err
		}
	}
	c, _, err := catalog.LoadValid(catDir)
	if err != nil {
		return nil, fmt.Errorf("demo catalog: %w", err)
	}
	opts := register.FromCatalogOptions{DescriptionBaseURL: catalogDescBase}
	d, err := register.FromCatalog(c, opts)
	if err != nil {
		return nil, err
	}
	ss, err := ssapitest.Start(ssapitest.Options{APIKey: catalogAPIKey, Owner: d.Owner.String(), SpecDir: filepath.Join(root, "openapi"), Listen: listen,
		Report: func(format string, args ...any) { log.Warn("SS Management API: " + fmt.Sprintf(format, args...)) }})
	if err != nil {
		return nil, err
	}
	publish(ss, d)
	if drift && len(d.Subsystems) > 0 {
		sub := d.Subsystems[0].ID.String()
		ss.AddClient(sub)
		ss.AddDescription(sub, ssapi.TypeREST, "https://legacy.zakupki.local/export", DriftService, true)
	}
	cd := &catalogDemo{ss: ss, Dir: catDir, Config: filepath.Join(dir, "catalog-demo.yaml")}
	if err := cd.writeConfig(dir, d.Owner.String()); err != nil {
		ss.Close()
		return nil, err
	}
	return cd, nil
}

// publish makes the emulated SS "download" the catalog's descriptions at
// their URLs, as a real SS would fetch them from descriptionBaseURL.
func publish(ss *ssapitest.Server, d *register.Desired) {
	for _, sub := range d.Subsystems {
		for _, desc := range sub.Descriptions {
			var p ssapitest.Published
			for _, s := range desc.Services {
				if desc.Type == ssapi.TypeWSDL {
					code, version, _ := strings.Cut(s.FullCode, ".")
					p.Services = append(p.Services, ssapitest.PublishedService{Code: code, Version: version})
				}
				for _, e := range s.Endpoints {
					p.Operations = append(p.Operations, ssapitest.Operation{Method: e.Method, Path: e.Path})
				}
			}
			ss.Publish(desc.URL, p)
		}
	}
}

func (c *catalogDemo) writeConfig(dir, owner string) error {
	key, cert := filepath.Join(dir, "ss-api-key"), filepath.Join(dir, "ss-api.crt")
	if err := os.WriteFile(key, []byte(catalogAPIKey+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(cert, c.ss.CertPEM, 0o600); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`# Written by tunduk demo: the catalog section pointing at its emulated
# security server (a test double), for tunduk catalog plan|apply|diff.
catalog:
  dir: %s
  descriptionBaseURL: %s
  owner: %s
  appliedBy: %s
  applyLog: %s
  managementAPI:
    url: %s
    apiKeyFile: %s
    pinnedCertFile: %s
`, c.Dir, catalogDescBase, owner, catalogApplier, filepath.Join(dir, "catalog-applies.jsonl"), c.ss.URL, key, cert)
	return os.WriteFile(c.Config, []byte(cfg), 0o600)
}

// writeFS copies the tree under root of fsys into dir.
func writeFS(fsys fs.FS, root, dir string) error {
	return fs.WalkDir(fsys, root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, rel)
		if e.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}
