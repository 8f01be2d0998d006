package cli_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// The one lookup rule: --config, else $TUNDUK_CONFIG, else the default.
func TestConfigPathLookupRule(t *testing.T) {
	f, _ := clitest.New()
	t.Setenv(cli.ConfigEnv, "")
	if p, explicit := f.ConfigPath(); p != cli.DefaultConfig || explicit {
		t.Errorf("nothing set: %s %v", p, explicit)
	}
	t.Setenv(cli.ConfigEnv, "/srv/env.yaml")
	if p, explicit := f.ConfigPath(); p != "/srv/env.yaml" || !explicit {
		t.Errorf("$TUNDUK_CONFIG: %s %v", p, explicit)
	}
	f.ConfigFlag = "flag.yaml"
	if p, explicit := f.ConfigPath(); p != "flag.yaml" || !explicit {
		t.Errorf("--config: %s %v", p, explicit)
	}
	if f.ConfigDir() != "." {
		t.Errorf("ConfigDir = %s", f.ConfigDir())
	}
}

// A command that can work from flags alone gets nil when no file was
// named and the default does not exist, and an error when a named file is
// missing.
func TestOptionalConfig(t *testing.T) {
	t.Setenv(cli.ConfigEnv, "")
	f, _ := clitest.New()
	if _, err := os.Stat(cli.DefaultConfig); err == nil {
		t.Skipf("%s exists on this machine", cli.DefaultConfig)
	}
	if cfg, err := f.OptionalConfig(); cfg != nil || err != nil {
		t.Errorf("no file: %v %v", cfg, err)
	}
	f.ConfigFlag = filepath.Join(t.TempDir(), "missing.yaml")
	if _, err := f.OptionalConfig(); err == nil {
		t.Error("a named but missing file was ignored")
	}
}

// The configuration is loaded once: a second call returns the same value
// even after the file changed.
func TestConfigLoadedOnce(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir)
	f, _ := clitest.New()
	f.ConfigFlag = path
	a, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("not: [valid"), 0o600)
	b, err := f.Config()
	if err != nil || a != b {
		t.Errorf("second Config() = %p, %v; want the first %p", b, err, a)
	}
}

