package repair_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/cmd/msglog/repair"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

func run(args ...string) (string, error) {
	r := clitest.Verb(repair.NewCmdRepair, "", args...)
	return r.Out + r.ErrOut, r.Err
}

func TestRepairFlags(t *testing.T) {
	got, _, err := clitest.Parse(repair.NewCmdRepair, "--config", "x.yaml", "--actor", "op", "--json")
	if err != nil || got.Actor != "op" || !got.JSON {
		t.Fatalf("%+v %v", got, err)
	}
	if _, _, err := clitest.Parse(repair.NewCmdRepair, "extra"); err == nil {
		t.Fatal("extra argument accepted")
	}
}

// TestRepairRun: a journal damaged in its middle is repaired through the
// command, which reports the quarantine and the signed record.
func TestRepairRun(t *testing.T) {
	dir := t.TempDir()
	cfgPath := clitest.SignedLogConfig(t, dir, "      - {name: auditor, actions: [ls], purposes: [audit]}", "")

	// No journal yet: a clear error, nothing created.
	if out, err := run("--config", cfgPath, "--actor", "op"); err == nil || !strings.Contains(err.Error(), "repair") {
		t.Fatalf("repair without a journal: %v\n%s", err, out)
	}
	l, closeAll := clitest.OpenLog(t, cfgPath, func(o *msglog.Options) { o.SegmentSize = 4096 })
	for i := 0; i < 30; i++ {
		if _, err := l.Append(context.Background(), &msglog.Record{Type: msglog.TypeExchange, Member: "central-server/GOV/70000001/portal",
			Exchange: &msglog.Exchange{MessageID: fmt.Sprintf("m%d", i), Request: msglog.Message{Body: bytes.Repeat([]byte("x"), 300)}}}); err != nil {
			t.Fatal(err)
		}
	}
	closeAll()
	out, err := run("--config", cfgPath, "--actor", "op")
	if err != nil || !strings.Contains(out, "nothing to repair") {
		t.Fatalf("sound journal: %v\n%s", err, out)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "msglog", "journal", "*.seg"))
	sort.Strings(segs)
	b, _ := os.ReadFile(segs[0])
	b[len(b)/2] ^= 0xff
	os.WriteFile(segs[0], b, 0o600)
	out, err = run("--config", cfgPath, "--actor", "op")
	if err != nil || !strings.Contains(out, "quarantine-") || !strings.Contains(out, "recorded as mlog:") {
		t.Fatalf("repair: %v\n%s", err, out)
	}
}
