package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// startDemo runs the demo with its journal and archives in dir; base is
// its URL once it has started, out its banner, and stop cancels it and
// returns Run's result.
func startDemo(t *testing.T, dir string) (base string, out *clitest.SyncBuffer, stop func() error) {
	t.Helper()
	out, errOut := &clitest.SyncBuffer{}, &clitest.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, &DemoOptions{IO: cli.IOStreams{Out: out, ErrOut: errOut}, Listen: "127.0.0.1:0", JournalDir: dir, LogLevel: "warn",
			started: func(base string) { started <- base }})
	}()
	select {
	case base = <-started:
	case err := <-done:
		t.Fatalf("demo ended: %v\n%s", err, errOut.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("demo did not start")
	}
	return base, out, func() error { cancel(); return <-done }
}

func TestDemoFlags(t *testing.T) {
	var got *DemoOptions
	f, _ := clitest.New()
	if err := clitest.Run(f, NewCmdDemoWith(f, func(o *DemoOptions) error { got = o; return nil }), "--listen", "127.0.0.1:9999", "--dir", "/tmp/x").Err; err != nil {
		t.Fatal(err)
	}
	if got.Listen != "127.0.0.1:9999" || got.JournalDir != "/tmp/x" || got.LogLevel != "info" {
		t.Errorf("options = %+v", got)
	}
}

// The demo starts, its printed curl command works, and it stops on cancel.
func TestDemoServesThePrintedCurl(t *testing.T) {
	dir := t.TempDir()
	base, out, stop := startDemo(t, dir)
	curl := CurlCommand(base)
	if !strings.Contains(out.String(), curl) {
		t.Fatalf("banner lacks the curl command:\n%s", out.String())
	}
	corpus.RequireTool(t, "curl", "apt-get install curl (the banner was checked, not the command)")
	raw, err := exec.Command("sh", "-c", curl).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	var resp struct {
		Results []struct {
			Check, Status string
			Data          map[string]any
			Evidence      map[string]any
		}
	}
	if err := json.Unmarshal(raw, &resp); err != nil || len(resp.Results) != 4 {
		t.Fatalf("curl answer: %v: %s", err, raw)
	}
	for _, r := range resp.Results {
		if id, _ := r.Evidence["recordId"].(string); r.Status != "ok" || !strings.HasPrefix(id, "mlog:") {
			t.Errorf("%s: %s %v", r.Check, r.Status, r.Evidence)
		}
	}
	if resp.Results[0].Data["hasDebt"] != true {
		t.Errorf("tax debt of the demo supplier: %v", resp.Results[0].Data)
	}
	if err := stop(); err != nil {
		t.Fatalf("demo: %v", err)
	}
	// What the banner says to run works: the archives verify on their own.
	rep, err := verify.New(verify.Options{}).Paths([]string{filepath.Join(dir, "archive")}, verify.ChainOptions{First: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || rep.Containers < 5 { // four gateway exchanges and the provider's founders exchange
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Errorf("demo archives: %d containers, valid=%v\n%s", rep.Containers, rep.Valid(), b.String())
	}
}
