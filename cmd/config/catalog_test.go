package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const pinHex = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

func TestCatalogSection(t *testing.T) {
	ok := "catalog:\n  dir: cat\n  owner: central-server:GOV:70000041\n  descriptionBaseURL: http://adapter:8080/d\n" +
		"  managementAPI:\n    url: https://ss:4000/api/v1\n    apiKeyEnv: SS_KEY\n    pinnedCertSHA256: " + pinHex + "\n"
	cfg, err := Parse("ok.yaml", []byte(ok))
	if err != nil {
		t.Fatalf("valid section: %v", err)
	}
	if cfg.Catalog.ManagementAPI.Timeout.Seconds() != 60 || cfg.Catalog.ApplyLog == "" {
		t.Errorf("defaults not applied: %+v", cfg.Catalog)
	}
	checkRefusals(t, "bad.yaml", []refusal{
		{"http url", strings.Replace(ok, "https://ss", "http://ss", 1), "bad.yaml:6: catalog.managementAPI.url"},
		{"no key", strings.Replace(ok, "    apiKeyEnv: SS_KEY\n", "", 1), "no API key"},
		{"both keys", strings.Replace(ok, "apiKeyEnv: SS_KEY", "apiKeyEnv: SS_KEY\n    apiKeyFile: /k", 1), "not both"},
		{"no pin", strings.Replace(ok, "    pinnedCertSHA256: "+pinHex+"\n", "", 1), "no pinned certificate"},
		{"bad pin", strings.Replace(ok, pinHex, "abc", 1), "bad.yaml:8: catalog.managementAPI.pinnedCertSHA256"},
		{"bad owner", strings.Replace(ok, "central-server:GOV:70000041", "central-server/GOV/70000041", 1), "bad.yaml:3: catalog.owner"},
		{"key in file is unknown field", strings.Replace(ok, "apiKeyEnv: SS_KEY", "apiKey: hunter2", 1), `catalog.managementAPI.apiKey: unknown key; remove it, or use one of: apiKeyEnv, apiKeyFile`},
	})
}

func TestCatalogClientOptions(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("the-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultCatalog()
	c.ManagementAPI.URL = "https://ss:4000/api/v1/"
	c.ManagementAPI.APIKeyFile = keyFile
	c.ManagementAPI.PinnedCertSHA256 = pinHex
	o, err := c.ClientOptions(true)
	if err != nil {
		t.Fatal(err)
	}
	if o.APIKey != "the-key" || len(o.PinSHA256) != 32 || !o.AcceptWarnings || o.BaseURL != "https://ss:4000/api/v1" {
		t.Errorf("options = %+v", o)
	}
}
