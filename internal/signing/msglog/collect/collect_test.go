package collect_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/collect"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
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

// TestCollectEncryptedArchives: with the OpenPGP key, the security
// server's encrypted archives (encrypted here by gpg) are verified and
// chained like plain ones; without it they are copied as unverified.
func TestCollectEncryptedArchives(t *testing.T) {
	gpg := corpus.RequireTool(t, "gpg", "apt-get install gnupg")
	cdir := corpus.Dir(t, "archive")
	home := t.TempDir()
	os.Chmod(home, 0o700)
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(gpg, append([]string{"--batch", "--homedir", home, "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, out)
		}
		return out
	}
	run("--quick-gen-key", "SS archives <ss@example.test>", "default", "default", "never")
	keyFile := filepath.Join(t.TempDir(), "key.asc")
	os.WriteFile(keyFile, run("--armor", "--export-secret-keys", "ss@example.test"), 0o600)
	keys, err := verify.ReadKeyRing(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	src, dst := t.TempDir(), t.TempDir()
	names := []string{"mlog-20231023121255-20231023121255-9011ab557706b505.zip", "mlog-20231023121600-20231023121655-1bdf9efbf998d9c1.zip"}
	for i, n := range names {
		run("--trust-model", "always", "--recipient", "ss@example.test", "--output", filepath.Join(src, n+".gpg"),
			"--encrypt", filepath.Join(cdir, fmt.Sprintf("message-archive-%d.zip", i)))
	}
	c, err := collect.New(collect.Options{SourceDir: src, TargetDir: dst, Verify: verify.Options{Decrypt: keys}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Scan(context.Background())
	if err != nil || len(out) != 2 {
		t.Fatalf("scan: %+v %v", out, err)
	}
	for _, o := range out {
		if o.Unverified || o.Invalid || o.Gap || o.LastDigest == "" {
			t.Errorf("%s: %+v", o.Name, o)
		}
	}
	if out[1].LastDigest[:16] != "1bdf9efbf998d9c1" {
		t.Errorf("last digest %s", out[1].LastDigest)
	}
	// Without the key: copied, reported unverified.
	c2, _ := collect.New(collect.Options{SourceDir: src, TargetDir: t.TempDir()})
	out, _ = c2.Scan(context.Background())
	if len(out) != 2 || !out[0].Unverified {
		t.Fatalf("without key: %+v", out)
	}
}