// WithLogKey hands open the signer and certificate of messageLog.signingKey,
// passes open's error on, and its close closes what open returned; the
// archive reader and the administrative log are opened through it.
func TestWithLogKeyClosesBoth(t *testing.T) {
	dir := t.TempDir()
	f, _ := clitest.New()
	f.ConfigFlag = writeConfig(t, dir)
	ctx := context.Background()
	boom := errors.New("boom")
	if _, err := f.WithLogKey(ctx, zap.NewNop(), func(crypto.Signer, *x509.Certificate) (io.Closer, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("open failure: %v", err)
	}
	var order []string
	closeAll, err := f.WithLogKey(ctx, zap.NewNop(), func(s crypto.Signer, c *x509.Certificate) (io.Closer, error) {
		if s == nil || c == nil {
			t.Error("no signer or certificate handed to open")
		}
		return closerFunc(func() error { order = append(order, "log"); return nil }), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := closeAll(); err != nil || fmt.Sprint(order) != "[log]" {
		t.Errorf("close: %v %v", err, order)
	}
	// The archive reader and the administrative log open on the same key.
	rd, closeRd, err := f.ArchiveReader(ctx)
	if err != nil || rd == nil {
		t.Fatalf("ArchiveReader: %v", err)
	}
	if err := closeRd(); err != nil {
		t.Error(err)
	}
	l, closeLog, err := f.AdminLog(ctx)
	if err != nil || l == nil {
		t.Fatalf("AdminLog: %v", err)
	}
	if err := closeLog(); err != nil {
		t.Error(err)
	}
}

// The key manager comes from the Factory, with the backends linked in.
func TestKeyManagerOpensFileKeys(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir)
	f, _ := clitest.New()
	km, err := f.KeyManager(context.Background(), kms.Options{URI: "file:" + filepath.Join(dir, "mlog.pem")})
	if err != nil {
		t.Fatal(err)
	}
	km.Close()
}

// Completion offers the configured roles, the purposes of the role given,
// key names and service identifiers, and nothing (no error) without a
// readable configuration.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	f, _ := clitest.New()
	f.ConfigFlag = writeConfig(t, dir)
	role := "support"
	for _, tc := range []struct {
		name   string
		fn     cli.CompletionFunc
		prefix string
		want   []string
	}{
		{"roles", f.CompleteRoles(), "", []string{"auditor", "support"}},
		{"roles prefix", f.CompleteRoles(), "au", []string{"auditor"}},
		{"purposes of --role", f.CompletePurposes(&role), "", []string{"incident"}},
		{"keys", f.CompleteKeyNames(), "", []string{"mlog"}},
		{"services", f.CompleteServiceIDs(), "", []string{"central-server/GOV/70000041/supplier-registry/getSupplierInfo/v1"}},
	} {
		got, dir := tc.fn(&cobra.Command{}, nil, tc.prefix)
		if !slices.Equal(got, tc.want) || dir != cobra.ShellCompDirectiveNoFileComp {
			t.Errorf("%s: %v (%v), want %v", tc.name, got, dir, tc.want)
		}
	}
	broken, _ := clitest.New()
	broken.ConfigFlag = filepath.Join(dir, "missing.yaml")
	if got, _ := broken.CompleteRoles()(&cobra.Command{}, nil, ""); len(got) != 0 {
		t.Errorf("completion without a configuration: %v", got)
	}
	if got, _ := cli.FirstArg(f.CompleteServiceIDs())(&cobra.Command{}, []string{"x"}, ""); len(got) != 0 {
		t.Errorf("second argument completed: %v", got)
	}
}

// --output takes table or json (text as the older table), nothing else.
func TestOutputFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		code cli.ExitCode
	}{
		{nil, "table", cli.ExitOK},
		{[]string{"-o", "json"}, "json", cli.ExitOK},
		{[]string{"--output", "text"}, "table", cli.ExitOK},
		{[]string{"-o", "yaml"}, "", cli.ExitUsage},
	} {
		var out, got string
		cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { got = out; return nil }}
		cli.AddOutputFlag(cmd, &out)
		f, _ := clitest.New()
		if r := clitest.Run(f, cmd, tc.args...); r.Code != tc.code || (tc.code == cli.ExitOK && got != tc.want) {
			t.Errorf("%v: exit %d, output %q; want %d, %q", tc.args, r.Code, got, tc.code, tc.want)
		}
	}
	var b strings.Builder
	if err := cli.WriteJSON(&b, struct {
		DaysLeft int `json:"daysLeft"`
	}{3}); err != nil || !strings.Contains(b.String(), `"daysLeft": 3`) {
		t.Errorf("WriteJSON: %q %v", b.String(), err)
	}
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

// writeConfig writes a configuration with a file signing key, two archive
// roles and a provider service, and returns its path.
func writeConfig(t *testing.T, dir string) string {
	t.Helper()
	path := clitest.SignedLogConfig(t, dir, `      - name: auditor
        actions: [ls, search, export]
        purposes: [audit]
      - name: support
        actions: [ls]
        purposes: [incident]
`, `provider:
  listen: 127.0.0.1:0
  id: central-server/GOV/70000041/supplier-registry
  services:
    - {code: getSupplierInfo, version: v1, backend: "http://127.0.0.1:1/suppliers/{inn}", required: [inn]}
`)
	return path
}

// The Factory's context ends on SIGINT and on SIGTERM, which is how every
// long-running command (serve, demo, archive collect) stops cleanly; it is
// built once.
func TestContextEndsOnSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		f, _ := clitest.New()
		ctx := f.Context()
		if f.Context() != ctx {
			t.Fatal("a second Context() built another context")
		}
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%v did not end the context", sig)
		}
		f.Stop()
	}
}
