package serve

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/archive/search"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// The signed records of checks keep the officer's PIN as the portal sent
// it beside the X-Road userId, and `tunduk archive search --officer` finds
// them by either form (SOAP and REST checks alike), and not by another
// officer's PIN.
func TestArchiveSearchFindsTheOfficerByPINOrUserID(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	_, cfgPath, api, apiKey := signedLogSetup(t, ss.URL, `  access:
    roles:
      - {name: auditor, actions: [ls, search, export], purposes: [audit]}
`)

	stop, _ := startServe(t, cfgPath)
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
	stop()
	clitest.Archive(t, cfgPath) // rotate what serve recorded into an archive

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
