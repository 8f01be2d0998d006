// Package show is `tunduk keys show`: one key in detail — its public key,
// its certificate, whether the two match, and how long is left.
package show

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// ShowOptions are the verb's inputs.
type ShowOptions struct {
	IO       cli.IOStreams
	Logger   *zap.Logger
	Key      keyref.Ref
	CertFile string // overrides the configured certificate file
	Now      func() time.Time
}

// NewCmdShow returns the show verb; runF nil runs it for real.
func NewCmdShow(f *cli.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "show (--uri URI | --key NAME) [--cert FILE]",
		Short: "Show a key, its certificate, whether they match, and days left",
		Long: `Open the key (a token needs its PIN) and print its algorithm and public-key
fingerprint, then its certificate — from the token, else from --cert or the
configured certificate file — with subject, Tunduk member, issuer, validity and
days left. Exits 1 when the certificate is not for this key or has expired.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := opts.Key.Check(); err != nil {
				return err
			}
			if opts.Logger == nil {
				opts.Logger = keyref.Logger(opts.IO.ErrOut)
			}
			if runF != nil {
				return runF(opts)
			}
			return showRun(opts)
		},
	}
	keyref.AddFlags(cmd.Flags(), &opts.Key)
	cmd.Flags().StringVar(&opts.CertFile, "cert", "", "certificate file (default: on the token, or the configured file)")
	return cmd
}

func showRun(opts *ShowOptions) error {
	key, err := opts.Key.Resolve(opts.Logger)
	if err != nil {
		return err
	}
	km, err := key.Open(context.Background())
	if err != nil {
		return err
	}
	defer km.Close()
	pub, err := km.GetPublicKey(&kms.GetPublicKeyRequest{Name: key.Options.URI})
	if err != nil {
		return err
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "key:          %s\nuri:          %s\nalgorithm:    %s\nfingerprint:  %s\n",
		key.Label(), kms.Redact(key.Options.URI), keyref.Describe(pub), kms.Fingerprint(pub))
	c, from, err := certificate(opts, key, km)
	if err != nil {
		fmt.Fprintf(out, "certificate:  none (%v)\n", err)
		return nil
	}
	st := certs.StatusOf(c, opts.Now())
	fmt.Fprintf(out, "certificate:  %s\n  subject:    %s\n  member:     %s/%s/%s\n  issuer:     %s\n  serial:     %s\n  valid:      %s to %s\n  days left:  %d\n",
		from, st.Subject, orDash(st.Member.Instance), orDash(st.Member.MemberClass), orDash(st.Member.MemberCode), st.Issuer, st.Serial,
		st.NotBefore.UTC().Format(time.RFC3339), st.NotAfter.UTC().Format(time.RFC3339), st.DaysLeft)
	if err := certs.Match(c, pub); err != nil {
		fmt.Fprintf(out, "  matches key: NO\n")
		return &cli.ExitError{Code: cli.ExitInvalid, Msg: err.Error()}
	}
	fmt.Fprintf(out, "  matches key: yes\n")
	if st.Expired {
		return &cli.ExitError{Code: cli.ExitInvalid, Msg: fmt.Sprintf("certificate of %s expired on %s", key.Label(), st.NotAfter.UTC().Format(time.DateOnly))}
	}
	return nil
}

// certificate finds the key's certificate: --cert, then the token, then the
// configured file.
func certificate(opts *ShowOptions, key *keyref.Key, km kms.KeyManager) (*x509.Certificate, string, error) {
	if opts.CertFile != "" {
		c, err := keyref.LoadCertificate(opts.CertFile)
		return c, opts.CertFile, err
	}
	if cm, ok := km.(kms.CertificateManager); ok {
		c, err := cm.LoadCertificate(&kms.LoadCertificateRequest{Name: key.Options.URI})
		if err == nil {
			return c, "on the token", nil
		}
		if !errors.Is(err, kms.ErrNotFound) {
			return nil, "", err
		}
	}
	if key.Certificate == "" {
		return nil, "", errors.New("no certificate file configured; import one with tunduk keys import-cert")
	}
	c, err := keyref.LoadCertificate(key.Certificate)
	return c, key.Certificate, err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
