package serve

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa/tsatest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// tunduk serve with monitoring enabled collects the emulator's
// operational data: a check's exchange shows up in tunduk_ss_* metrics
// and the SLA gauges, and the position is kept in the state file.
//
// The companion's health is on the page and in the metrics: the messageLog
// TSA (the loopback test TSA, probed with a real RFC 3161 request) and
// collect's target, whose chain misses an archive.
func TestServeMonitoring(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	tsaSrv := tsatest.NewServer()
	defer tsaSrv.Close()
	var archives []string
	dir, cfgPath, addr, key := gatewayConfig(t, ss.URL, func(dir string) string {
		tsaPEM := filepath.Join(dir, "tsa.pem")
		os.WriteFile(tsaPEM, certstest.PEM(tsaSrv.Certificate), 0o600)
		collected := filepath.Join(dir, "collected")
		archives = writeArchives(t, collected, 3)
		os.Remove(archives[1])
		os.MkdirAll(filepath.Join(dir, "ss-archive"), 0o750)
		keyPath, certPath := clitest.FileKeyFor(t, dir, "mlog", fixtures.PortalClient.MemberCode)
		return fmt.Sprintf(`monitoring:
  enabled: true
  securityServer: central-server/GOV/70000099/ss1
  stateFile: state/opmon.json
  interval: 200ms
  recordsToOffset: 1s
  windows: [1h]
  sla: {availability: 99.5, responseTime: 2s}
messageLog:
  dir: %s/mlog
  archiveDir: %s/archive
  signingKey: mlog
  tsaUrl: %s
  tsaCertificate: %s
  collect: {sourceDir: %s, targetDir: %s}
keys:
  mlog: {uri: "file:%s", certificate: %s}
`, dir, dir, tsaSrv.URL, tsaPEM, filepath.Join(dir, "ss-archive"), collected, keyPath, certPath)
	})
	stop, _ := startServe(t, cfgPath)
	taxDebtWhenUp(t, addr, key).Body.Close()
	var metrics string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, body, err := get("http://" + addr + "/metrics"); err == nil {
			metrics = body
			if strings.Contains(metrics, `tunduk_ss_sla_availability_ratio{`) && strings.Contains(metrics, `outcome="succeeded"`) &&
				strings.Contains(metrics, "gns-service") && strings.Contains(metrics, "tunduk_tsa_up{") {
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
	for _, want := range []string{"Archive health", `<span class="state breached">1 gap(s)</span>`, "collect · (all)",
		"missing before " + filepath.Base(archives[2]) + ", after " + filepath.Base(archives[0]),
		"Time-stamping authorities", tsaSrv.URL, `<span class="state up">up</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("/monitor page lacks %q", want)
		}
	}
	if tsaSrv.Requests() == 0 {
		t.Error("the TSA was not probed")
	}
	for _, want := range []string{`tunduk_ss_requests_total{`, `gns-service`, `tunduk_ss_sla_availability_ratio{`, `tunduk_ss_opmon_rounds_total{result="ok"}`,
		`tunduk_ss_health_requests{`, `tunduk_tsa_up{tsa="` + tsaSrv.URL + `"} 1`, `tunduk_archive_chain_gaps{group="",root="collect"} 1`,
		`tunduk_archive_files{group="",root="collect"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s\n%s", want, grepLines(metrics, "tunduk_ss_"))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "state", "opmon.json")); err != nil || !strings.Contains(string(b), "recordsFrom") {
		t.Errorf("state file: %q %v", b, err)
	}
}

// writeArchives runs a signed message log in dir and rotates it n times
// with a record in between: n archives in one chain, in time order.
func writeArchives(t *testing.T, dir string, n int) []string {
	t.Helper()
	key, cert := certstest.SelfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "70000001"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment})
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(t.TempDir(), "log"), ArchiveDir: dir, Signer: key, Certificate: cert,
		BatchInterval: 20 * time.Millisecond, RotateInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for i := range n {
		r := &msglog.Record{Type: msglog.TypeExchange, Member: "central-server/GOV/70000001", Exchange: &msglog.Exchange{Direction: "consumer",
			Protocol: "soap", MessageID: fmt.Sprint("m", i), Client: "central-server/GOV/70000001/portal", Service: "central-server/GOV/70000002/gns-service/x/v1",
			Outcome: "ok", Request: msglog.Message{ContentType: "text/xml", Body: []byte("<a/>")}, Response: msglog.Message{ContentType: "text/xml", Body: []byte("<b/>")}}}
		if _, err := l.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := l.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	list, err := msglog.ListArchives(dir)
	if err != nil || len(list) != n {
		t.Fatalf("archives %v %v", list, err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Path)
	}
	return out
}

func getPage(t *testing.T, url string) string {
	t.Helper()
	code, body, err := get(url)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", url, code, err, body)
	}
	return body
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
