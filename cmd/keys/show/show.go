// Package show is `tunduk keys show`: one key in detail — its public key,
// its certificate, whether the two match, and how long is left.
package show

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// ShowOptions are the verb's inputs.
type ShowOptions struct {
	IO       cli.IOStreams
	Key      keyref.Ref
	CertFile string // overrides the configured certificate file
	Output   string // table or json
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
days left. Exits 1 when the certificate is not for this key or has expired.

With --output json the result is one object: {key, uri, algorithm,
fingerprint, certificate: {source, subject, member, issuer, serial,
notBefore, notAfter, daysLeft, matchesKey, error}}.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := opts.Key.Ready(opts.IO.ErrOut); err != nil {
				return err
			}
			return cli.Run(opts, runF, showRun)
		},
	}
	keyref.AddFlags(f, cmd, &opts.Key)
	cmd.Flags().StringVar(&opts.CertFile, "cert", "", "certificate file (default: on the token, or the configured file)")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func showRun(opts *ShowOptions) error {
	return opts.Key.Do(func(key *keyref.Key, km kms.KeyManager) error {
		pub, err := km.GetPublicKey(&kms.GetPublicKeyRequest{Name: key.Options.URI})
		if err != nil {
			return err
		}
		v := View{Key: key.Label(), URI: kms.Redact(key.Options.URI), Algorithm: keyref.Describe(pub), Fingerprint: kms.Fingerprint(pub)}
		c, from, cerr := certificate(opts, key, km)
		var matchErr error
		if cerr == nil {
			matchErr = certs.Match(c, pub)
			v.Certificate = certView(c, from, opts.Now(), matchErr == nil)
		}
		if err := v.write(opts, cerr); err != nil {
			return err
		}
		switch {
		case cerr != nil:
			return nil
		case matchErr != nil:
			return &cli.ExitError{Code: cli.ExitInvalid, Msg: matchErr.Error()}
		case v.Certificate.Expired:
			return &cli.ExitError{Code: cli.ExitInvalid, Msg: fmt.Sprintf("certificate of %s expired on %s", key.Label(), v.Certificate.NotAfter.Format(time.DateOnly))}
		}
		return nil
	})
}

// View is the key as printed (also the JSON form).
type View struct {
	Key         string    `json:"key"`
	URI         string    `json:"uri"`
	Algorithm   string    `json:"algorithm"`
	Fingerprint string    `json:"fingerprint"`
	Certificate *CertView `json:"certificate"`
}

// CertView is the key's certificate as printed.
type CertView struct {
	Source     string    `json:"source"`
	Subject    string    `json:"subject"`
	Member     string    `json:"member"`
	Issuer     string    `json:"issuer"`
	Serial     string    `json:"serial"`
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
	DaysLeft   int       `json:"daysLeft"`
	MatchesKey bool      `json:"matchesKey"`
	Expired    bool      `json:"expired"`
}

func certView(c *x509.Certificate, from string, now time.Time, matches bool) *CertView {
	st := certs.StatusOf(c, now)
	return &CertView{Source: from, Subject: st.Subject,
		Member: orDash(st.Member.Instance) + "/" + orDash(st.Member.MemberClass) + "/" + orDash(st.Member.MemberCode),
		Issuer: st.Issuer, Serial: st.Serial, NotBefore: st.NotBefore.UTC(), NotAfter: st.NotAfter.UTC(), DaysLeft: st.DaysLeft,
		MatchesKey: matches, Expired: st.Expired}
}

func (v *View) write(opts *ShowOptions, cerr error) error {
	if opts.Output == cli.OutputJSON {
		return cli.WriteJSON(opts.IO.Out, v)
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "key:          %s\nuri:          %s\nalgorithm:    %s\nfingerprint:  %s\n", v.Key, v.URI, v.Algorithm, v.Fingerprint)
	c := v.Certificate
	if c == nil {
		fmt.Fprintf(out, "certificate:  none (%v)\n", cerr)
		return nil
	}
	fmt.Fprintf(out, "certificate:  %s\n  subject:    %s\n  member:     %s\n  issuer:     %s\n  serial:     %s\n  valid:      %s to %s\n  days left:  %d\n",
		c.Source, c.Subject, c.Member, c.Issuer, c.Serial, c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339), c.DaysLeft)
	match := "yes"
	if !c.MatchesKey {
		match = "NO"
	}
	_, err := fmt.Fprintf(out, "  matches key: %s\n", match)
	return err
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
