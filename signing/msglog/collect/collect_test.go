package collect_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk-kg/tunduk/signing/msglog/collect"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

// TestCollectSecurityServerArchives feeds the collector the security
// server's own archives from the conformance corpus: archive 1 links to
// archive 0 (EXPECTATIONS.md), so collecting 0 then 1 is clean; a later
// archive that links elsewhere is a gap; a damaged one is invalid and kept
// apart.
func TestCollectSecurityServerArchives(t *testing.T) {
	cdir := corpus.Dir(t, "archive")
	src, dst := t.TempDir(), t.TempDir()
	reg := prometheus.NewRegistry()
	c, err := collect.New(collect.Options{SourceDir: src, TargetDir: dst, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a0 := "mlog-20231023121255-20231023121255-9011ab557706b505.zip"
	a1 := "mlog-20231023121600-20231023121655-1bdf9efbf998d9c1.zip"
	copyFile(t, filepath.Join(cdir, "message-archive-0.zip"), filepath.Join(src, a0))
	out, err := c.Scan(ctx)
	if err != nil || len(out) != 1 || out[0].Gap || out[0].Invalid {
		t.Fatalf("first scan: %+v %v", out, err)
	}
	copyFile(t, filepath.Join(cdir, "message-archive-1.zip"), filepath.Join(src, a1))
	out, err = c.Scan(ctx)
	if err != nil || len(out) != 1 || out[0].Name != a1 || out[0].Gap || out[0].Invalid {
		t.Fatalf("second scan: %+v %v", out, err)
	}
	if out[0].LastDigest[:16] != "1bdf9efbf998d9c1" {
		t.Fatalf("last digest %s", out[0].LastDigest)
	}
	if out, _ := c.Scan(ctx); len(out) != 0 {
		t.Fatalf("rescan collected again: %+v", out)
	}
	for _, n := range []string{a0, a1} {
		if _, err := os.Stat(filepath.Join(dst, n)); err != nil {
			t.Fatal(err)
		}
	}

	// An archive that starts a new chain after archive 1: a gap.
	a2 := "mlog-20231024000000-20231024000000-624334053a96e0e1.zip"
	copyFile(t, filepath.Join(cdir, "logarchive", "mlog-WITH_LINKINGINFO.zip"), filepath.Join(src, a2))
	// A damaged archive (also starting a chain, so a second gap): invalid, kept under invalid/.
	a3 := "mlog-20231025000000-20231025000000-0000000000000000.zip"
	copyFile(t, filepath.Join(cdir, "logarchive", "mlog-WITH_INVALID_LINKINGINFO.zip"), filepath.Join(src, a3))
	out, err = c.Scan(ctx)
	if err != nil || len(out) != 2 {
		t.Fatalf("third scan: %+v %v", out, err)
	}
	if !out[0].Gap {
		t.Errorf("%s does not link to archive 1 but no gap was reported", a2)
	}
	if !out[1].Invalid {
		t.Errorf("%s has a broken linkinginfo but was not reported invalid", a3)
	}
	if _, err := os.Stat(filepath.Join(dst, "invalid", a3)); err != nil {
		t.Errorf("invalid archive not kept under invalid/: %v", err)
	}
	want := map[string]float64{"tunduk_msglog_collect_archives_total": 4, "tunduk_msglog_collect_gaps_total": 2, "tunduk_msglog_collect_invalid_total": 1}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if w, ok := want[mf.GetName()]; ok {
			if got := mf.GetMetric()[0].GetCounter().GetValue(); got != w {
				t.Errorf("%s = %v, want %v", mf.GetName(), got, w)
			}
			delete(want, mf.GetName())
		}
	}
	if len(want) != 0 {
		t.Errorf("metrics missing: %v", want)
	}

	// State survives a restart: nothing is collected twice.
	c2, err := collect.New(collect.Options{SourceDir: src, TargetDir: dst})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := c2.Scan(ctx); len(out) != 0 {
		t.Fatalf("after restart collected again: %+v", out)
	}
}
