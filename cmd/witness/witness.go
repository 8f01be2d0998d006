// Package witness is `tunduk witness`: a minimal checkpoint witness (see
// internal/signing/witness) that a portal or an auditor runs to hold tunduk's
// checkpoints and refuse a rewritten log.
package witness

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/signing/witness"
)

// WitnessOptions are the command's inputs.
type WitnessOptions struct {
	IO      cli.IOStreams
	Context func() context.Context
	// Listen is the address to serve on.
	Listen string
	// Dir keeps the latest checkpoint of each log.
	Dir string
	// Logs are ORIGIN=CERTFILE pairs: the logs witnessed and their
	// message-log certificates.
	Logs []string
}

// NewCmdWitness returns the command; runF nil runs it for real.
func NewCmdWitness(f *cli.Factory, runF func(*WitnessOptions) error) *cobra.Command {
	opts := &WitnessOptions{IO: f.IO, Context: f.Context}
	cmd := &cobra.Command{
		Use:   "witness --dir DIR --log ORIGIN=CERT [--log …]",
		Short: "Serve a checkpoint witness that refuses a rewritten log",
		Long: `Serve a minimal witness (after c2sp.org/tlog-witness): POST /add-checkpoint
takes a log's signed checkpoint only with a consistency proof from the one the
witness holds, so a log rewritten after its checkpoint was witnessed — even
re-signed with the same key — is refused (422). GET /checkpoint/ORIGIN returns
the latest held checkpoint, for tunduk evidence verify --checkpoint.

Configure tunduk to push to it under messageLog.evidence.witnesses.`,
		Example: `  tunduk witness --listen :8490 --dir /var/lib/tunduk-witness \
    --log tunduk.example.kg/mlog=/etc/tunduk-witness/mlog.crt`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Dir == "" || len(opts.Logs) == 0 {
				return cli.UsageError("witness needs --dir and at least one --log ORIGIN=CERTFILE")
			}
			for _, l := range opts.Logs {
				if o, c, ok := strings.Cut(l, "="); !ok || o == "" || c == "" {
					return cli.UsageError("--log %q: want ORIGIN=CERTFILE", l)
				}
			}
			return cli.Run(opts, runF, Run)
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:8490", "address to serve on")
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "directory keeping the latest checkpoint of each log")
	cmd.Flags().StringArrayVar(&opts.Logs, "log", nil, "a log to witness: ORIGIN=CERTFILE (its message-log certificate, PEM or DER)")
	return cmd
}

// Run serves until the context ends.
func Run(opts *WitnessOptions) error {
	logs := map[string]crypto.PublicKey{}
	for _, l := range opts.Logs {
		origin, file, _ := strings.Cut(l, "=")
		cs, err := certs.ReadFile(file)
		if err != nil {
			return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("witness: --log %s: %v", origin, err)}
		}
		logs[origin] = cs[0].PublicKey
	}
	srv, err := witness.NewServer(witness.Options{Dir: opts.Dir, Logs: logs})
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("witness: %v", err)}
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	fmt.Fprintf(opts.IO.ErrOut, "witness listening on http://%s for %d log(s)\n", ln.Addr(), len(logs))
	ctx := opts.Context()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("witness: %v", err)}
	}
	return nil
}
