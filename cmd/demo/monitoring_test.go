package demo

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The demo runs the monitoring collector against its emulator: /metrics
// shows a successful collection round and the health gauges, /monitor the
// page.
func TestDemoMonitoring(t *testing.T) {
	base, _, stop := startDemo(t, t.TempDir())
	var metrics string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		r, err := http.Get(base + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if metrics = string(b); strings.Contains(metrics, `tunduk_ss_opmon_rounds_total{result="ok"}`) {
			break
		}
	}
	r, err := http.Get(base + "/monitor")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if err := stop(); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if r.StatusCode != http.StatusOK || !strings.Contains(string(page), "Tunduk local monitoring") {
		t.Errorf("demo /monitor: %d %s", r.StatusCode, page)
	}
	// The demo's own health: its signing certificate (made afresh, 90 days),
	// its archives (none until Ctrl-C) and no TSA.
	for _, want := range []string{"Certificate expiry", "signing key demo", `<span class="state met">89d 23h left</span>`, "Archive health",
		"No archives yet.", "No TSA configured"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("demo /monitor lacks %q", want)
		}
	}
	for _, want := range []string{`tunduk_ss_opmon_rounds_total{result="ok"}`, "tunduk_ss_health_statistics_period_seconds 600"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("demo /metrics lacks %s", want)
		}
	}
}
