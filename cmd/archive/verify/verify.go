// Package verify is `tunduk archive verify`: check X-Road message-log
// containers, archives and archive chains without the running service.
package verify

import (
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/archive/archiveflags"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// VerifyOptions are the verb's inputs.
type VerifyOptions struct {
	IO cli.IOStreams
	// Paths are containers (.asice), archives (mlog-*.zip) or directories.
	Paths []string
	// Verifier is --verificationconf and --gpg-key.
	archiveflags.Verifier
	// Prev is the previous archive's last linking digest; First says the
	// first archive starts a chain.
	Prev  string
	First bool
	// Output is "table" or "json".
	Output string
	// Progress shows progress on stderr.
	Progress bool
	// Checkpoints are files of signed checkpoints held by a third party
	// (a witness, the portal); Cert pins the log key that signs them.
	Checkpoints []string
	Cert        string
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

With --checkpoint (repeatable) each signed checkpoint held by a third party (a
witness's GET /checkpoint/{origin}, or one the portal kept from an answer) is
checked against the archives: the tree of its group is recomputed from the
archived records, the checkpoint's signature is checked (with --cert, else with
the certificates that signed the archives, reported as not pinned), and the
archives' tree at the checkpoint's size must have its root. A history
rewritten after the checkpoint was taken, even re-signed with the log key,
fails with Checkpoint.Rewritten; a removed archive with
Checkpoint.MissingRecords. Other reasons: Checkpoint.Format,
Checkpoint.Signature, Checkpoint.NoArchives, Checkpoint.Unanchored (the
group's archives do not begin the log), Checkpoint.Leaf (a record's leaf
cannot be recomputed), Checkpoint.Framing (a multipart body's kept MIME
framing is malformed or does not rebuild the recorded body). Give the group's directory (or the archive root).

With --output json the report is one object with camelCase keys: {valid,
files: [{path, kind, containers, lastDigest, problems: [{container, code,
message}], warnings}], containers, bytes, problems, checkpoints: [{file,
origin, group, size, root, archiveSize, archiveRoot, keyPinned, valid, code,
message}]}.`,
		Example: `  tunduk archive verify /var/lib/xroad/
  tunduk archive verify -f mlog-20260101000000-20260101010000-0a1b2c3d4e5f6a7b.zip
  tunduk archive verify --verificationconf /etc/xroad/globalconf --output json message.asice
  tunduk archive verify -f --cert mlog.crt --checkpoint witnessed.txt /var/lib/tunduk/archive/KG_GOV_70000001`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Paths = args
			if opts.Prev != "" && (opts.First || !hexDigest.MatchString(opts.Prev)) {
				return cli.UsageError("--prev takes a hex digest and excludes -f")
			}
			opts.Progress = !c.Flags().Changed("progress") && isTerminal(opts.IO.ErrOut) || opts.Progress
			return cli.Run(opts, runF, verifyRun)
		},
	}
	opts.Verifier.Add(cmd.Flags())
	cmd.Flags().StringVar(&opts.Prev, "prev", "", "last linking digest of the archive before the first one given")
	cmd.Flags().BoolVarP(&opts.First, "first", "f", false, "the first archive starts a new chain")
	cli.AddOutputFlag(cmd, &opts.Output)
	cmd.Flags().BoolVar(&opts.Progress, "progress", false, "show progress on stderr (default when stderr is a terminal)")
	cmd.Flags().StringArrayVar(&opts.Checkpoints, "checkpoint", nil, "a signed checkpoint held by a third party; the archives must be consistent with it (repeatable)")
	cmd.Flags().StringVar(&opts.Cert, "cert", "", "the message log's certificate (PEM or DER) to pin the checkpoints' key")
	return cmd
}

func verifyRun(opts *VerifyOptions) error {
	vo, err := opts.Verifier.Options()
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	if opts.Progress {
		vo.Progress = progress(opts.IO.ErrOut)
	}
	co, err := chainOptions(opts)
	if err != nil {
		return err
	}
	rep, err := verify.New(vo).Paths(opts.Paths, co)
	if opts.Progress {
		fmt.Fprintln(opts.IO.ErrOut)
	}
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	write := rep.WriteText
	if opts.Output == cli.OutputJSON {
		write = rep.WriteJSON
	}
	if err := write(opts.IO.Out); err != nil {
		return err
	}
	if !rep.Valid() {
		return cli.Invalid()
	}
	return nil
}

// chainOptions are --prev, -f, the held checkpoints and the --cert that
// pins their key.
func chainOptions(opts *VerifyOptions) (verify.ChainOptions, error) {
	co := verify.ChainOptions{Prev: opts.Prev, First: opts.First}
	for _, p := range opts.Checkpoints {
		b, err := readCheckpoint(p)
		if err != nil {
			return co, &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("archive verify: --checkpoint: %v", err)}
		}
		co.Checkpoints = append(co.Checkpoints, verify.HeldCheckpoint{File: p, Signed: b})
	}
	if opts.Cert != "" {
		cs, err := certs.ReadFile(opts.Cert)
		if err != nil {
			return co, &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("archive verify: --cert: %v", err)}
		}
		co.CheckpointKey = cs[0].PublicKey
	}
	return co, nil
}

// readCheckpoint reads a checkpoint file, bounded.
func readCheckpoint(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, tlog.MaxCheckpointSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > tlog.MaxCheckpointSize {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a checkpoint", path, tlog.MaxCheckpointSize)
	}
	return b, nil
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
