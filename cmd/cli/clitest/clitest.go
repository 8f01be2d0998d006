// Package clitest is the one test factory of the tunduk commands (the
// GitHub CLI's iostreams.Test is the model): a cli.Factory whose streams
// are buffers, and Run, which executes a command the way the root does and
// returns what it printed and its exit code.
package clitest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/testkit"
)

// Streams are the buffers behind a test factory's IO.
type Streams struct {
	In          *bytes.Buffer
	Out, ErrOut *bytes.Buffer
}

// New returns a factory with buffer-backed streams and an empty stdin. Its
// configuration lookup is the real one: tests name their file with
// --config (a test that sets $TUNDUK_CONFIG uses t.Setenv).
func New() (*cli.Factory, *Streams) {
	s := &Streams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	return cli.New(cli.IOStreams{In: s.In, Out: s.Out, ErrOut: s.ErrOut}), s
}

// SyncBuffer is a bytes.Buffer that a running command's logger and the
// test may use at once (testkit.SyncBuffer).
type SyncBuffer = testkit.SyncBuffer

// Result is what one command run printed and how it ended.
type Result struct {
	Out, ErrOut string
	Code        cli.ExitCode
	Err         error
}

// String is everything printed, the error last, for failure messages.
func (r Result) String() string {
	s := r.Out + r.ErrOut
	if r.Err != nil {
		s += r.Err.Error()
	}
	return s
}

// Run executes cmd (built on f) with args and reports the result; cobra's
// own usage and error printing go to the factory's stderr buffer.
func Run(f *cli.Factory, cmd *cobra.Command, args ...string) Result {
	out, _ := f.IO.Out.(*bytes.Buffer)
	errOut, _ := f.IO.ErrOut.(*bytes.Buffer)
	cmd.SetArgs(args)
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	r := Result{Code: cli.CodeOf(err), Err: err}
	if out != nil {
		r.Out = out.String()
	}
	if errOut != nil {
		r.ErrOut = errOut.String()
	}
	return r
}

// Exec is New and Run in one: a fresh factory for a command built by
// newCmd.
func Exec(newCmd func(*cli.Factory) *cobra.Command, args ...string) Result {
	f, _ := New()
	return Run(f, newCmd(f), args...)
}

// Parse runs the verb built by newCmd, given a runF that keeps what it is
// handed, with args as the root would, and returns the parsed options (nil
// when the verb failed before running), the factory and the error.
func Parse[O any](newCmd func(*cli.Factory, func(*O) error) *cobra.Command, args ...string) (*O, *cli.Factory, error) {
	f, _ := New()
	var got *O
	err := Run(f, newCmd(f, func(o *O) error { got = o; return nil }), args...).Err
	return got, f, err
}

// NoConfig makes the configuration lookup find nothing for the rest of t:
// $TUNDUK_CONFIG names a file that does not exist.
func NoConfig(t testing.TB) {
	t.Setenv(cli.ConfigEnv, filepath.Join(t.TempDir(), "none.yaml"))
}

// FlagCase is one row of a verb's flag table: the arguments and the
// options they parse to, or that the verb refuses them.
type FlagCase[O any] struct {
	Args    []string
	Want    O
	WantErr bool
}

// CheckFlags runs each case with a fresh factory and no configuration (see
// NoConfig) and compares the parsed options, after clean has zeroed what is
// not compared (the streams, unexported helpers), with Want.
func CheckFlags[O comparable](t *testing.T, newCmd func(*cli.Factory, func(*O) error) *cobra.Command, clean func(*O), cases []FlagCase[O]) {
	t.Helper()
	for _, tc := range cases {
		NoConfig(t)
		got, _, err := Parse(newCmd, tc.Args...)
		if (err != nil) != tc.WantErr {
			t.Fatalf("%v: err = %v", tc.Args, err)
		}
		if err != nil {
			continue
		}
		clean(got)
		if *got != tc.Want {
			t.Errorf("%v: got %+v, want %+v", tc.Args, *got, tc.Want)
		}
	}
}

// ParseCase is one row of a flag table for options that cannot be
// compared whole (they hold functions): the arguments, the exit code
// parsing them ends with, and, when it is ExitOK, what must hold of the
// parsed options (nil: nothing more).
type ParseCase[O any] struct {
	Args []string
	Code cli.ExitCode
	OK   func(*O) bool
}

