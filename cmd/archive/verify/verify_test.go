package verify

import (
	"github.com/spf13/cobra"

	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func TestFlags(t *testing.T) {
	const d = "9011ab557706b5050584d6888af7b390e5350f4edad296bd7a582aa51732aac7f49a4ec44dd361027945ade0de8b8cf607fb7b7d11f17b0560d44b965c358eaa"
	for _, c := range []struct {
		args     []string
		wantCode cli.ExitCode
		check    func(*VerifyOptions) bool
	}{
		{[]string{"a.zip"}, 0, func(o *VerifyOptions) bool { return o.Output == cli.OutputTable && !o.First && len(o.Paths) == 1 }},
		{[]string{"-f", "a.zip", "b.zip"}, 0, func(o *VerifyOptions) bool { return o.First && len(o.Paths) == 2 }},
		{[]string{"--prev", d, "a.zip"}, 0, func(o *VerifyOptions) bool { return o.Prev == d }},
		{[]string{"--verificationconf", "conf", "-o", "json", "x.asice"}, 0, func(o *VerifyOptions) bool { return o.VerificationConf == "conf" && o.Output == "json" }},
		{[]string{"--cert", "c.pem", "--checkpoint", "a.txt", "--checkpoint", "b.txt", "d"}, 0, func(o *VerifyOptions) bool {
			return o.Cert == "c.pem" && len(o.Checkpoints) == 2 && o.Checkpoints[1] == "b.txt"
		}},
		{[]string{}, cli.ExitUsage, nil},
		{[]string{"--prev", "xyz", "a.zip"}, cli.ExitUsage, nil},
		{[]string{"--prev", d, "-f", "a.zip"}, cli.ExitUsage, nil},
		{[]string{"--output", "yaml", "a.zip"}, cli.ExitUsage, nil},
	} {
		var got *VerifyOptions
		err := clitest.Exec(func(f *cli.Factory) *cobra.Command {
			return NewCmdVerify(f, func(o *VerifyOptions) error { got = o; return nil })
		}, c.args...).Err
		code := cli.CodeOf(err)
		if c.wantCode == cli.ExitUsage && err != nil && code != cli.ExitUsage && strings.Contains(err.Error(), "arg") {
			code = cli.ExitUsage // cobra's own argument-count error
		}
		if code != c.wantCode {
			t.Errorf("%v: exit %d, want %d (%v)", c.args, code, c.wantCode, err)
			continue
		}
		if c.check != nil && (got == nil || !c.check(got)) {
			t.Errorf("%v: options %+v", c.args, got)
		}
	}
}

func run(t *testing.T, args ...string) (string, cli.ExitCode) {
	t.Helper()
	r := clitest.Exec(func(f *cli.Factory) *cobra.Command { return NewCmdVerify(f, nil) }, args...)
	return r.Out, r.Code
}

func TestRunCorpus(t *testing.T) {
	dir := corpus.Dir(t, "archive")
	out, code := run(t, "-f", filepath.Join(dir, "message-archive-0.zip"), filepath.Join(dir, "message-archive-1.zip"))
	if code != cli.ExitOK || !strings.Contains(out, "last digest 1bdf9efbf998d9c15a2137d898c9a742059ab2072a4e2ef0c7c8e0d61f7574c5efcd4c7e27d0684ab16fb1f989ab290c0a98d23b26e28361649e75b566b7ac36") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// Archive 1 alone with -f: it does not start a chain.
	out, code = run(t, "-f", filepath.Join(dir, "message-archive-1.zip"))
	if code != cli.ExitInvalid || !strings.Contains(out, "InvalidLogArchive.PrevDigestMismatch") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, code = run(t, "-o", "json", "-f", filepath.Join(dir, "logarchive", "mlog-WITH_INVALID_LINKINGINFO.zip"))
	var rep struct {
		Valid bool
		Files []struct {
			Problems []struct{ Container, Code string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err, out)
	}
	if code != cli.ExitInvalid || rep.Valid || rep.Files[0].Problems[0].Code != "InvalidLogArchive.DigestMismatch" ||
		rep.Files[0].Problems[0].Container != "1234567890-request-OUxhMqY0Kx.asice" {
		t.Fatalf("exit %d\n%s", code, out)
	}
	asicDir := corpus.Dir(t, "asic")
	out, code = run(t, "--verificationconf", filepath.Join(asicDir, "verificationconf"), filepath.Join(asicDir, "asic-verifier-cli", "wrong-message.asice"))
	if code != cli.ExitInvalid || !strings.Contains(out, "wrong-message.asice: InvalidSignatureValue") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if _, code = run(t, filepath.Join(dir, "missing.zip")); code != cli.ExitFailure {
		t.Fatalf("missing file: exit %d", code)
	}
}
