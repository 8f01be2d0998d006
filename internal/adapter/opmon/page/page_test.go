package page_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/companion"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/page"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

const now = 1_800_000_000

func record(service string, agoSec, durMs int64, fault string) *opmon.Record {
	parts := strings.Split(service, "/")
	end := (now - agoSec) * 1000
	return &opmon.Record{SecurityServerType: "Client", ServiceXRoadInstance: parts[0], ServiceMemberClass: parts[1], ServiceMemberCode: parts[2],
		ServiceSubsystemCode: parts[3], ServiceCode: parts[4], ServiceVersion: parts[5], MonitoringDataTs: now - agoSec,
		RequestInTs: end - durMs, ResponseOutTs: end, Succeeded: fault == "", SoapFaultCode: fault}
}

const (
	gapArchive = "mlog-20270115050000-20270115060000-bbbbbbbbbbbbbbbb.zip"
	gapAfter   = "mlog-20270115030000-20270115040000-aaaaaaaaaaaaaaaa.zip"
	taxSvc     = "central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1"
	socialSvc  = "central-server/GOV/70000003/settlements-service/GetWorkPeriodInfoWithSum/v1"
	courtSvc   = "central-server/GOV/70000024/minjust-inn-services/founders/v1"
)

// monitorServer serves the page over traffic where the tax service
// breaches its SLA (3 of 10 fail against 90%), the social fund is at risk
// (95% available, p95 1.9s against 2s) and justice meets its SLA.
func monitorServer(t *testing.T) *httptest.Server {
	clock := func() time.Time { return time.Unix(now, 0) }
	sla, err := opmon.NewSLA(opmon.SLAOptions{Windows: []time.Duration{time.Hour}, Default: opmon.Objective{Availability: 0.9, MaxLatency: 2 * time.Second},
		Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	faults := opmon.NewFaultHistory(5*time.Minute, 12, 5)
	add := func(r *opmon.Record) { sla.Observe(r); faults.Observe(r) }
	for i := int64(0); i < 10; i++ { // tax: 70% available ⇒ breached
		f := ""
		if i < 3 {
			f = "Server.ServerProxy.ServiceFailed.NetworkError"
		}
		add(record(taxSvc, i*300, 200, f))
	}
	for i := int64(0); i < 20; i++ { // social fund: 95% (budget 10%, half left = 95%) and p95 1.9s ⇒ at risk
		f := ""
		if i == 0 {
			f = "server.clientproxy.ssl_authentication_failed"
		}
		add(record(socialSvc, i*120, 1900, f))
	}
	for i := int64(0); i < 5; i++ { // justice: all fine
		add(record(courtSvc, i*60, 100, ""))
	}
	sla.Evaluate()
	notices := func() ([]notice.Entry, error) {
		return []notice.Entry{{Notice: notice.Notice{Kind: notice.Maintenance, Services: []string{taxSvc}, From: time.Unix(now+3600, 0),
			To: time.Unix(now+7200, 0), Text: "Плановые работы на сервере ГНС"}, Deliveries: []notice.DeliveryEntry{{Channel: "smtp x"}, {Channel: "webhook y", Error: "404"}}}}, nil
	}
	t0 := time.Unix(now, 0)
	health := func() companion.Snapshot {
		return companion.Snapshot{
			Certs: []companion.CertHealth{
				{Use: "signing key mlog", Subject: "CN=70000001,O=Tunduk,C=KG", NotAfter: t0.Add(90 * 24 * time.Hour)},
				{Use: "gateway", Subject: "CN=gateway.example.kg", NotAfter: t0.Add(5 * 24 * time.Hour)},
				{Use: "securityServerClient", File: "/etc/tunduk/ss-client.pem", Error: "open /etc/tunduk/ss-client.pem: no such file or directory"},
			},
			Groups: []companion.GroupHealth{
				{Root: "messageLog", Group: "central-server_GOV_70000001", Archives: 5, NewestTime: t0.Add(-2 * time.Hour), Newest: "2027-01-15 06:00:00 UTC",
					Gaps: []companion.Gap{{Archive: gapArchive, After: gapAfter, From: time.Date(2027, 1, 15, 4, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 15, 5, 0, 0, 0, time.UTC)}}},
				{Root: "collect", Archives: 12, NewestTime: t0.Add(-72 * time.Hour), Newest: "2027-01-12 08:00:00 UTC"},
			},
			TSAs: []companion.TSAHealth{
				{Name: "http://tsa.example.kg/tsa", Probed: true, LastSuccess: t0.Add(-20 * time.Minute), Latency: 30 * time.Second, Failures: 4,
					LastError: "tsa: dial tcp 10.0.0.9:80: connection refused"},
				{Name: "http://tsa2.example.kg/tsa", Probed: true, Up: true, LastSuccess: t0.Add(-time.Minute), Latency: 120 * time.Millisecond},
			},
		}
	}
	return httptest.NewServer(page.Handler(page.Options{SLA: sla, Faults: faults, Position: func() int64 { return now - 60 }, Notices: notices,
		Companion: health, Now: clock}))
}

// TestMonitorPageInChromium loads the page in headless Chromium, asserts on
// the rendered DOM, and saves a phone-sized screenshot (go test -artifacts
// keeps it).
func TestMonitorPageInChromium(t *testing.T) {
	chromium := corpus.RequireTool(t, "chromium", "apt-get install chromium")
	srv := monitorServer(t)
	defer srv.Close()
	run := func(args ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
			"--user-data-dir=" + t.TempDir(), "--window-size=412,2700"}
		out, err := exec.CommandContext(ctx, chromium, append(base, args...)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}
	dom := string(run("--dump-dom", srv.URL+"/monitor"))
	for _, want := range []string{"Tunduk local monitoring", "breached: 1", "at risk: 1", "met: 1", taxSvc, socialSvc, courtSvc,
		"availability 0.7000 below 0.9000 (3 of 10 requests failed)", "Server.ServerProxy.ServiceFailed.NetworkError",
		"Server.ClientProxy.SslAuthenticationFailed", "<svg", "<rect", "2027-01-15 08:00:00 UTC", "collected up to 2027-01-15 07:59:00 UTC",
		"Recent notices", "Плановые работы на сервере ГНС", "2027-01-15 09:00 – 2027-01-15 10:00 UTC", "delivered to 1/2 channels",
		// certificate expiry: 5 days left is breached, 90 met, an unreadable file said so
		"Certificate expiry", `<span class="state breached">5d 0h left</span>`, "CN=gateway.example.kg", "2027-01-20 08:00 UTC",
		`<span class="state met">90d 0h left</span>`, "unreadable", "open /etc/tunduk/ss-client.pem: no such file or directory",
		// archive health: the gap with the archives around it and the missing records' times; a stale collect
		"Archive health", `<span class="state breached">1 gap(s)</span>`, `<span class="state at-risk">stale</span>`, "messageLog · central-server_GOV_70000001",
		"missing before " + gapArchive + ", after " + gapAfter + " (records 2027-01-15 04:00:00 – 2027-01-15 05:00:00)",
		"2027-01-15 06:00:00 UTC (2h 0m ago)", "collect · (all)", "2027-01-12 08:00:00 UTC (3d 0h ago)",
		// TSA reachability
		"Time-stamping authorities", `<span class="state down">down</span>`, "2027-01-15 07:40:00 UTC (20m ago)", "connection refused",
		`<span class="state up">up</span>`, "120ms"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	if strings.Contains(dom, "ZgotmplZ") {
		t.Error("html/template refused a value (ZgotmplZ in the page)")
	}
	// breached first
	if i, j := strings.Index(dom, taxSvc), strings.Index(dom, courtSvc); i < 0 || j < 0 || i > j {
		t.Error("the breached service is not listed before the one that meets its SLA")
	}
	shot := filepath.Join(t.ArtifactDir(), "monitor-phone.png")
	run("--screenshot="+shot, srv.URL+"/monitor")
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if w := img.Bounds().Dx(); w < 400 {
		t.Fatalf("screenshot width %d, want the phone width", w)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(b))
}
