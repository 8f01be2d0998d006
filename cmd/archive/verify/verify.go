// Package verify is `tunduk archive verify`: check X-Road message-log
// containers, archives and archive chains without the running service.
package verify

import (
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// VerifyOptions are the verb's inputs.
type VerifyOptions struct {
	IO cli.IOStreams
	// Paths are containers (.asice), archives (mlog-*.zip) or directories.
	Paths []string
	// VerificationConf is a directory with the instance's global
	// configuration (shared-params.xml); "" skips trust checks.
	VerificationConf string
	// Prev is the previous archive's last linking digest; First says the
	// first archive starts a chain.
	Prev  string
	First bool
	// Output is "table" or "json".
	Output string
	// Progress shows progress on stderr.
	Progress bool
	// GPGKey is a file with the OpenPGP private key that opens the security
	// server's encrypted archives (*.zip.gpg).
	GPGKey string
}

var hexDigest = regexp.MustCompile(`^[0-9a-fA-F]{64,128}$`)

// NewCmdVerify returns the verify verb; runF nil runs it for real.
func NewCmdVerify(f *cli.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "verify PATH...",
		Short: "Verify message-log containers, archives and archive chains",
		Long: `Verify ASiC-E containers (.asice) and mlog-*.zip archives written by tunduk or
by an X-Road security server (/var/lib/xroad/mlog-*.zip): linkinginfo chains,
hash chains, signatures against the embedded certificate, time-stamps and, with
--verificationconf (the security server's globalconf directory), certificate
chains and TSAs at signing/time-stamp time. Directories are searched; archives
are put in chain order and gaps between them reported.

Prints each archive's last linking digest (what the next archive links to).
Exits 0 when everything is valid, 1 otherwise, naming per failure the file, the
container and X-Road's error code.

With --output json the report is one object with camelCase keys: {valid,
files: [{path, kind, containers, lastDigest, problems: [{container, code,
message}], warnings}], containers, bytes, problems}.`,
		Example: `  tunduk archive verify /var/lib/xroad/
  tunduk archive verify -f mlog-20260101000000-20260101010000-0a1b2c3d4e5f6a7b.zip
  tunduk archive verify --verificationconf /etc/xroad/globalconf --output json message.asice`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Paths = args
			if opts.Prev != "" && (opts.First || !hexDigest.MatchString(opts.Prev)) {
				return cli.UsageError("--prev takes a hex digest and excludes -f")
			}
			opts.Progress = !c.Flags().Changed("progress") && isTerminal(opts.IO.ErrOut) || opts.Progress
			if runF != nil {
				return runF(opts)
			}
			return verifyRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.VerificationConf, "verificationconf", "", "directory with the X-Road global configuration (shared-params.xml)")
	cmd.Flags().StringVar(&opts.Prev, "prev", "", "last linking digest of the archive before the first one given")
	cmd.Flags().BoolVarP(&opts.First, "first", "f", false, "the first archive starts a new chain")
	cli.AddOutputFlag(cmd, &opts.Output)
	cmd.Flags().BoolVar(&opts.Progress, "progress", false, "show progress on stderr (default when stderr is a terminal)")
	cmd.Flags().StringVar(&opts.GPGKey, "gpg-key", "", "OpenPGP private key (gpg --export-secret-keys) for encrypted archives (*.zip.gpg)")
	return cmd
}

func verifyRun(opts *VerifyOptions) error {
	vo := verify.Options{}
	if opts.VerificationConf != "" {
		t, err := verify.LoadTrust(opts.VerificationConf)
		if err != nil {
			return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
		}
		vo.Trust = t
	}
	if opts.GPGKey != "" {
		keys, err := verify.ReadKeyRing(opts.GPGKey)
		if err != nil {
			return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
		}
		vo.Decrypt = keys
	}
	if opts.Progress {
		vo.Progress = progress(opts.IO.ErrOut)
	}
	rep, err := verify.New(vo).Paths(opts.Paths, verify.ChainOptions{Prev: opts.Prev, First: opts.First})
	if opts.Progress {
		fmt.Fprintln(opts.IO.ErrOut)
	}
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	if opts.Output == cli.OutputJSON {
		err = rep.WriteJSON(opts.IO.Out)
	} else {
		err = rep.WriteText(opts.IO.Out)
	}
	if err != nil {
		return err
	}
	if !rep.Valid() {
		return cli.Invalid()
	}
	return nil
}

// progress shows how far verification is, on one line of w.
func progress(w io.Writer) func(done, total int64) {
	return func(done, total int64) {
		if total > 0 {
			fmt.Fprintf(w, "\rverifying: %3d%% (%d of %d MB)", done*100/total, done>>20, total>>20)
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
