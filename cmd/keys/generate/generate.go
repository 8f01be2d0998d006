// Package generate is `tunduk keys generate`: create a signing key pair in
// a file or on a PKCS#11 token.
package generate

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// GenerateOptions are the verb's inputs.
type GenerateOptions struct {
	IO        cli.IOStreams
	Logger    *zap.Logger
	Key       keyref.Ref
	Algorithm string
}

// NewCmdGenerate returns the generate verb; runF nil runs it for real.
func NewCmdGenerate(f *cli.Factory, runF func(*GenerateOptions) error) *cobra.Command {
	opts := &GenerateOptions{IO: f.IO}
	algs := make([]string, 0, len(kms.Algorithms()))
	for _, a := range kms.Algorithms() {
		algs = append(algs, string(a))
	}
	cmd := &cobra.Command{
		Use:   "generate (--uri URI | --key NAME) [--algorithm ALG]",
		Short: "Generate a signing key pair in a file or on a PKCS#11 token",
		Long: `Generate a key pair where the URI says: a PEM/PKCS#8 file (mode 0600, never
overwritten) or a PKCS#11 token such as Rutoken (sensitive, non-extractable).
Prints the key URI to use from now on (with the token and the chosen id) and
the SHA-256 fingerprint of the public key. Then create a CSR with
'tunduk keys csr'.`,
		Example: `  tunduk keys generate --uri file:/etc/tunduk/keys/mlog.pem --algorithm ecdsa-p256
  tunduk keys generate --uri 'pkcs11:token=tunduk;object=mlog-2026?module-path=/usr/lib/librtpkcs11ecp.so&pin-source=/etc/tunduk/pin'
  tunduk keys generate --key mlog`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := opts.Key.Check(); err != nil {
				return err
			}
			if _, err := kms.ParseAlgorithm(opts.Algorithm); err != nil {
				return cli.UsageError("--algorithm %q: use one of %s", opts.Algorithm, strings.Join(algs, ", "))
			}
			if opts.Logger == nil {
				opts.Logger = keyref.Logger(opts.IO.ErrOut)
			}
			if runF != nil {
				return runF(opts)
			}
			return generateRun(opts)
		},
	}
	keyref.AddFlags(f, cmd, &opts.Key)
	cmd.Flags().StringVar(&opts.Algorithm, "algorithm", string(kms.DefaultAlgorithm), "key algorithm: "+strings.Join(algs, ", "))
	return cmd
}

func generateRun(opts *GenerateOptions) error {
	key, err := opts.Key.Resolve(opts.Logger)
	if err != nil {
		return err
	}
	km, err := key.Open(opts.Key.Context())
	if err != nil {
		return err
	}
	defer km.Close()
	alg, _ := kms.ParseAlgorithm(opts.Algorithm)
	resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: key.Options.URI, Algorithm: alg})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "key:         %s\nalgorithm:   %s\nfingerprint: %s (SHA-256 of the public key)\n",
		kms.Redact(resp.Name), alg, kms.Fingerprint(resp.PublicKey))
	return nil
}
