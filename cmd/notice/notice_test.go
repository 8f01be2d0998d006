package notice_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	noticecmd "github.com/tunduk-kg/tunduk/cmd/notice"
	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
)

const svc = "central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1"

// TestNoticeIssueAndList: maintenance is recorded in the signed log, sent
// to the webhook (signed), listed by ls; an outage whose webhook refuses
// it exits 1 and is listed as not delivered.
func TestNoticeIssueAndList(t *testing.T) {
	var mu sync.Mutex
	var got []notice.Notice
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Tunduk-Signature") != notice.Sign("hook-secret", body) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var n notice.Notice
		_ = json.Unmarshal(body, &n)
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
	}))
	defer hook.Close()
	dir := t.TempDir()
	cfg := clitest.SignedLogConfig(t, dir, "", `notices:
  journal: notices.jsonl
  backoff: 1ms
  webhooks:
    - {url: `+hook.URL+`, secret: hook-secret}
`)
	r := clitest.Exec(noticecmd.NewCmdNotice, "maintenance", "--config", cfg, "--services", svc, "--from", "2026-12-05T02:00:00+06:00",
		"--to", "2026-12-05T04:00:00+06:00", "--text", "Плановые работы")
	if r.Code != cli.ExitOK || !clitest.Contains(r.Out, "recorded in the signed log as mlog:", "webhook "+hook.URL+": sent (1 attempts)") {
		t.Fatalf("maintenance: %s", r)
	}
	mu.Lock()
	if len(got) != 1 || got[0].Kind != notice.Maintenance || got[0].Services[0] != svc || got[0].Text != "Плановые работы" {
		t.Fatalf("webhook got %+v", got)
	}
	mu.Unlock()

	r = clitest.Exec(noticecmd.NewCmdNotice, "outage", "--config", cfg, "--services", "not-a-service", "--text", "down")
	if r.Code != cli.ExitUsage || !strings.Contains(r.ErrOut+r.Err.Error(), `service "not-a-service"`) {
		t.Fatalf("bad service: %s", r)
	}

	r = clitest.Exec(noticecmd.NewCmdNotice, "ls", "--config", cfg, "-o", "json")
	var entries []notice.Entry
	if err := json.Unmarshal([]byte(r.Out), &entries); err != nil || len(entries) != 1 {
		t.Fatalf("ls json: %v %s", err, r)
	}
	if e := entries[0]; e.SignedSeq == 0 || e.Notice.Kind != notice.Maintenance || len(e.Deliveries) != 1 || e.Deliveries[0].Error != "" {
		t.Fatalf("ls entry = %+v", e)
	}
	r = clitest.Exec(noticecmd.NewCmdNotice, "ls", "--config", cfg)
	if r.Code != cli.ExitOK || !clitest.Contains(r.Out, "maintenance", "2026-12-04T20:00:00Z", "mlog:", "1/1") {
		t.Fatalf("ls: %s", r)
	}

	// A webhook that refuses the notice: exit 1, recorded and listed as not delivered.
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	defer refuse.Close()
	dir2 := t.TempDir()
	cfg2 := clitest.SignedLogConfig(t, dir2, "", "notices:\n  journal: notices.jsonl\n  backoff: 1ms\n  webhooks:\n    - {url: "+refuse.URL+"}\n")
	r = clitest.Exec(noticecmd.NewCmdNotice, "outage", "--config", cfg2, "--services", svc, "--text", "down")
	if r.Code != cli.ExitFailure || !clitest.Contains(r.Out, "FAILED: webhook answered 404 Not Found") {
		t.Fatalf("refused webhook: %s", r)
	}
	r = clitest.Exec(noticecmd.NewCmdNotice, "ls", "--config", cfg2)
	if !clitest.Contains(r.Out, "outage", "0/1") {
		t.Fatalf("ls after a failed delivery: %s", r)
	}
}
