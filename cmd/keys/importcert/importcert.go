// Package importcert is `tunduk keys import-cert`: install the certificate
// the CA issued for a key, after checking that it is for that key.
package importcert

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/install"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// ImportOptions are the verb's inputs.
type ImportOptions struct {
	IO  cli.IOStreams
	Key keyref.Ref
	// CertFile is the issued certificate (PEM, DER or base64; a chain file
	// is fine, the certificate for the key is picked out).
	CertFile string
	// Out is where the certificate is installed (PEM); default the key's
	// configured certificate file.
	Out string
	Now func() time.Time
}

// NewCmdImportCert returns the import-cert verb; runF nil runs it for real.
func NewCmdImportCert(f *cli.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IO, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "import-cert (--uri URI | --key NAME) [--out FILE] CERT",
		Short: "Install the certificate the CA issued for a key",
		Long: `Read the certificate (PEM, DER or base64; a chain file is fine), check that it
carries the key's public key and is not expired, then install it: written as
PEM to --out (default: the key's configured certificate file; for file: keys
KEY.crt beside the key) and, on a PKCS#11 token, also stored on the token
beside the key with the same label and id. Exits 1 when the certificate is
not for this key or has expired.`,
		Example: `  tunduk keys import-cert --key mlog mlog-2026.cer`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := opts.Key.Ready(opts.IO.ErrOut); err != nil {
				return err
			}
			opts.CertFile = args[0]
			return cli.Run(opts, runF, importRun)
		},
	}
	keyref.AddFlags(f, cmd, &opts.Key)
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "install the certificate here (PEM)")
	return cmd
}

func importRun(opts *ImportOptions) error {
	return opts.Key.Do(func(key *keyref.Key, km kms.KeyManager) error {
		out := opts.Out
		if out == "" {
			out = key.Certificate
		}
		res, err := install.Certificate(install.Request{CertFile: opts.CertFile, KeyManager: km, KeyURI: key.Options.URI, Out: out, Now: opts.Now()})
		var invalid *install.InvalidError
		switch {
		case errors.As(err, &invalid):
			return &cli.ExitError{Code: cli.ExitInvalid, Msg: err.Error()}
		case errors.Is(err, install.ErrNoDestination):
			return cli.UsageError("no certificate file configured for this key; give --out FILE")
		case err != nil:
			return err
		}
		st := res.Status
		opts.Key.Logger.Info("certificate imported", zap.String("key", key.Label()), zap.String("subject", st.Subject),
			zap.String("serial", st.Serial), zap.Time("not_after", st.NotAfter), zap.String("file", res.File), zap.Bool("on_token", res.OnToken))
		fmt.Fprintf(opts.IO.Out, "installed %s for key %s\n  issuer:  %s\n  expires: %s (%d days left)\n",
			st.Subject, key.Label(), st.Issuer, st.NotAfter.UTC().Format(time.RFC3339), st.DaysLeft)
		if res.File != "" {
			fmt.Fprintf(opts.IO.Out, "  file:    %s\n", res.File)
		}
		return nil
	})
}
