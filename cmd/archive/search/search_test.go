package search_test

import (
	"encoding/json"
	"github.com/spf13/cobra"

	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/archive/search"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// setup writes a configuration with a file key, fills the exchange log
// with 6 records in one archive and returns the configuration path.
func setup(t *testing.T) (string, *config.Config) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := clitest.SignedLogConfig(t, dir, `      - name: auditor
        actions: [ls, search, export]
        purposes: [audit]
      - name: support
        actions: [ls]
        purposes: [incident]
`, "")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var records []*msglog.Record
	for i := 0; i < 6; i++ {
		records = append(records, &msglog.Record{Type: msglog.TypeExchange, Member: "central-server/GOV/70000001/portal",
			Exchange: &msglog.Exchange{MessageID: fmt.Sprintf("m%d", i), UserID: "officer7", Issue: fmt.Sprintf("tender-%d", i%2),
				Subjects: []string{"01234567890123"}, Service: "central-server/GOV/70000002/gns-service/x/v1", Outcome: "ok"}})
	}
	clitest.Archive(t, cfgPath, records...)
	return cfgPath, cfg
}

func run(args ...string) (string, string, error) {
	r := clitest.Exec(func(f *cli.Factory) *cobra.Command { return search.NewCmdSearch(f, nil) }, args...)
	return r.Out, r.ErrOut, r.Err
}

func TestSearchFlags(t *testing.T) {
	tests := []struct {
		args []string
		code cli.ExitCode
		want func(*search.SearchOptions) bool
	}{
		{[]string{"--role", "a", "--purpose", "p", "--inn", "01234567890123", "--from", "2026-01-01"}, cli.ExitOK,
			func(o *search.SearchOptions) bool {
				return o.Query.Subject == "01234567890123" && o.Query.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			}},
		{[]string{"--purpose", "p"}, cli.ExitUsage, nil},
		{[]string{"--role", "a"}, cli.ExitUsage, nil},
		{[]string{"--role", "a", "--purpose", "p", "--from", "yesterday"}, cli.ExitUsage, nil},
		{[]string{"--role", "a", "--purpose", "p", "--from", "2026-02-01", "--to", "2026-01-01"}, cli.ExitUsage, nil},
		{[]string{"--role", "a", "--purpose", "p", "-o", "yaml"}, cli.ExitUsage, nil},
	}
	for _, tt := range tests {
		var got *search.SearchOptions
		err := clitest.Exec(func(f *cli.Factory) *cobra.Command {
			return search.NewCmdSearch(f, func(o *search.SearchOptions) error { got = o; return nil })
		}, tt.args...).Err
		if cli.CodeOf(err) != tt.code {
			t.Errorf("%v: exit %d (%v), want %d", tt.args, cli.CodeOf(err), err, tt.code)
		}
		if tt.want != nil && (got == nil || !tt.want(got)) {
			t.Errorf("%v: options %+v", tt.args, got)
		}
	}
}

func TestSearchRecordsTheRead(t *testing.T) {
	cfgPath, cfg := setup(t)
	out, errOut, err := run("--config", cfgPath, "--role", "auditor", "--purpose", "audit", "--issue", "tender-1", "--officer", "officer7")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, id := range []string{"m1", "m3", "m5"} {
		if !strings.Contains(out, id) {
			t.Errorf("output lacks %s:\n%s", id, out)
		}
	}
	if strings.Contains(out, "m2") || !strings.Contains(errOut, "recorded in the access log as mlog:1") {
		t.Errorf("output:\n%s\nstderr: %s", out, errOut)
	}
	// The support role may only list: refused, and the refusal recorded.
	_, errOut, err = run("--config", cfgPath, "--role", "support", "--purpose", "incident", "--inn", "01234567890123")
	if err == nil || !strings.Contains(err.Error(), "does not allow search") || !strings.Contains(errOut, "recorded in the access log as mlog:") {
		t.Fatalf("support search: %v / %s", err, errOut)
	}
	// Both reads are signed records in the access journal; archive it and look.
	signer, cert, closeKey, _ := cfg.MessageLogSigner(context.Background(), zap.NewNop())
	defer closeKey()
	ao, _ := cfg.MessageLog.AccessOptions(signer, cert, zap.NewNop())
	j, err := msglog.Open(ao.Journal)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	j.Close()
	as, _ := msglog.ListArchives(ao.Journal.ArchiveDir)
	var got []string
	for _, a := range as {
		msglog.ReadArchive(a.Path, nil, func(_ string, _ []byte, r *msglog.Record) error {
			got = append(got, fmt.Sprintf("%s/%s/%s/%s", r.Event.Role, r.Event.Purpose, r.Event.Action, r.Event.Outcome))
			return nil
		})
	}
	if fmt.Sprint(got) != "[auditor/audit/search/ok support/incident/search/denied]" {
		t.Fatalf("access log: %v", got)
	}
}

// --output json prints camelCase hits with the signed record inside.
func TestSearchOutputJSON(t *testing.T) {
	cfgPath, _ := setup(t)
	out, errOut, err := run("--config", cfgPath, "--role", "auditor", "--purpose", "audit", "--issue", "tender-1", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var hits []struct {
		ID     string `json:"id"`
		Record struct {
			Type     string `json:"type"`
			Exchange struct {
				MessageID string   `json:"messageId"`
				Subjects  []string `json:"subjects"`
			} `json:"exchange"`
		} `json:"record"`
	}
	if err := json.Unmarshal([]byte(out), &hits); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(hits) != 3 || hits[0].Record.Type != "exchange" || hits[0].Record.Exchange.MessageID != "m1" ||
		len(hits[0].Record.Exchange.Subjects) != 1 || strings.Contains(out, `"MessageID"`) {
		t.Errorf("hits %+v\n%s", hits, out)
	}
}
