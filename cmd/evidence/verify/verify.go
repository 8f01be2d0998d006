// Package verify is `tunduk evidence verify`: check a receipt offline.
package verify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/receipt"
)

// VerifyOptions are the verb's inputs.
type VerifyOptions struct {
	IO cli.IOStreams
	// Receipt is the receipt file ("-" for stdin).
	Receipt string
	// Cert is the log's certificate (PEM or DER); "" trusts the receipt's own.
	Cert string
	// Checkpoint is a signed checkpoint the verifier holds.
	Checkpoint string
	// Output is "table" or "json".
	Output string
}

// NewCmdVerify returns the verify verb; runF nil runs it for real.
func NewCmdVerify(f *cli.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "verify RECEIPT",
		Short: "Verify a record's receipt: signature, inclusion proof, consistency",
		Long: `Verify a receipt (the JSON the gateway returns as evidence.receipt or from
GET /v1/evidence/{recordId}) without the running service: the statement's
signature with the message-log key, that its leaf hash follows from the
record's digests, the checkpoint's signature and the inclusion proof, and, with
--checkpoint, consistency with a checkpoint you hold (from a witness or an
earlier answer). Without --cert the receipt's own certificate is used and the
result says the key is not pinned. A check's answer carries the compact
receipt, which names the key by keyId and embeds no certificate: verify it with
--cert, or fetch the full receipt from GET /v1/evidence/{recordId} (reason key
says which is missing).

Exits 0 when the receipt verifies, 1 when it does not (naming the reason:
malformed, key, statement-signature, promise-batch, leaf-hash, checkpoint-format,
checkpoint-signature, checkpoint-origin, inclusion-proof, not-sealed,
consistency-proof, no-consistency-proof), 2 on bad usage, 3 when a file cannot
be read.

With --output json the report is one object: {valid, reason, message,
keyPinned, sealed, recordId, seq, origin, time, check, messageId, requestHash,
userId, issue, requestId, leafHash, checkpointSize, heldCheckpointSize}.`,
		Example: `  tunduk evidence verify --cert mlog.crt receipt.json
  curl -s $GW/v1/evidence/mlog:42 | tunduk evidence verify --cert mlog.crt --checkpoint witnessed.txt -`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.UsageError("evidence verify takes one RECEIPT file (- for stdin), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Receipt = args[0]
			return cli.Run(opts, runF, verifyRun)
		},
	}
	cmd.Flags().StringVar(&opts.Cert, "cert", "", "the message log's certificate (PEM or DER) to pin the key")
	cmd.Flags().StringVar(&opts.Checkpoint, "checkpoint", "", "a signed checkpoint you hold; the receipt must be consistent with it")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// Report is what verify prints.
type Report struct {
	Valid              bool      `json:"valid"`
	Reason             string    `json:"reason,omitempty"`
	Message            string    `json:"message,omitempty"`
	KeyPinned          bool      `json:"keyPinned"`
	Sealed             bool      `json:"sealed"`
	RecordID           string    `json:"recordId,omitempty"`
	Seq                uint64    `json:"seq,omitempty"`
	Origin             string    `json:"origin,omitempty"`
	Time               time.Time `json:"time,omitzero"`
	Check              string    `json:"check,omitempty"`
	MessageID          string    `json:"messageId,omitempty"`
	RequestHash        string    `json:"requestHash,omitempty"`
	UserID             string    `json:"userId,omitempty"`
	Issue              string    `json:"issue,omitempty"`
	RequestID          string    `json:"requestId,omitempty"`
	LeafHash           []byte    `json:"leafHash,omitempty"`
	CheckpointSize     uint64    `json:"checkpointSize,omitempty"`
	HeldCheckpointSize uint64    `json:"heldCheckpointSize,omitempty"`
}

func readInput(opts *VerifyOptions, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(opts.IO.In, receipt.MaxSize+1))
	}
	return os.ReadFile(path)
}

func verifyRun(opts *VerifyOptions) error {
	data, err := readInput(opts, opts.Receipt)
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("evidence verify: %v", err)}
	}
	vo, err := verifyOptions(opts)
	if err != nil {
		return err
	}
	rep := report(receipt.Verify(data, vo))
	if err := cli.Print(opts.IO.Out, opts.Output, rep, func(w io.Writer) error { return writeText(w, rep) }); err != nil {
		return err
	}
	if !rep.Valid {
		return cli.Invalid()
	}
	return nil
}

// verifyOptions reads what --cert and --checkpoint name.
func verifyOptions(opts *VerifyOptions) (receipt.Options, error) {
	var vo receipt.Options
	if opts.Cert != "" {
		cs, err := certs.ReadFile(opts.Cert)
		if err != nil {
			return vo, &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("evidence verify: --cert: %v", err)}
		}
		vo.Certificate = cs[0]
	}
	if opts.Checkpoint != "" {
		var err error
		if vo.Checkpoint, err = os.ReadFile(opts.Checkpoint); err != nil {
			return vo, &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("evidence verify: --checkpoint: %v", err)}
		}
	}
	return vo, nil
}

func report(res *receipt.Result, err error) Report {
	if err != nil {
		rep := Report{Message: err.Error(), Reason: "error"}
		var re *receipt.Error
		if errors.As(err, &re) {
			rep.Reason, rep.Message = string(re.Reason), re.Detail
		}
		return rep
	}
	st := res.Statement
	rep := Report{Valid: true, KeyPinned: res.KeyPinned, Sealed: res.Sealed, RecordID: st.RecordID, Seq: st.Seq,
		Origin: st.Origin, Time: st.Time, Check: st.Check, MessageID: st.MessageID, RequestHash: st.RequestHash,
		UserID: st.UserID, Issue: st.Issue, RequestID: st.RequestID, LeafHash: st.LeafHash}
	if res.Checkpoint != nil {
		rep.CheckpointSize = res.Checkpoint.Size
	}
	if res.Held != nil {
		rep.HeldCheckpointSize = res.Held.Size
	}
	return rep
}

func writeText(w io.Writer, r Report) error {
	if !r.Valid {
		_, err := fmt.Fprintf(w, "INVALID  %s: %s\n", r.Reason, r.Message)
		return err
	}
	state := "promise only (not sealed yet)"
	if r.Sealed {
		state = fmt.Sprintf("included in checkpoint of size %d", r.CheckpointSize)
	}
	key := "pinned by --cert"
	if !r.KeyPinned {
		key = "NOT pinned (the receipt's own certificate; pass --cert)"
	}
	_, err := fmt.Fprintf(w, "VALID    %s (%s)\n  record   %s, %s\n  check    %s, message %s, user %s, issue %s, request %s\n  key      %s\n",
		r.RecordID, r.Origin, state, r.Time.Format(time.RFC3339), r.Check, r.MessageID, r.UserID, r.Issue, r.RequestID, key)
	if err == nil && r.HeldCheckpointSize > 0 {
		_, err = fmt.Fprintf(w, "  held     consistent with your checkpoint of size %d\n", r.HeldCheckpointSize)
	}
	return err
}
