package packaging

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// maxGlibc is the oldest glibc among the supported hosts (Ubuntu 22.04);
// the binary must not need a newer one.
const maxGlibc = "2.35"

// maxExposure is the systemd-analyze security score each unit must stay at
// or below (issue 9: hardening kept).
const maxExposure = 2.0

var (
	debOnce sync.Once
	debPath string
	debErr  error
	debDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if debDir != "" {
		os.RemoveAll(debDir)
	}
	os.Exit(code)
}

// requireTools skips (or fails under TUNDUK_REQUIRE_TOOLS=1) without the
// Debian tools the package tests use.
func requireTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the Debian package (minutes); not in -short")
	}
	for _, tool := range []struct{ name, pkg string }{
		{"make", "make"}, {"gcc", "gcc"}, {"objdump", "binutils"}, {"dpkg-deb", "dpkg"}, {"lintian", "lintian"},
		{"systemd-analyze", "systemd"}, {"systemd-sysusers", "systemd"}, {"systemd-tmpfiles", "systemd"},
	} {
		corpus.RequireTool(t, tool.name, "apt-get install "+tool.pkg)
	}
}

// buildDeb runs `make deb` once for all tests into a temporary directory.
func buildDeb(t *testing.T) string {
	t.Helper()
	requireTools(t)
	debOnce.Do(func() {
		debDir, debErr = os.MkdirTemp("", "tunduk-deb-")
		if debErr != nil {
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			debErr = err
			return
		}
		debPath = filepath.Join(debDir, "tunduk.deb")
		cmd := exec.Command("make", "-C", "..", "deb", "GO="+goBin, "DEB_BUILD="+filepath.Join(debDir, "build"), "DEB="+debPath)
		out, err := cmd.CombinedOutput()
		if err != nil {
			debErr = fmt.Errorf("make deb: %v\n%s", err, out)
		}
	})
	if debErr != nil {
		t.Fatal(debErr)
	}
	return debPath
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// unpack extracts the package into a fresh throwaway root.
func unpack(t *testing.T, deb string) string {
	t.Helper()
	root := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, root)
	return root
}

func TestLintianReportsNoErrors(t *testing.T) {
	deb := buildDeb(t)
	out, err := exec.Command("lintian", "--tag-display-limit", "0", "--fail-on", "error", deb).CombinedOutput()
	var errs []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "E: ") {
			errs = append(errs, l)
		}
	}
	if err != nil || len(errs) > 0 {
		t.Fatalf("lintian: %v\n%s", err, out)
	}
	t.Logf("lintian: no errors\n%s", out)
}

func TestControlFields(t *testing.T) {
	deb := buildDeb(t)
	if got := strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, "Package")); got != "tunduk" {
		t.Errorf("Package = %q", got)
	}
	dep := run(t, "dpkg-deb", "-f", deb, "Depends")
	m := regexp.MustCompile(`libc6 \(>= ([0-9.]+)\)`).FindStringSubmatch(dep)
	if m == nil {
		t.Fatalf("Depends %q has no versioned libc6 (the binary is built with cgo)", dep)
	}
	if versionLess(maxGlibc, m[1]) {
		t.Errorf("Depends on libc6 >= %s: Ubuntu 22.04 has %s", m[1], maxGlibc)
	}
}

// The binary needs no glibc symbol newer than Ubuntu 22.04's.
func TestBinaryRunsOnUbuntu2204Glibc(t *testing.T) {
	root := unpack(t, buildDeb(t))
	bin := filepath.Join(root, "usr/bin/tunduk")
	vers := regexp.MustCompile(`GLIBC_([0-9][0-9.]*)`).FindAllStringSubmatch(run(t, "objdump", "-T", bin), -1)
	if len(vers) == 0 {
		t.Fatal("no glibc symbols: was the binary built without cgo? PKCS#11 needs cgo")
	}
	newest := "0"
	for _, v := range vers {
		if versionLess(newest, v[1]) {
			newest = v[1]
		}
	}
	if versionLess(maxGlibc, newest) {
		t.Fatalf("the binary needs GLIBC_%s; Ubuntu 22.04 has %s", newest, maxGlibc)
	}
	t.Logf("newest glibc symbol: GLIBC_%s", newest)
	if out := run(t, bin, "--version"); !strings.Contains(out, "tunduk version") {
		t.Errorf("--version: %q", out)
	}
}

