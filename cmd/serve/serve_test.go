package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

func TestServeFlags(t *testing.T) {
	t.Setenv(cli.ConfigEnv, "/srv/from-env.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", "/etc/tunduk/tunduk.yaml"}, "/etc/tunduk/tunduk.yaml"},
		{[]string{"-c", "a.yaml"}, "a.yaml"},
		{nil, "/srv/from-env.yaml"}, // the one lookup rule: --config, $TUNDUK_CONFIG, the default
	} {
		var got *ServeOptions
		f, _ := clitest.New()
		cmd := NewCmdServeWith(f, func(o *ServeOptions) error { got = o; return nil })
		if err := clitest.Run(f, cmd, tc.args...).Err; err != nil || got == nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if path, _ := got.ConfigPath(); path != tc.want {
			t.Errorf("%v: configuration %s, want %s", tc.args, path, tc.want)
		}
	}
	f, _ := clitest.New()
	if r := clitest.Run(f, NewCmdServeWith(f, func(*ServeOptions) error { return nil }), "extra"); r.Code != cli.ExitUsage {
		t.Errorf("extra argument: exit %d", r.Code)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := config.Load("../../configs/tunduk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Gateway.Configured() || len(cfg.Gateway.Callers) != 2 || cfg.SecurityServer.UserIDPrefix != "KG" ||
		!strings.HasPrefix(cfg.SecurityServer.URL, "https://") || cfg.Gateway.TLS.ClientCAFile == "" {
		t.Errorf("example config: %+v", cfg.Gateway)
	}
}

// Every configs/testdata/invalid-*.yaml fails with the lines of its .err.
func TestInvalidExamples(t *testing.T) {
	check := func(t *testing.T, yamlPath string, load func(string) error) {
		want, err := os.ReadFile(strings.TrimSuffix(yamlPath, ".yaml") + ".err")
		if err != nil {
			t.Fatal(err)
		}
		err = load(yamlPath)
		if err == nil {
			t.Fatalf("%s loaded without error", yamlPath)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
			line = strings.Replace(line, filepath.Base(yamlPath), yamlPath, 1)
			if !strings.Contains(err.Error(), line) {
				t.Errorf("error:\n%v\nwant a line containing %q", err, line)
			}
		}
	}
	files, _ := filepath.Glob("../../configs/testdata/invalid-*.yaml")
	if len(files) < 5 {
		t.Fatalf("only %d invalid config examples", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			check(t, f, func(p string) error { _, err := config.Load(p); return err })
		})
	}
	maps, _ := filepath.Glob("../../configs/testdata/mappings/invalid-*.yaml")
	if len(maps) == 0 {
		t.Fatal("no invalid mapping examples in configs/testdata/mappings")
	}
	for _, f := range maps {
		t.Run(filepath.Base(f), func(t *testing.T) {
			check(t, f, func(p string) error {
				_, err := mapping.LoadFile(p)
				var me *mapping.Error
				if err != nil && !errors.As(err, &me) {
					t.Errorf("not a *mapping.Error: %v", err)
				}
				return err
			})
		})
	}
}

// tunduk serve with a real configuration file against the emulator, over
// loopback, then a graceful stop.
func TestServeRunsFromConfig(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	dir, cfgPath, addr, key := gatewayConfig(t, ss.URL, func(dir string) string { return signedLogYAML(t, dir) })

	stop, errOut := startServe(t, cfgPath)
	resp := taxDebtWhenUp(t, addr, key)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"hasDebt":true`) {
		t.Errorf("tax-debt: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		code, b, err := get("http://" + addr + p)
		if err != nil || code != 200 {
			t.Errorf("%s: %d %v", p, code, err)
			continue
		}
		if p == "/metrics" && !strings.Contains(b, `tunduk_gateway_checks_total{check="tax-debt"`) {
			t.Errorf("metrics lack the check counter")
		}
	}
	stop()
	if n := logBytes(t, dir); n == 0 {
		t.Errorf("nothing recorded in the signed message log")
	}
	logs := errOut.String()
	if !strings.Contains(logs, "/v1/suppliers/**********0561/tax-debt") {
		t.Errorf("request log line missing or unmasked:\n%s", logs)
	}
	if strings.Contains(logs, "02207200800561") || strings.Contains(logs, "21504197800123") || strings.Contains(logs, key) {
		t.Errorf("identifier or key in logs:\n%s", logs)
	}
}

// gatewayConfig writes dir/tunduk.yaml for a gateway on a free loopback
// address in front of the security server at ssURL, its one caller
// authenticated by the returned API key, with the shipped mappings and a
// journal below dir; more(dir) is appended as further top-level sections.
func gatewayConfig(t *testing.T, ssURL string, more func(dir string) string) (dir, cfgPath, addr, key string) {
	t.Helper()
	dir = t.TempDir()
	key = strings.Repeat("k", 40)
	if err := os.WriteFile(filepath.Join(dir, "portal.key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mappings, _ := filepath.Abs("../../configs/mappings")
	addr = freeAddr(t)
	cfgText := fmt.Sprintf(`log: {level: info}
securityServer:
  url: %s
  client: %s
  userIdPrefix: KG
gateway:
  listen: %s
  callers:
    - {name: portal, apiKeyFile: portal.key, checks: ["*"]}
  mappingsDir: %s
%s`, ssURL, fixtures.PortalClient, addr, mappings, more(dir))
	cfgPath = filepath.Join(dir, "tunduk.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, cfgPath, addr, key
}

// taxDebtWhenUp asks the gateway at addr for a tax-debt check until serve
// is up, and returns the answer (the caller closes its body).
func taxDebtWhenUp(t *testing.T, addr, key string) *http.Response {
	t.Helper()
	for i := 0; ; i++ {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/suppliers/02207200800561/tax-debt", nil)
		req.Header.Set("X-API-Key", key)
		req.Header.Set("X-User-Id", "21504197800123")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			return resp
		}
		if i > 100 {
			t.Fatalf("serve did not come up: %v", err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// testOptions are serve's options on a test factory reading cfgPath and
// logging to errOut.
func testOptions(cfgPath string, errOut io.Writer) *ServeOptions {
	f := cli.New(cli.IOStreams{Out: io.Discard, ErrOut: errOut})
	f.ConfigFlag = cfgPath
	return newServeOptions(f)
}

// get fetches url: its status and body.
func get(url string) (int, string, error) {
	r, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	return r.StatusCode, string(b), err
}

// startServe runs serve on cfgPath in the background; stop ends it (as
// SIGINT/SIGTERM would) and fails the test unless it stopped cleanly;
// errOut is its log.
func startServe(t *testing.T, cfgPath string) (stop func(), errOut *clitest.SyncBuffer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	errOut = &clitest.SyncBuffer{}
	go func() { done <- serveRun(ctx, testOptions(cfgPath, errOut)) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v\n%s", err, errOut.String())
		}
	}, errOut
}
