package demo

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// The demo's catalog commands, as printed, run through the real binary
// against its emulated SS Management API: plan lists the changes, apply
// makes them, a second plan has none left, and diff reports the seeded
// drift with its "!" line (exit 1).
func TestDemoCatalogPlanApplyDiff(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	specDir := corpus.Dir(t, "openapi")
	bin := filepath.Join(t.TempDir(), "tunduk")
	if out, err := exec.Command("go", "build", "-o", bin, "../tunduk").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(), corpus.EnvVar+"="+filepath.Dir(specDir), "TUNDUK_CONFIG=")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	demo := exec.CommandContext(ctx, bin, "demo", "--listen", "127.0.0.1:0", "--dir", dir, "--log-level", "warn")
	demo.Env = env
	stdout, err := demo.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	demo.Stderr = &stderr
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = demo.Process.Signal(syscall.SIGINT)
		_ = demo.Wait()
	}()

	var cmds []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "tunduk catalog ") {
			cmds = append(cmds, line)
		}
		if strings.HasPrefix(line, "Press Ctrl-C") {
			break
		}
	}
	go func() { // keep draining so the demo never blocks on stdout
		for sc.Scan() {
		}
	}()
	if len(cmds) != 3 {
		t.Fatalf("the banner printed %d catalog commands, want plan, apply, diff: %q\nstderr: %s", len(cmds), cmds, stderr.String())
	}
	run := func(cmd string) (string, int) {
		t.Helper()
		args := strings.Fields(cmd)
		c := exec.CommandContext(ctx, bin, args[1:]...)
		c.Env = env
		out, err := c.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return string(out), code
	}
	plan, apply, diff := cmds[0], cmds[1], cmds[2]
	for i, want := range []string{"catalog plan", "catalog apply", "catalog diff"} {
		if !strings.Contains(cmds[i], want) {
			t.Fatalf("command %d is %q, want %s", i+1, cmds[i], want)
		}
	}
	if out, code := run(plan); code != 0 || !strings.Contains(out, "add-description") || !strings.Contains(out, "grant-access") {
		t.Fatalf("%s: exit %d\n%s", plan, code, out)
	}
	if out, code := run(apply); code != 0 || !strings.Contains(out, "0 failed, 0 not attempted") {
		t.Fatalf("%s: exit %d\n%s", apply, code, out)
	}
	if out, code := run(plan); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("second plan: exit %d\n%s", code, out)
	}
	out, code := run(diff)
	if code != 1 {
		t.Fatalf("%s: exit %d, want 1 (drift)\n%s", diff, code, out)
	}
	var bang string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "!") {
			bang = l
		}
	}
	if !strings.Contains(bang, DriftService) || !strings.Contains(bang, "LIVE") {
		t.Errorf("diff has no ! line for %s:\n%s", DriftService, out)
	}
	if strings.Contains(stderr.String(), "SS Management API:") {
		t.Errorf("a request broke X-Road's openapi-definition.yaml:\n%s", stderr.String())
	}
}
