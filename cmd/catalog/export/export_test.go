package export

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    ExportOptions
		wantErr bool
	}{
		{[]string{"--out", "o"}, ExportOptions{Dir: "configs/catalog", Out: "o"}, false},
		{[]string{"--out", "o", "--dir", "d"}, ExportOptions{Dir: "d", Out: "o"}, false},
		{nil, ExportOptions{}, true},
		{[]string{"--out", "o", "extra"}, ExportOptions{}, true},
	} {
		var got *ExportOptions
		f, _ := clitest.New()
		err := clitest.Run(f, NewCmdExport(f, func(o *ExportOptions) error { got = o; return nil }), tc.args...).Err
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil {
			got.IO = cli.IOStreams{}
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
	for _, name := range []string{"catalog.json", "index.html"} {
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