func TestFilesAndModes(t *testing.T) {
	root := unpack(t, buildDeb(t))
	want := map[string]fs.FileMode{
		"usr/bin/tunduk":                                    0o755,
		"etc/tunduk/tunduk.yaml":                            0o644,
		"etc/tunduk/mappings/tax-debt.yaml":                 0o644,
		"etc/tunduk/catalog/organisation.yaml":              0o644,
		"etc/tunduk/catalog/services/getSupplierInfo.yaml":  0o644,
		"lib/systemd/system/tunduk.service":                 0o644,
		"lib/systemd/system/tunduk-archive-collect.service": 0o644,
		"lib/systemd/system/tunduk-archive-collect.timer":   0o644,
		"usr/lib/sysusers.d/tunduk.conf":                    0o644,
		"usr/lib/tmpfiles.d/tunduk.conf":                    0o644,
		"usr/share/man/man1/tunduk.1.gz":                    0o644,
		"usr/share/man/man1/tunduk-serve.1.gz":              0o644,
		"usr/share/man/man1/tunduk-keys-generate.1.gz":      0o644,
		"usr/share/bash-completion/completions/tunduk":      0o644,
		"usr/share/zsh/vendor-completions/_tunduk":          0o644,
		"usr/share/fish/vendor_completions.d/tunduk.fish":   0o644,
		"usr/share/doc/tunduk/copyright":                    0o644,
		"usr/share/doc/tunduk/changelog.gz":                 0o644,
		"usr/share/doc/tunduk/README.Debian":                0o644,
	}
	for p, mode := range want {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Errorf("missing %s", p)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), mode)
		}
	}
	// Every man page is a gzipped page of a command, one per command.
	pages, _ := filepath.Glob(filepath.Join(root, "usr/share/man/man1/*.1.gz"))
	if len(pages) < 20 {
		t.Errorf("%d man pages; want one per command", len(pages))
	}
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			f.Close()
			continue
		}
		b, _ := io.ReadAll(zr)
		f.Close()
		if !bytes.Contains(b, []byte(".TH \"TUNDUK\" \"1\"")) || !bytes.Contains(b, []byte(".SH NAME")) {
			t.Errorf("%s is not a section-1 man page", p)
		}
	}
	comp, _ := os.ReadFile(filepath.Join(root, "usr/share/bash-completion/completions/tunduk"))
	if !bytes.Contains(comp, []byte("__start_tunduk")) {
		t.Error("bash completion does not complete tunduk")
	}
	cp, _ := os.ReadFile(filepath.Join(root, "usr/share/doc/tunduk/copyright"))
	for _, s := range []string{"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/", "Copyright: 2026 The tunduk authors", "License: Apache-2.0", "/usr/share/common-licenses/Apache-2.0"} {
		if !bytes.Contains(cp, []byte(s)) {
			t.Errorf("copyright lacks %q", s)
		}
	}
	lic, err := os.ReadFile("../LICENSE")
	if err != nil || !bytes.Contains(lic, []byte("Copyright 2026 The tunduk authors")) || !bytes.Contains(lic, []byte("Apache License")) {
		t.Errorf("LICENSE in the repository: %v", err)
	}
}

// Every file under /etc is a conffile (dpkg keeps the administrator's
// changes), and nothing else is.
func TestConffiles(t *testing.T) {
	deb := buildDeb(t)
	ctrl := t.TempDir()
	run(t, "dpkg-deb", "-e", deb, ctrl)
	b, err := os.ReadFile(filepath.Join(ctrl, "conffiles"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(b))
	root := unpack(t, deb)
	var want []string
	filepath.WalkDir(filepath.Join(root, "etc"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			want = append(want, "/"+strings.TrimPrefix(p, root+"/"))
		}
		return nil
	})
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") || len(want) < 10 {
		t.Fatalf("conffiles:\n%s\nfiles under /etc:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		run(t, "sh", "-n", filepath.Join(ctrl, s))
	}
}

