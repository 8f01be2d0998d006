package serve

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// tunduk serve with monitoring enabled collects the emulator's
// operational data: a check's exchange shows up in tunduk_ss_* metrics
// and the SLA gauges, and the position is kept in the state file.
func TestServeMonitoring(t *testing.T) {
	ss := fixtures.NewDemo(fixtures.DemoOptions{})
	defer ss.Close()
	dir := t.TempDir()
	key := strings.Repeat("k", 40)
	os.WriteFile(filepath.Join(dir, "portal.key"), []byte(key+"\n"), 0o600)
	mappings, _ := filepath.Abs("../../configs/mappings")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cfgText := fmt.Sprintf(`log: {level: info}
securityServer:
  url: %s
  client: %s
gateway:
  listen: %s
  callers:
    - {name: portal, apiKeyFile: portal.key, checks: ["*"]}
  mappingsDir: %s
monitoring:
  enabled: true
  securityServer: central-server/GOV/70000099/ss1
  stateFile: state/opmon.json
  interval: 200ms
  recordsToOffset: 1s
  windows: [1h]
  sla: {availability: 99.5, responseTime: 2s}
`, ss.URL, fixtures.PortalClient, addr, mappings) + signedLogYAML(t, dir)
	cfgPath := filepath.Join(dir, "tunduk.yaml")
	os.WriteFile(cfgPath, []byte(cfgText), 0o600)

	cancel, done, errOut := startServe(cfgPath)
	for i := 0; ; i++ {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/suppliers/02207200800561/tax-debt", nil)
		req.Header.Set("X-API-Key", key)
		req.Header.Set("X-User-Id", "21504197800123")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 100 {
			t.Fatalf("serve did not come up: %v", err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	var metrics string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			metrics = string(b)
			if strings.Contains(metrics, `tunduk_ss_sla_availability_ratio{`) && strings.Contains(metrics, `outcome="succeeded"`) &&
				strings.Contains(metrics, "gns-service") {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	page := getPage(t, "http://"+addr+"/monitor")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(page, "Tunduk local monitoring") || !strings.Contains(page, "gns-service") {
		t.Errorf("/monitor page lacks the title or the tax service:\n%s", page)
	}
	for _, want := range []string{`tunduk_ss_requests_total{`, `gns-service`, `tunduk_ss_sla_availability_ratio{`, `tunduk_ss_opmon_rounds_total{result="ok"}`,
		`tunduk_ss_health_requests{`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s\n%s", want, grepLines(metrics, "tunduk_ss_"))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "state", "opmon.json")); err != nil || !strings.Contains(string(b), "recordsFrom") {
		t.Errorf("state file: %q %v", b, err)
	}
}

func getPage(t *testing.T, url string) string {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, r.StatusCode, b)
	}
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
