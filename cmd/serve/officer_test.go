package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/archive/search"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/signing/msglog"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// The signed records of checks keep the officer's PIN as the portal sent
// it beside the X-Road userId, and `tunduk archive search --officer` finds
// them by either form (SOAP and REST checks alike), and not by another
// officer's PIN.
func TestArchiveSearchFindsTheOfficerByPINOrUserID(t *testing.T) {
	ss := fixtures.NewDemo(fixtures.DemoOptions{})
	defer ss.Close()
	dir := t.TempDir()
	keyPath, certPath := clitest.FileKey(t, dir, "mlog")
	apiKey := strings.Repeat("k", 40)
	os.WriteFile(filepath.Join(dir, "portal.key"), []byte(apiKey), 0o600)
	mappings, _ := filepath.Abs("../../configs/mappings")
	api := freeAddr(t)
	cfgPath := filepath.Join(dir, "tunduk.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`securityServer: {url: %s, client: %s, userIdPrefix: KG}
gateway:
  listen: %s
  callers: [{name: portal, apiKeyFile: portal.key, checks: ["*"]}]
  mappingsDir: %s
keys:
  mlog: {uri: "file:%s", certificate: %s}
messageLog:
  dir: %s/mlog
  archiveDir: %s/archive
  signingKey: mlog
  access:
    roles:
      - {name: auditor, actions: [ls, search, export], purposes: [audit]}
`, ss.URL, fixtures.PortalClient, api, mappings, keyPath, certPath, dir, dir)), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() {
		done <- serveRun(ctx, testOptions(cfgPath, &errOut))
	}()
	waitUp(t, "http://"+api+"/healthz")
	const officer, other = "21504197800123", "10309198500457"
	ids := map[string]string{} // officer → message ids
	for _, c := range []struct{ officer, path string }{
		{officer, "/v1/suppliers/02207200800561/tax-debt"},
		{officer, "/v1/suppliers/01503201010234/founders"},
		{other, "/v1/suppliers/01503201010234/founders"},
	} {
		req, _ := http.NewRequest("GET", "http://"+api+c.path, nil)
		req.Header.Set("X-API-Key", apiKey)
		req.Header.Set("X-User-Id", c.officer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Evidence struct{ MessageID string } `json:"evidence"`
		}
		json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if resp.StatusCode != 200 || res.Evidence.MessageID == "" {
			t.Fatalf("%s: %d, evidence %+v", c.path, resp.StatusCode, res.Evidence)
		}
		ids[c.officer] += res.Evidence.MessageID + " "
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, errOut.String())
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	signer, cert, closeKey, err := cfg.MessageLogSigner(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeKey()
	opts, _ := cfg.MessageLog.LogOptions(signer, cert, nil)
	l, err := msglog.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Close()

	for _, q := range []string{officer, "KG" + officer} {
		f, _ := clitest.New()
		res := clitest.Run(f, search.NewCmdSearch(f, nil), "--config", cfgPath, "--role", "auditor", "--purpose", "audit", "--officer", q, "-o", "json")
		if res.Code != 0 {
			t.Fatalf("search --officer %s: %s", q, res)
		}
		out := res.Out
		for _, id := range strings.Fields(ids[officer]) {
			if !strings.Contains(out, id) {
				t.Errorf("search --officer %s does not find message %s:\n%s", q, id, out)
			}
		}
		for _, id := range strings.Fields(ids[other]) {
			if strings.Contains(out, id) {
				t.Errorf("search --officer %s finds another officer's message %s", q, id)
			}
		}
		// The records keep the PIN as sent, not only the prefixed userId.
		if n := strings.Count(out, `"officer": "`+officer+`"`); n != 2 {
			t.Errorf("search --officer %s: %d records carry the officer's PIN, want 2:\n%s", q, n, out)
		}
	}
}
