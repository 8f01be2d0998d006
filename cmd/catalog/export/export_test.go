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
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    ExportOptions
		wantErr bool
	}{
		{[]string{"--out", "o", "c"}, ExportOptions{Dir: "c", Out: "o"}, false},
		{[]string{"--out", "o", "--force", "c"}, ExportOptions{Dir: "c", Out: "o", Force: true}, false},
		{[]string{"--out", "o"}, ExportOptions{}, true}, // no DIR, no configuration
		{[]string{"--out", "o", "--dir", "d"}, ExportOptions{Dir: "d", Out: "o"}, false},
		{nil, ExportOptions{}, true},
		{[]string{"--out", "o", "c", "extra"}, ExportOptions{}, true},
	} {
		var got *ExportOptions
		t.Setenv(cli.ConfigEnv, filepath.Join(t.TempDir(), "none.yaml"))
		f, _ := clitest.New()
		err := clitest.Run(f, NewCmdExport(f, func(o *ExportOptions) error { got = o; return nil }), tc.args...).Err
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil {
			got.IO, got.dirs = cli.IOStreams{}, catalogflags.Dir{}
			if *got != tc.want {
				t.Errorf("%v: got %+v, want %+v", tc.args, *got, tc.want)
			}
		}
	}
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
		f, _ := clitest.New()
		return clitest.Run(f, NewCmdExport(f, nil), append([]string{"../../../configs/catalog", "--out", out}, args...)...)
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
