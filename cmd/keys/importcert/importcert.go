// Package importcert is `tunduk keys import-cert`: install the certificate
// the CA issued for a key, after checking that it is for that key.
package importcert

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// ImportOptions are the verb's inputs.
type ImportOptions struct {
	IO     cli.IOStreams
	Logger *zap.Logger
	Key    keyref.Ref
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
			if err := opts.Key.Check(); err != nil {
				return err
			}
			opts.CertFile = args[0]
			if opts.Logger == nil {
				opts.Logger = keyref.Logger(opts.IO.ErrOut)
			}
			if runF != nil {
				return runF(opts)
			}
			return importRun(opts)
		},
	}
	keyref.AddFlags(f, cmd, &opts.Key)
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "install the certificate here (PEM)")
	return cmd
}

func importRun(opts *ImportOptions) error {
	data, err := os.ReadFile(opts.CertFile)
	if err != nil {
		return err
	}
	cs, err := certs.ParseCertificates(data)
	if err != nil {
		return &cli.ExitError{Code: cli.ExitInvalid, Msg: fmt.Sprintf("%s: %v", opts.CertFile, err)}
	}
	key, err := opts.Key.Resolve(opts.Logger)
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = key.Certificate
	}
	km, err := key.Open(opts.Key.Context())
	if err != nil {
		return err
	}
	defer km.Close()
	pub, err := km.GetPublicKey(&kms.GetPublicKeyRequest{Name: key.Options.URI})
	if err != nil {
		return err
	}
	c, err := certs.Select(cs, pub)
	if err != nil {
		return &cli.ExitError{Code: cli.ExitInvalid, Msg: fmt.Sprintf("%s: %v", opts.CertFile, err)}
	}
	st := certs.StatusOf(c, opts.Now())
	if st.Expired {
		return &cli.ExitError{Code: cli.ExitInvalid, Msg: fmt.Sprintf("%s: certificate expired on %s", opts.CertFile, c.NotAfter.UTC().Format(time.DateOnly))}
	}
	cm, onToken := km.(kms.CertificateManager)
	if out == "" && !onToken {
		return cli.UsageError("no certificate file configured for this key; give --out FILE")
	}
	if onToken {
		if err := cm.StoreCertificate(&kms.StoreCertificateRequest{Name: key.Options.URI, Certificate: c}); err != nil {
			return err
		}
	}
	if out != "" {
		if err := writePEM(out, c, cs); err != nil {
			return err
		}
	}
	opts.Logger.Info("certificate imported", zap.String("key", key.Label()), zap.String("subject", st.Subject),
		zap.String("serial", st.Serial), zap.Time("not_after", st.NotAfter), zap.String("file", out), zap.Bool("on_token", onToken))
	fmt.Fprintf(opts.IO.Out, "installed %s for key %s\n  issuer:  %s\n  expires: %s (%d days left)\n",
		st.Subject, key.Label(), st.Issuer, st.NotAfter.UTC().Format(time.RFC3339), st.DaysLeft)
	if out != "" {
		fmt.Fprintf(opts.IO.Out, "  file:    %s\n", out)
	}
	return nil
}

// writePEM installs the certificate, then the rest of the chain, atomically.
func writePEM(path string, leaf *x509.Certificate, all []*x509.Certificate) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cert-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	werr := pem.Encode(tmp, &pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})
	for _, c := range all {
		if werr == nil && !c.Equal(leaf) {
			werr = pem.Encode(tmp, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
	}
	if werr == nil {
		werr = tmp.Chmod(0o644)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return os.Rename(tmp.Name(), path)
}
