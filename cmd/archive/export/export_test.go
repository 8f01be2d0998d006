package export_test

import (
	"github.com/spf13/cobra"

	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/archive/export"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

func setup(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfgPath := clitest.SignedLogConfig(t, dir, "      - {name: auditor, actions: [export], purposes: [court-order]}", "")
	var records []*msglog.Record
	for i := 0; i < 5; i++ {
		records = append(records, &msglog.Record{Type: msglog.TypeExchange,
			Exchange: &msglog.Exchange{MessageID: fmt.Sprintf("m%d", i), Issue: fmt.Sprintf("tender-%d", i%2), Request: msglog.Message{Body: []byte("<q/>")}}})
	}
	clitest.Archive(t, cfgPath, records...)
	return cfgPath
}

func run(args ...string) (string, error) {
	r := clitest.Exec(func(f *cli.Factory) *cobra.Command { return export.NewCmdExport(f, nil) }, args...)
	return r.Out + r.ErrOut, r.Err
}

func TestExportFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code cli.ExitCode
	}{
		{[]string{"--role", "a", "--purpose", "p", "--out", "x.zip", "--issue", "t"}, cli.ExitOK},
		{[]string{"--role", "a", "--purpose", "p"}, cli.ExitUsage},
		{[]string{"--purpose", "p", "--out", "x.zip"}, cli.ExitUsage},
		{[]string{"--role", "a", "--purpose", "p", "--out", "x.zip", "--to", "soon"}, cli.ExitUsage},
	} {
		r := clitest.Exec(func(f *cli.Factory) *cobra.Command {
			return export.NewCmdExport(f, func(*export.ExportOptions) error { return nil })
		}, tt.args...)
		if got := r.Code; got != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.args, got, tt.code)
		}
	}
}

func TestExportWritesVerifiableContainers(t *testing.T) {
	cfg := setup(t)
	out := filepath.Join(t.TempDir(), "evidence.zip")
	msg, err := run("--config", cfg, "--role", "auditor", "--purpose", "court-order", "--issue", "tender-0", "--out", out)
	if err != nil || !strings.Contains(msg, "exported 3 signed containers") || !strings.Contains(msg, "recorded in the access log as mlog:") {
		t.Fatalf("%v: %s", err, msg)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	n := 0
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".asice") {
			continue
		}
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if _, err := verify.New(verify.Options{}).Container(data); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("%d containers exported", n)
	}
	// A purpose the role does not have: refused, nothing written.
	out2 := filepath.Join(t.TempDir(), "x.zip")
	if _, err := run("--config", cfg, "--role", "auditor", "--purpose", "curiosity", "--out", out2); err == nil {
		t.Fatal("export with a foreign purpose succeeded")
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Fatal("refused export left a file")
	}
}