// CheckParse runs each case with Parse and checks its exit code and, for
// the cases that parse, OK.
func CheckParse[O any](t *testing.T, newCmd func(*cli.Factory, func(*O) error) *cobra.Command, cases []ParseCase[O]) {
	t.Helper()
	for _, tc := range cases {
		got, _, err := Parse(newCmd, tc.Args...)
		if code := cli.CodeOf(err); code != tc.Code {
			t.Errorf("%v: exit %d (%v), want %d", tc.Args, code, err, tc.Code)
			continue
		}
		if err == nil && tc.OK != nil && !tc.OK(got) {
			t.Errorf("%v: got %+v", tc.Args, got)
		}
	}
}

// Verb is Exec for a verb's constructor (the form that takes a runF),
// run for real, with stdin as its standard input.
func Verb[O any](newCmd func(*cli.Factory, func(*O) error) *cobra.Command, stdin string, args ...string) Result {
	f, s := New()
	s.In.WriteString(stdin)
	return Run(f, newCmd(f, nil), args...)
}

// Contains reports whether every want is in s.
func Contains(s string, want ...string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// Streams returns stdout, stderr with the error appended, and the exit
// code: what an operator would see.
func (r Result) Streams() (out, errOut string, code cli.ExitCode) {
	errOut = r.ErrOut
	if r.Err != nil {
		errOut += r.Err.Error()
	}
	return r.Out, errOut, r.Code
}

// FileKey writes an ECDSA P-256 key (PKCS#8 PEM, mode 0600) and a
// self-signed certificate for it (valid for a day around now) into dir as
// NAME.pem and NAME.crt, as `tunduk keys generate` and `import-cert`
// would, and returns their paths.
func FileKey(t testing.TB, dir, name string) (keyPath, certPath string) {
	t.Helper()
	return FileKeyFor(t, dir, name, "70000001")
}

// FileKeyFor is FileKey with a certificate for the member with the given
// code (subject CN), as the message-log verifier checks the signer's
// certificate against the member in each message (X-Road's
// verifySignerName).
func FileKeyFor(t testing.TB, dir, name, memberCode string) (keyPath, certPath string) {
	t.Helper()
	key, cert := certstest.SelfSigned(t, &x509.Certificate{Subject: pkix.Name{Country: []string{"KG"}, Organization: []string{"Test"}, CommonName: memberCode},
		NotBefore: time.Now().Add(-12 * time.Hour), NotAfter: time.Now().Add(12 * time.Hour), KeyUsage: x509.KeyUsageContentCommitment})
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, certPath = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".crt")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, certstest.PEM(cert), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyPath, certPath
}

// OpenLog opens the message log configured in cfgPath with its
// messageLog.signingKey, as a running serve would; mod, when set, adjusts
// the options first. closeAll closes the log and then the key.
func OpenLog(t testing.TB, cfgPath string, mod func(*msglog.Options)) (l *msglog.Log, closeAll func() error) {
	t.Helper()
	f := cli.New(cli.IOStreams{})
	f.ConfigFlag = cfgPath
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	closeAll, err = f.WithLogKey(context.Background(), zap.NewNop(), func(signer crypto.Signer, cert *x509.Certificate) (io.Closer, error) {
		lo, err := cfg.MessageLog.LogOptions(signer, cert, zap.NewNop())
		if err != nil {
			return nil, err
		}
		if mod != nil {
			mod(&lo)
		}
		l, err = msglog.Open(lo)
		return l, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return l, closeAll
}

// Archive appends records to the message log configured in cfgPath (see
// OpenLog) and rotates them into one archive, as a running serve would
// have, so archive commands have something to read.
func Archive(t testing.TB, cfgPath string, records ...*msglog.Record) {
	t.Helper()
	l, closeAll := OpenLog(t, cfgPath, nil)
	defer closeAll()
	ctx := context.Background()
	for _, r := range records {
		if _, err := l.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
}

// SignedLogConfig writes dir/tunduk.yaml with a file signing key (made with
// FileKey) as messageLog.signingKey, the log and its archives under dir,
// and roles as messageLog.access.roles (YAML list items, indented by six
// spaces); more is appended as further top-level sections. It returns the
// file's path.
func SignedLogConfig(t testing.TB, dir, roles, more string) string {
	t.Helper()
	FileKey(t, dir, "mlog")
	return WriteConfig(t, dir, fmt.Sprintf(`keys:
  mlog:
    uri: file:%[1]s/mlog.pem
    certificate: %[1]s/mlog.crt
messageLog:
  signingKey: mlog
  dir: %[1]s/msglog
  archiveDir: %[1]s/archive
  access:
    roles:
%[2]s
%[3]s`, dir, strings.TrimRight(roles, "\n"), more))
}

// WriteConfig writes text as dir/tunduk.yaml (mode 0600), failing t when
// it cannot, and returns the file's path for --config. An empty dir is a
// fresh temporary directory.
func WriteConfig(t testing.TB, dir, text string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "tunduk.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
