package configs_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/companion"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestPrometheusRules checks the alert rules with promtool and runs their
// unit tests (promtool test rules).
func TestPrometheusRules(t *testing.T) {
	promtool := corpus.RequireTool(t, "promtool", "apt-get install prometheus")
	for _, args := range [][]string{
		{"check", "rules", "tunduk-ss.rules.yml"},
		{"test", "rules", "tunduk-ss.rules.test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

var metricName = regexp.MustCompile(`\btunduk_[a-z_]+`)

// TestMonitoringNamesExist: every tunduk_* name the alert rules and the
// Grafana dashboard use is a metric internal/adapter/opmon, internal/signing/certs or
// internal/signing/msglog or internal/adapter/opmon/companion exports, so a rename there cannot silently empty a panel
// or an alert.
func TestMonitoringNamesExist(t *testing.T) {
	exported := opmonMetricNames(t)
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err := os.ReadFile("prometheus/tunduk-ss.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Query any `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	b, err = os.ReadFile("prometheus/grafana-tunduk-ss.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatal("dashboard has no uid or no panels")
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		if s, ok := v.Query.(string); ok {
			exprs = append(exprs, s)
		}
	}
	used := 0
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			used++
			if !slices.Contains(exported, name) {
				t.Errorf("%q uses %s, which no package exports", e, name)
			}
		}
	}
	if used < 10 {
		t.Fatalf("only %d metric references found", used)
	}
}

// opmonMetricNames registers opmon's metrics (and the companion's), feeds them one failed record,
// health data and a round, and lists the series names (histograms with
// their _bucket, _sum and _count).
func opmonMetricNames(t *testing.T) []string {
	reg := prometheus.NewRegistry()
	m, err := opmon.NewMetrics(opmon.MetricsOptions{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sla, err := opmon.NewSLA(opmon.SLAOptions{Registerer: reg, Default: opmon.Objective{Availability: 0.99}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	r := opmon.Record{SecurityServerType: "Client", ServiceCode: "x", RequestInTs: now.UnixMilli() - 10, ResponseOutTs: now.UnixMilli(),
		RequestSize: 10, ResponseSize: 10, SoapFaultCode: "Server.ServerProxy.AccessDenied"}
	m.Observe(&r)
	sla.Observe(&r)
	h := &opmon.Health{Services: []opmon.ServiceEvents{{LastSuccessful: 1, LastFailed: 1}}}
	h.Services[0].Stats.Successful = 1
	m.ObserveHealth(h)
	sla.ObserveHealth(h)
	m.ObserveRound(opmon.Round{}, nil)
	m.ObserveRound(opmon.Round{}, os.ErrClosed)
	// The companion's own metrics: signing certificates and the message log.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mlog"}, NotBefore: now, NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	reg.MustRegister(certs.NewExpiryCollector(func() []certs.KeyCert { return []certs.KeyCert{{Key: "mlog", Certificate: cert}} }))
	dir := t.TempDir()
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "log"), ArchiveDir: filepath.Join(dir, "archive"), Signer: key, Certificate: cert,
		Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// The companion's health: an archive (one record, rotated), a TSA
	// probe, a TLS certificate.
	rec := &msglog.Record{Type: msglog.TypeExchange, Member: "central-server/GOV/70000001", Exchange: &msglog.Exchange{Direction: "consumer",
		Protocol: "soap", MessageID: "m1", Client: "central-server/GOV/70000001/portal", Service: "central-server/GOV/70000002/gns-service/x/v1",
		Outcome: "ok", Request: msglog.Message{ContentType: "text/xml", Body: []byte("<a/>")}, Response: msglog.Message{ContentType: "text/xml", Body: []byte("<b/>")}}}
	if _, err := l.Append(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(dir, "tls.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	probes := 0 // the first probe fails, the second succeeds
	ch, err := companion.New(companion.Options{Registerer: reg, Archives: []companion.ArchiveRoot{{Name: "messageLog", Dir: filepath.Join(dir, "archive")}},
		Certs: []companion.Cert{{Use: "gateway", File: certFile}},
		TSAs: []companion.TSA{{Name: "tsa", Stamp: func(context.Context, []byte) ([]byte, error) {
			if probes++; probes == 1 {
				return nil, os.ErrDeadlineExceeded
			}
			return []byte{1}, nil
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	ch.Refresh()
	ch.ProbeTSAs(context.Background())
	ch.ProbeTSAs(context.Background())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		n := mf.GetName()
		names = append(names, n)
		if mf.GetType().String() == "HISTOGRAM" {
			names = append(names, n+"_bucket", n+"_sum", n+"_count")
		}
	}
	return names
}