// installRoot unpacks the package and runs its postinst against the
// throwaway root, with systemd-sysusers and systemd-tmpfiles redirected
// there (--root) and systemctl/deb-systemd-invoke recorded, not run.
func installRoot(t *testing.T) (root, ctrl string, postinst func()) {
	t.Helper()
	deb := buildDeb(t)
	root = unpack(t, deb)
	ctrl = t.TempDir()
	run(t, "dpkg-deb", "-e", deb, ctrl)
	for _, f := range []string{"passwd", "group", "shadow", "gshadow"} {
		if err := os.WriteFile(filepath.Join(root, "etc", f), []byte("root:x:0:0:root:/root:/bin/sh\n")[:0], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\n"), 0o644)
	stubs := t.TempDir()
	stub := func(name, body string) {
		if err := os.WriteFile(filepath.Join(stubs, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sysusers, _ := exec.LookPath("systemd-sysusers")
	tmpfiles, _ := exec.LookPath("systemd-tmpfiles")
	stub("systemd-sysusers", fmt.Sprintf("exec %s --root=%s \"$@\"", sysusers, root))
	stub("systemd-tmpfiles", fmt.Sprintf("exec %s --root=%s \"$@\"", tmpfiles, root))
	stub("systemctl", fmt.Sprintf("echo systemctl \"$@\" >> %s/calls", stubs))
	stub("deb-systemd-invoke", fmt.Sprintf("echo deb-systemd-invoke \"$@\" >> %s/calls", stubs))
	return root, ctrl, func() {
		cmd := exec.Command("sh", filepath.Join(ctrl, "postinst"), "configure")
		cmd.Env = append(os.Environ(), "PATH="+stubs+":"+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("postinst configure: %v\n%s", err, out)
		}
	}
}

func TestPostinstCreatesUserAndDirectories(t *testing.T) {
	root, _, postinst := installRoot(t)
	postinst()
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	m := regexp.MustCompile(`(?m)^tunduk:x:(\d+):(\d+):[^:]*:/var/lib/tunduk:/usr/sbin/nologin$`).FindStringSubmatch(string(passwd))
	if m == nil {
		t.Fatalf("no tunduk system user in /etc/passwd:\n%s", passwd)
	}
	uid, _ := strconv.Atoi(m[1])
	gid, _ := strconv.Atoi(m[2])
	if uid == 0 || uid >= 1000 {
		t.Errorf("tunduk uid %d is not a system uid", uid)
	}
	for _, d := range []struct {
		path     string
		mode     fs.FileMode
		uid, gid int
	}{
		{"etc/tunduk", 0o750, 0, gid},
		{"etc/tunduk/tls", 0o750, 0, gid},
		{"etc/tunduk/keys", 0o750, 0, gid},
		{"etc/tunduk/mappings", 0o750, 0, gid},
		{"etc/tunduk/catalog", 0o750, 0, gid},
		{"var/lib/tunduk", 0o750, uid, gid},
		{"var/lib/tunduk/msglog", 0o750, uid, gid},
		{"var/lib/tunduk/archive", 0o750, uid, gid},
		{"srv/archive/xroad", 0o750, uid, gid},
	} {
		fi, err := os.Stat(filepath.Join(root, d.path))
		if err != nil {
			t.Errorf("%s: %v", d.path, err)
			continue
		}
		st := statOwner(fi)
		if fi.Mode().Perm() != d.mode || st[0] != d.uid || st[1] != d.gid {
			t.Errorf("/%s: mode %o owner %d:%d, want %o %d:%d", d.path, fi.Mode().Perm(), st[0], st[1], d.mode, d.uid, d.gid)
		}
	}
}

// An upgrade's postinst never overwrites or re-modes a configuration the
// administrator changed (dpkg itself keeps changed conffiles).
func TestPostinstKeepsChangedConfig(t *testing.T) {
	root, _, postinst := installRoot(t)
	postinst()
	cfg := filepath.Join(root, "etc/tunduk/tunduk.yaml")
	key := filepath.Join(root, "etc/tunduk/keys/zakupki-portal.key")
	changed := []byte("# changed by the administrator\nlog: {level: debug}\n")
	if err := os.WriteFile(cfg, changed, 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(cfg, 0o640)
	if err := os.WriteFile(key, []byte("secret-api-key-0123456789abcdef0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	postinst() // the upgrade
	if b, _ := os.ReadFile(cfg); !bytes.Equal(b, changed) {
		t.Fatalf("postinst changed tunduk.yaml:\n%s", b)
	}
	for p, mode := range map[string]fs.FileMode{cfg: 0o640, key: 0o600} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %o after postinst, want %o", p, fi.Mode().Perm(), mode)
		}
	}
}

// systemdRoot is the unpacked package plus the host's own units (targets
// the package's units refer to) and /bin/kill (ExecReload).
func systemdRoot(t *testing.T) string {
	t.Helper()
	root := unpack(t, buildDeb(t))
	units := filepath.Join(root, "lib/systemd/system")
	for _, host := range []string{"/lib/systemd/system", "/usr/lib/systemd/system"} {
		if _, err := os.Stat(host); err == nil {
			run(t, "cp", "-an", host+"/.", units+"/")
		}
	}
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	kill, err := exec.LookPath("kill")
	if err != nil {
		t.Fatal(err)
	}
	run(t, "cp", kill, filepath.Join(root, "bin/kill"))
	return root
}

var ourUnits = []string{"tunduk.service", "tunduk-archive-collect.service", "tunduk-archive-collect.timer"}

func TestUnitsVerify(t *testing.T) {
	root := systemdRoot(t)
	args := []string{"verify", "--man=no", "--root=" + root}
	for _, u := range ourUnits {
		args = append(args, filepath.Join(root, "lib/systemd/system", u))
	}
	out, err := exec.Command("systemd-analyze", args...).CombinedOutput()
	// Unknown keys and bad values are only warnings to systemd: any output
	// about our units is a failure.
	if err != nil || regexp.MustCompile(`tunduk`).Match(out) {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The check can fail: a unit whose ExecStart is missing does.
	bad := filepath.Join(root, "lib/systemd/system/tunduk-broken.service")
	unit, _ := os.ReadFile(filepath.Join(root, "lib/systemd/system/tunduk.service"))
	os.WriteFile(bad, bytes.Replace(unit, []byte("ExecStart=/usr/bin/tunduk"), []byte("ExecStart=/usr/bin/tunduk-missing"), 1), 0o644)
	if out, err := exec.Command("systemd-analyze", "verify", "--man=no", "--root="+root, bad).CombinedOutput(); err == nil {
		t.Fatalf("verify accepted a unit whose program is missing:\n%s", out)
	}
}

func TestUnitsExposure(t *testing.T) {
	requireTools(t)
	for _, u := range []string{"tunduk.service", "tunduk-archive-collect.service"} {
		out, err := exec.Command("systemd-analyze", "security", "--offline=yes", filepath.Join("../configs/systemd", u)).CombinedOutput()
		if err != nil {
			t.Fatalf("systemd-analyze security %s: %v\n%s", u, err, out)
		}
		m := regexp.MustCompile(`Overall exposure level for ` + regexp.QuoteMeta(u) + `: ([0-9.]+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no exposure level in:\n%s", out)
		}
		score, _ := strconv.ParseFloat(string(m[1]), 64)
		if score > maxExposure {
			t.Errorf("%s: exposure %.1f > %.1f\n%s", u, score, maxExposure, out)
		}
		t.Logf("%s: exposure %.1f", u, score)
	}
	// The gateway tells systemd when it is ready and pings the watchdog.
	unit, _ := os.ReadFile("../configs/systemd/tunduk.service")
	for _, s := range []string{"Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "User=tunduk"} {
		if !bytes.Contains(unit, []byte(s)) {
			t.Errorf("tunduk.service lacks %s", s)
		}
	}
}

// versionLess compares dotted numeric versions.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}
