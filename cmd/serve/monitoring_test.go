package serve

import (
	"io"
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
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	dir, cfgPath, addr, key := gatewayConfig(t, ss.URL, func(string) string {
		return `monitoring:
  enabled: true
  securityServer: central-server/GOV/70000099/ss1
  stateFile: state/opmon.json
  interval: 200ms
  recordsToOffset: 1s
  windows: [1h]
  sla: {availability: 99.5, responseTime: 2s}
`
	})
	stop, _ := startServe(t, cfgPath)
	taxDebtWhenUp(t, addr, key).Body.Close()
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
	stop()
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
