package companion_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/companion"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa/tsatest"
)

func selfSigned(t *testing.T, cn string, notAfter time.Time) (crypto.Signer, *x509.Certificate, []byte) {
	t.Helper()
	key, cert := certstest.SelfSigned(t, &x509.Certificate{Subject: pkix.Name{Country: []string{"KG"}, CommonName: cn},
		NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment})
	return key, cert, certstest.PEM(cert)
}

const (
	memberA = "central-server/GOV/70000001"
	memberB = "central-server/GOV/70000002"
)

// writeArchives runs a signed message log grouped by member and rotates it
// n times with a record of each member in between: n archives per group.
func writeArchives(t *testing.T, dir string, n int) {
	t.Helper()
	key, cert, _ := selfSigned(t, "70000001", time.Now().Add(24*time.Hour))
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "log"), ArchiveDir: filepath.Join(dir, "archive"), Signer: key,
		Certificate: cert, BatchInterval: 20 * time.Millisecond, RotateInterval: time.Hour, GroupBy: msglog.GroupMember})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for i := range n {
		for _, m := range []string{memberA, memberB} {
			r := &msglog.Record{Type: msglog.TypeExchange, Member: m, Exchange: &msglog.Exchange{Direction: "consumer", Protocol: "soap",
				MessageID: fmt.Sprintf("msg-%d", i), Client: m + "/portal", Service: "central-server/GOV/70000002/gns-service/x/v1", Outcome: "ok",
				Request: msglog.Message{ContentType: "text/xml", Body: []byte("<req/>")}, Response: msglog.Message{ContentType: "text/xml", Body: []byte("<resp/>")}}}
			if _, err := l.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// TestArchiveHealth: per group, the newest archive's time and the chain's
// gaps; an archive removed from the middle of one group's chain is a gap
// in that group only, with the missing range named, and putting it back
// clears it.
func TestArchiveHealth(t *testing.T) {
	dir := t.TempDir()
	writeArchives(t, dir, 3)
	root := filepath.Join(dir, "archive")
	reg := prometheus.NewRegistry()
	h, err := companion.New(companion.Options{Archives: []companion.ArchiveRoot{{Name: "messageLog", Dir: root}}, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	h.Refresh()
	s := h.Snapshot()
	if len(s.Groups) != 2 || s.ArchiveErr != "" {
		t.Fatalf("groups %+v, error %q", s.Groups, s.ArchiveErr)
	}
	for _, g := range s.Groups {
		if g.Archives != 3 || len(g.Gaps) != 0 || g.Unchecked != 0 || g.NewestTime.IsZero() {
			t.Fatalf("complete chain %s: %+v", g.Group, g)
		}
	}
	groupA := s.Groups[0].Group
	list, err := msglog.ListArchives(root)
	if err != nil {
		t.Fatal(err)
	}
	var inA []msglog.Archive
	for _, a := range list {
		if a.Group == groupA {
			inA = append(inA, a)
		}
	}
	// The newest archive's time is its write time: age it and see it.
	// (Archives of one second are ordered by it too, so keep their order.)
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	for i, a := range inA {
		if err := os.Chtimes(a.Path, old.Add(time.Duration(i-2)*time.Second), old.Add(time.Duration(i-2)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	middle, _ := os.ReadFile(inA[1].Path)
	if err := os.Remove(inA[1].Path); err != nil {
		t.Fatal(err)
	}
	h.Refresh()
	s = h.Snapshot()
	a, b := s.Groups[0], s.Groups[1]
	if a.Group != groupA || a.Archives != 2 || len(a.Gaps) != 1 || len(b.Gaps) != 0 {
		t.Fatalf("after removing %s: %+v / %+v", inA[1].Name, a, b)
	}
	gap := a.Gaps[0]
	if gap.Archive != inA[2].Name || gap.After != inA[0].Name || gap.From.IsZero() || gap.To.IsZero() || gap.To.Before(gap.From) {
		t.Fatalf("gap %+v; want %s after %s", gap, inA[2].Name, inA[0].Name)
	}
	if !strings.Contains(gap.Message, "an archive is missing") {
		t.Errorf("gap message %q", gap.Message)
	}
	if v, _ := gauge(t, reg, "tunduk_archive_chain_gaps", map[string]string{"group": groupA}); v != 1 {
		t.Errorf("tunduk_archive_chain_gaps{group=%q} = %v, want 1", groupA, v)
	}
	if v, _ := gauge(t, reg, "tunduk_archive_chain_gaps", map[string]string{"group": b.Group}); v != 0 {
		t.Errorf("tunduk_archive_chain_gaps{group=%q} = %v, want 0", b.Group, v)
	}
	if v, _ := gauge(t, reg, "tunduk_archive_newest_timestamp_seconds", map[string]string{"root": "messageLog", "group": groupA}); v != float64(old.Unix()) {
		t.Errorf("newest archive time %v, want %d", v, old.Unix())
	}
	if v, _ := gauge(t, reg, "tunduk_archive_newest_timestamp_seconds", map[string]string{"group": b.Group}); v <= float64(old.Unix()) {
		t.Errorf("newest archive time of the untouched group %v", v)
	}
	// An unreadable (damaged) archive is counted, not judged.
	if err := os.WriteFile(inA[1].Path, middle[:len(middle)/2], 0o640); err != nil {
		t.Fatal(err)
	}
	h.Refresh()
	if g := h.Snapshot().Groups[0]; g.Unchecked != 1 || len(g.Gaps) != 1 {
		t.Fatalf("damaged middle archive: %+v", g)
	}
	if err := os.WriteFile(inA[1].Path, middle, 0o640); err != nil {
		t.Fatal(err)
	}
	h.Refresh()
	if g := h.Snapshot().Groups[0]; g.Unchecked != 0 || len(g.Gaps) != 0 || g.Archives != 3 {
		t.Fatalf("archive put back: %+v", g)
	}
	lintClean(t, reg)
}

func lintClean(t *testing.T, reg *prometheus.Registry) {
	t.Helper()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestTSAProbe probes the loopback test TSA with real RFC 3161 requests:
// a verified stamp is up; a refusal, a tampered reply and an unreachable
// TSA are failures that keep the last success time.
func TestTSAProbe(t *testing.T) {
	srv := tsatest.NewServer()
	defer srv.Close()
	client, err := tsa.New(tsa.Options{URL: srv.URL, Hash: crypto.SHA512, Roots: srv.Roots})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h, err := companion.New(companion.Options{TSAs: []companion.TSA{{Name: "tsatest", Stamp: client.Timestamp}}, Registerer: reg,
		ProbeTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lbl := map[string]string{"tsa": "tsatest"}
	h.ProbeTSAs(ctx)
	s := h.Snapshot().TSAs[0]
	if !s.Up || s.LastSuccess.IsZero() || s.Failures != 0 || s.Latency <= 0 || srv.Requests() != 1 {
		t.Fatalf("first probe: %+v (requests %d)", s, srv.Requests())
	}
	if v, _ := gauge(t, reg, "tunduk_tsa_up", lbl); v != 1 {
		t.Errorf("tunduk_tsa_up %v", v)
	}
	last, _ := gauge(t, reg, "tunduk_tsa_last_success_timestamp_seconds", lbl)
	if last != float64(s.LastSuccess.Unix()) {
		t.Errorf("last success %v, want %d", last, s.LastSuccess.Unix())
	}
	fail := func(what string, n int) {
		t.Helper()
		h.ProbeTSAs(ctx)
		s := h.Snapshot().TSAs[0]
		if s.Up || s.Failures != n || s.LastError == "" {
			t.Fatalf("%s: %+v", what, s)
		}
		if v, _ := gauge(t, reg, "tunduk_tsa_up", lbl); v != 0 {
			t.Errorf("%s: tunduk_tsa_up %v", what, v)
		}
		if v, _ := gauge(t, reg, "tunduk_tsa_probe_failures_total", lbl); v != float64(n) {
			t.Errorf("%s: failures %v, want %d", what, v, n)
		}
		if v, _ := gauge(t, reg, "tunduk_tsa_last_success_timestamp_seconds", lbl); v != last {
			t.Errorf("%s: last success moved to %v", what, v)
		}
	}
	srv.SetReject(true)
	fail("refused", 1)
	srv.SetReject(false)
	srv.SetTamper(func(b []byte) []byte { b = append([]byte(nil), b...); b[len(b)-5] ^= 0xff; return b })
	fail("tampered reply", 2)
	srv.SetTamper(nil)
	h.ProbeTSAs(ctx)
	if s := h.Snapshot().TSAs[0]; !s.Up || s.Failures != 2 {
		t.Fatalf("recovered: %+v", s)
	}
	if v, _ := gauge(t, reg, "tunduk_tsa_probe_duration_seconds", lbl); v != 4 {
		t.Errorf("probe latency observations %v, want 4", v)
	}
	srv.Close()
	fail("unreachable", 3)
	lintClean(t, reg)
}

// TestCertificateExpiry: each watched certificate's NotAfter is a metric
// and in the snapshot, re-read at each refresh; an unreadable file is an
// error and no series.
func TestCertificateExpiry(t *testing.T) {
	dir := t.TempDir()
	notAfter := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	_, _, pemGW := selfSigned(t, "gateway.example.kg", notAfter)
	gw := filepath.Join(dir, "gw.pem")
	os.WriteFile(gw, pemGW, 0o600)
	reg := prometheus.NewRegistry()
	h, err := companion.New(companion.Options{Certs: []companion.Cert{{Use: "gateway", File: gw}, {Use: "securityServerClient", File: filepath.Join(dir, "missing.pem")}},
		Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	h.Refresh()
	cs := h.Snapshot().Certs
	if len(cs) != 2 || !cs[0].NotAfter.Equal(notAfter) || !strings.Contains(cs[0].Subject, "gateway.example.kg") || cs[1].Error == "" {
		t.Fatalf("certs %+v", cs)
	}
	if v, _ := gauge(t, reg, "tunduk_certificate_expiry_timestamp_seconds", map[string]string{"use": "gateway"}); v != float64(notAfter.Unix()) {
		t.Errorf("expiry %v, want %d", v, notAfter.Unix())
	}
	if _, ok := gauge(t, reg, "tunduk_certificate_expiry_timestamp_seconds", map[string]string{"use": "securityServerClient"}); ok {
		t.Error("a series for an unreadable certificate")
	}
	// Renewed on disk: seen at the next refresh.
	renewed := notAfter.Add(365 * 24 * time.Hour)
	_, _, pemGW = selfSigned(t, "gateway.example.kg", renewed)
	os.WriteFile(gw, pemGW, 0o600)
	h.Refresh()
	if v, _ := gauge(t, reg, "tunduk_certificate_expiry_timestamp_seconds", map[string]string{"use": "gateway"}); v != float64(renewed.Unix()) {
		t.Errorf("renewed expiry %v, want %d", v, renewed.Unix())
	}
	lintClean(t, reg)
}
