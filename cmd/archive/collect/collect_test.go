package collect_test

import (
	"github.com/spf13/cobra"

	"os"
	"path/filepath"
	"strings"
	"testing"

	collectcmd "github.com/tunduk-kg/tunduk/cmd/archive/collect"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func TestCollectOnce(t *testing.T) {
	cdir := corpus.Dir(t, "archive")
	src, dst := t.TempDir(), t.TempDir()
	data, _ := os.ReadFile(filepath.Join(cdir, "message-archive-0.zip"))
	os.WriteFile(filepath.Join(src, "mlog-20231023121255-20231023121255-9011ab557706b505.zip"), data, 0o640)
	run := func() (string, error) {
		r := clitest.Exec(func(f *cli.Factory) *cobra.Command { return collectcmd.NewCmdCollect(f, nil) }, "--once", "--source", src, "--target", dst)
		return r.Out, r.Err
	}
	out, err := run()
	if err != nil || !strings.HasPrefix(out, "OK ") {
		t.Fatalf("first run: %q %v", out, err)
	}
	// A second chain start after it is a gap: exit 1.
	data, _ = os.ReadFile(filepath.Join(cdir, "logarchive", "mlog-WITH_LINKINGINFO.zip"))
	os.WriteFile(filepath.Join(src, "mlog-20231024000000-20231024000000-624334053a96e0e1.zip"), data, 0o640)
	out, err = run()
	if cli.CodeOf(err) != cli.ExitInvalid || !strings.HasPrefix(out, "GAP") {
		t.Fatalf("gap run: %q %v", out, err)
	}
}
