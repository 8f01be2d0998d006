package catalogflags

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

// Resolve: the argument, then --dir, then catalog.dir of the
// configuration (relative to the file); nothing is assumed otherwise.
func TestResolve(t *testing.T) {
	tmp := t.TempDir()
	withDir := filepath.Join(tmp, "etc", "tunduk.yaml")
	noDir := filepath.Join(tmp, "nodir.yaml")
	os.MkdirAll(filepath.Dir(withDir), 0o755)
	os.WriteFile(withDir, []byte("catalog:\n  dir: catalog\n"), 0o600)
	os.WriteFile(noDir, []byte("catalog:\n  owner: central-server:GOV:1\n"), 0o600)
	missing := filepath.Join(tmp, "missing.yaml")
	for _, tc := range []struct {
		name, config, arg, flag string
		want                    string // directory, or the error's text
		code                    cli.ExitCode
	}{
		{"argument", withDir, "a", "", "a", cli.ExitOK},
		{"--dir", withDir, "", "d", "d", cli.ExitOK},
		{"same twice", "", "d", "d", "d", cli.ExitOK},
		{"twice", "", "a", "d", "given twice", cli.ExitUsage},
		{"catalog.dir, relative to the file", withDir, "", "", filepath.Join(tmp, "etc", "catalog"), cli.ExitOK},
		{"catalog.dir by default", noDir, "", "", "/etc/tunduk/catalog", cli.ExitOK},
		{"no configuration", "", "", "", "no catalog directory: pass the catalog directory (tunduk catalog validate DIR, e.g. tunduk catalog validate configs/catalog", cli.ExitUsage},
		{"named configuration missing", missing, "", "", "missing.yaml", cli.ExitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(cli.ConfigEnv, "")
			if tc.config == "" {
				if _, err := os.Stat(cli.DefaultConfig); err == nil {
					t.Skipf("%s exists on this machine", cli.DefaultConfig)
				}
			}
			f, _ := clitest.New()
			f.ConfigFlag = tc.config
			d := &Dir{Flag: tc.flag, f: f}
			got, err := d.Resolve(tc.arg, "catalog validate")
			if cli.CodeOf(err) != tc.code {
				t.Fatalf("Resolve = %q, %v; want exit %d", got, err, tc.code)
			}
			if err == nil && got != tc.want || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Resolve = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// An unknown service is a usage error that lists the known ones.
func TestFindServiceListsKnown(t *testing.T) {
	c, err := catalog.Load("../../../configs/catalog")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := FindService(c, "getSupplierInfo"); err != nil || s.Code != "getSupplierInfo" {
		t.Fatalf("FindService(getSupplierInfo) = %v, %v", s, err)
	}
	_, err = FindService(c, "getSuplierInfo")
	if cli.CodeOf(err) != cli.ExitUsage {
		t.Fatalf("unknown service: %v, want a usage error", err)
	}
	for _, want := range []string{`no service "getSuplierInfo"`, "supplier-registry/getSupplierInfo/v1 (SOAP)", "supplier-registry/unreliableSupplier/v1 (REST)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
