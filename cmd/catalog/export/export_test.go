package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/catalog/catalogflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/internal/catalog/export"
)

func TestFlags(t *testing.T) {
	clitest.CheckFlags(t, NewCmdExport, func(o *ExportOptions) { o.Local = catalogflags.Local{Dir: o.Dir} }, []clitest.FlagCase[ExportOptions]{
		{Args: []string{"--out", "o", "c"}, Want: ExportOptions{Local: catalogflags.Local{Dir: "c"}, Out: "o"}},
		{Args: []string{"--out", "o", "--force", "c"}, Want: ExportOptions{Local: catalogflags.Local{Dir: "c"}, Out: "o", WriteOptions: export.WriteOptions{Force: true}}},
		{Args: []string{"--out", "o"}, WantErr: true}, // no DIR, no configuration
		{Args: []string{"--out", "o", "--dir", "d"}, Want: ExportOptions{Local: catalogflags.Local{Dir: "d"}, Out: "o"}},
		{Args: nil, WantErr: true},
		{Args: []string{"--out", "o", "c", "extra"}, WantErr: true},
	})
}

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	f, s := clitest.New()
	if err := clitest.Run(f, NewCmdExport(f, nil), "--dir", "../../../configs/catalog", "--out", out).Err; err != nil {
		t.Fatalf("%v: %s", err, s.ErrOut.String())
	}
	for _, name := range []string{"catalog.json", "index.html", "ru/index.html", "en/index.html"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile("../../../testdata/catalog/golden/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file", name)
		}
	}
}

// export refuses to overwrite a directory changed since the last export
// and says to pass --force; with --force it overwrites.
func TestRefusesChangedDir(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	exp := func(args ...string) clitest.Result {
		return clitest.Verb(NewCmdExport, "", append([]string{"../../../configs/catalog", "--out", out}, args...)...)
	}
	if r := exp(); r.Code != cli.ExitOK {
		t.Fatalf("first export: %s", r)
	}
	if r := exp(); r.Code != cli.ExitOK {
		t.Fatalf("export over its own output: %s", r)
	}
	os.WriteFile(filepath.Join(out, "index.html"), []byte("edited"), 0o644)
	if r := exp(); r.Code != cli.ExitUsage || !strings.Contains(r.Err.Error(), "index.html") || !strings.Contains(r.Err.Error(), "--force") {
		t.Fatalf("changed directory: %s", r)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "index.html")); string(b) != "edited" {
		t.Fatal("the refused export overwrote index.html")
	}
	if r := exp("--force"); r.Code != cli.ExitOK {
		t.Fatalf("--force: %s", r)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "index.html")); string(b) == "edited" {
		t.Fatal("--force did not overwrite index.html")
	}
}
