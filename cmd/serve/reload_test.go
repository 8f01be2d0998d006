package serve

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// SIGHUP re-reads callers and mappings: a new caller's key works, a removed
// mapping is gone, and a check already in flight finishes with its answer.
// A broken configuration is refused and the running one stays.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	var held atomic.Bool
	started, release := make(chan struct{}), make(chan struct{})
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{Server: xroadtest.Options{OnExchange: func(xroadtest.Exchange) {
		if held.CompareAndSwap(false, true) { // hold the first exchange only
			close(started)
			<-release
		}
	}}})
	dir := t.TempDir()
	mdir := filepath.Join(dir, "mappings")
	os.MkdirAll(mdir, 0o755)
	for _, m := range []string{"tax-debt", "founders"} {
		b, err := os.ReadFile(filepath.Join("../../configs/mappings", m+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(mdir, m+".yaml"), b, 0o644)
	}
	key1, key2 := strings.Repeat("a", 40), strings.Repeat("b", 40)
	os.WriteFile(filepath.Join(dir, "portal.key"), []byte(key1+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "portal2.key"), []byte(key2+"\n"), 0o600)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	logYAML := signedLogYAML(t, dir)
	config := func(extraCaller string) string {
		return fmt.Sprintf(`securityServer:
  url: %s
  client: %s
  userIdPrefix: KG
gateway:
  listen: %s
  callers:
    - {name: portal, apiKeyFile: portal.key, checks: ["*"]}
%s  mappingsDir: %s
`, ss.URL, fixtures.PortalClient, addr, extraCaller, mdir) + logYAML
	}
	cfgPath := filepath.Join(dir, "tunduk.yaml")
	os.WriteFile(cfgPath, []byte(config("")), 0o600)

	// SIGHUP must never kill the test binary, even before serve listens for it.
	guard := make(chan os.Signal, 16)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)

	stop, errOut := startServe(t, cfgPath)
	defer stop()
	// Released on every path, before serve's shutdown waits for the held check.
	var once sync.Once
	releaseHeld := func() { once.Do(func() { close(release) }) }
	defer releaseHeld()
	get := func(key, check string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/suppliers/02207200800561/"+check, nil)
		req.Header.Set("X-API-Key", key)
		req.Header.Set("X-User-Id", "21504197800123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	inflight := make(chan string, 1)
	for i := 0; ; i++ {
		if c, _ := get(strings.Repeat("x", 40), "tax-debt"); c != 0 {
			break // listening
		}
		if i > 200 {
			t.Fatalf("serve did not come up:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	go func() {
		c, b := get(key1, "tax-debt")
		inflight <- fmt.Sprint(c, " ", b)
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the first check never reached the security server")
	}
	if c, _ := get(key2, "tax-debt"); c != http.StatusUnauthorized {
		t.Fatalf("portal2 before the reload: %d, want 401", c)
	}

	// New caller, founders mapping removed, then SIGHUP.
	os.WriteFile(cfgPath, []byte(config("    - {name: portal2, apiKeyFile: portal2.key, checks: [\"*\"]}\n")), 0o600)
	os.Remove(filepath.Join(mdir, "founders.yaml"))
	reloaded := false
	for i := 0; i < 100 && !reloaded; i++ {
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
		time.Sleep(50 * time.Millisecond)
		c, _ := get(key2, "tax-debt")
		reloaded = c == http.StatusOK
	}
	if !reloaded {
		t.Fatalf("the new caller was not accepted after SIGHUP:\n%s", errOut.String())
	}
	if c, b := get(key2, "founders"); c == http.StatusOK {
		t.Errorf("founders still answered after its mapping was removed: %s", b)
	}
	releaseHeld()
	select {
	case r := <-inflight:
		if !strings.HasPrefix(r, "200 ") || !strings.Contains(r, `"hasDebt":true`) {
			t.Errorf("the check in flight across the reload ended with %s", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the check in flight never finished")
	}

	// A broken configuration is refused; the running one stays.
	os.WriteFile(cfgPath, []byte("gateway: [not, a, map\n"), 0o600)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	for i := 0; i < 100 && !strings.Contains(errOut.String(), "reload failed"); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(errOut.String(), "reload failed") {
		t.Fatalf("no reload failure logged:\n%s", errOut.String())
	}
	if c, b := get(key2, "tax-debt"); c != http.StatusOK {
		t.Errorf("after a failed reload: %d %s", c, b)
	}
}
