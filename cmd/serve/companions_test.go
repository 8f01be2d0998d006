package serve

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitUp(t *testing.T, url string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if r, err := http.Get(url); err == nil {
			r.Body.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", url)
}

// One tunduk serve runs the gateway, the provider for the participant's
// backend, the public catalog and the internal service descriptions.
func TestServeRunsProviderAndCatalog(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"found":true,"supplier":{"inn":%q,"name":"ОсОО Ала-Тоо","status":"active"}}`, strings.TrimPrefix(r.URL.Path, "/suppliers/"))
	}))
	defer backend.Close()
	dir := t.TempDir()
	key := strings.Repeat("k", 40)
	os.WriteFile(filepath.Join(dir, "portal.key"), []byte(key), 0o600)
	mappings, _ := filepath.Abs("../../configs/mappings")
	catalogDir, _ := filepath.Abs("../../configs/catalog")
	api, ops, prov := freeAddr(t), freeAddr(t), freeAddr(t)
	cfgText := fmt.Sprintf(`securityServer: {url: %s, client: %s, userIdPrefix: KG}
gateway:
  listen: %s
  opsListen: %s
  callers: [{name: portal, apiKeyFile: portal.key, checks: ["*"]}]
  mappingsDir: %s
catalog:
  dir: %s
provider:
  listen: %s
  id: central-server/GOV/70000041/supplier-registry
  services:
    - {code: getSupplierInfo, version: v1, backend: "%s/suppliers/{inn}", required: [inn]}
`, ss.URL, fixtures.PortalClient, api, ops, mappings, catalogDir, prov, backend.URL) + signedLogYAML(t, dir)
	cfgPath := filepath.Join(dir, "tunduk.yaml")
	os.WriteFile(cfgPath, []byte(cfgText), 0o600)

	stop, _ := startServe(t, cfgPath)
	waitUp(t, "http://"+api+"/healthz")
	waitUp(t, "http://"+prov+"/descriptions/")

	get := func(url string) (int, string) {
		r, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	// Public catalog on the portal listener, without internal addresses.
	if code, body := get("http://" + api + "/catalog/catalog.json"); code != 200 || !strings.Contains(body, "getSupplierInfo") || strings.Contains(body, "backend") {
		t.Errorf("/catalog/catalog.json: %d %.200s", code, body)
	}
	// Descriptions only on the internal (provider) listener.
	if code, body := get("http://" + prov + "/descriptions/supplier-registry/getSupplierInfo.v1.wsdl"); code != 200 || !strings.Contains(body, "getSupplierInfo") {
		t.Errorf("descriptions on provider listener: %d %.200s", code, body)
	}
	if code, _ := get("http://" + api + "/descriptions/supplier-registry/getSupplierInfo.v1.wsdl"); code == 200 {
		t.Error("descriptions (with backend URLs) served on the public listener")
	}
	// The provider answers an X-Road request with a byte-exact echo.
	req := xroadtest.NewRequest("central-server/GOV/70000001/zakupki-portal",
		"central-server/GOV/70000041/supplier-registry/getSupplierInfo/v1", "<inn>02207200800561</inn>")
	r, err := http.Post("http://"+prov+"/", req.ContentType(), bytes.NewReader(req.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := soap.Parse(r.Body, r.Header.Get("Content-Type"), soap.Limits{})
	r.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := soap.Echoes(req, resp); err != nil {
		t.Errorf("provider echo: %v", err)
	}
	// The catalog's description shapes the answer (qualified elements in the
	// catalog's namespace, as the served WSDL declares).
	if b := string(resp.BodyElement()); !strings.Contains(b, "<tns:status>active</tns:status>") || !strings.Contains(b, `xmlns:tns="http://supplier-registry.zakupki.gov.kg/producer"`) {
		t.Errorf("provider body: %s", resp.BodyElement())
	}
	stop()
	if n := logBytes(t, dir); n == 0 {
		t.Errorf("the provider's exchange is not in the signed message log")
	}
}
