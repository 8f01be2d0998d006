package apply_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// With the message log's key configured, applies are recorded in the
// signed administrative log instead of the plain JSON-lines file.
func TestApplyIsRecordedInTheSignedLog(t *testing.T) {
	s := newSetup(t)
	dir := t.TempDir()
	keyPath, certPath := clitest.FileKey(t, dir, "mlog")
	extra := "keys:\n  mlog: {uri: \"file:" + keyPath + "\", certificate: " + certPath + "}\n" +
		"messageLog:\n  dir: " + dir + "/mlog\n  archiveDir: " + dir + "/archive\n  signingKey: mlog\n"
	f, err := os.OpenFile(s.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(extra)
	f.Close()

	if r := s.run(t, "apply", "--as", "n.osmonov"); r.code != cli.ExitOK {
		t.Fatalf("apply: %d\n%s%s", r.code, r.out, r.errOut)
	}
	if _, err := os.Stat(s.log); err == nil {
		t.Error("the unsigned apply log was written although the signed log is configured")
	}

	// Archive the administrative log and read the records back.
	cfg, err := config.Load(s.config)
	if err != nil {
		t.Fatal(err)
	}
	signer, cert, closeKey, err := cfg.MessageLogSigner(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeKey()
	ao, err := cfg.MessageLog.AccessOptions(signer, cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := msglog.Open(ao.Journal)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Close()
	archives, err := msglog.ListArchives(ao.Journal.ArchiveDir)
	if err != nil || len(archives) == 0 {
		t.Fatalf("no archives of the administrative log: %v", err)
	}
	var phases []string
	for _, a := range archives {
		err := msglog.ReadArchive(a.Path, nil, func(_ string, _ []byte, r *msglog.Record) error {
			if r != nil && r.Type == msglog.TypeCatalogApply {
				if r.Event.Actor != "n.osmonov" {
					t.Errorf("apply recorded with actor %q", r.Event.Actor)
				}
				phases = append(phases, r.Event.Action+"="+r.Event.Outcome)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(phases, ","); got != "catalog-apply-begin=started,catalog-apply-end=complete" {
		t.Errorf("recorded phases = %q", got)
	}
}
