package serve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	ss := fixtures.NewDemo(fixtures.DemoOptions{})
	defer ss.Close()
	dir := t.TempDir()
	tsaSrv := tsatest.NewServer()
	defer tsaSrv.Close()
	tsaPEM := filepath.Join(dir, "tsa.pem")
	os.WriteFile(tsaPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tsaSrv.Certificate.Raw}), 0o600)
	collected := filepath.Join(dir, "collected")
	archives := writeArchives(t, collected, 3)
	os.Remove(archives[1])
	os.MkdirAll(filepath.Join(dir, "ss-archive"), 0o750)
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
  journal: state/journal.jsonl
monitoring:
  enabled: true
  securityServer: central-server/GOV/70000099/ss1
  stateFile: state/opmon.json
  interval: 200ms
  recordsToOffset: 1s
  windows: [1h]
  sla: {availability: 99.5, responseTime: 2s}
messageLog:
  tsaUrl: %s
  tsaCertificate: %s
  collect: {sourceDir: %s, targetDir: %s}
`, ss.URL, fixtures.PortalClient, addr, mappings, tsaSrv.URL, tsaPEM, filepath.Join(dir, "ss-archive"), collected)
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
				strings.Contains(metrics, "gns-service") && strings.Contains(metrics, "tunduk_tsa_up{") {
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
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "70000001"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)
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
