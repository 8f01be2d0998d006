// Package generate is `tunduk keys generate`: create a signing key pair in
// a file or on a PKCS#11 token.
package generate

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// GenerateOptions are the verb's inputs.
type GenerateOptions struct {
	IO        cli.IOStreams
	Key       keyref.Ref
	Algorithm string
	// SelfSigned also writes a self-signed certificate for the new key
	// (to try tunduk before the Tunduk CA answers; NOT for production) to
	// CertOut, by default the key's configured certificate file.
	SelfSigned bool
	Subject    certs.Subject
	CertOut    string
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
'tunduk keys csr'.

--self-signed also writes a self-signed certificate for the key (to the
key's configured certificate file, or --cert-out), so tunduk can be tried
before the Tunduk CA has issued the real one. NOT FOR PRODUCTION: its
subject says so (OU), security servers and auditors do not trust it, and
'tunduk keys import-cert' replaces it with the CA's certificate.`,
		Example: `  tunduk keys generate --uri file:/etc/tunduk/keys/mlog.pem --algorithm ecdsa-p256
  tunduk keys generate --uri 'pkcs11:token=tunduk;object=mlog-2026?module-path=/usr/lib/librtpkcs11ecp.so&pin-source=/etc/tunduk/pin'
  tunduk keys generate --key mlog
  tunduk keys generate --key mlog --self-signed --org "Trial" --member-code 70000041   # NOT for production`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := opts.Key.Ready(opts.IO.ErrOut); err != nil {
				return err
			}
			if _, err := kms.ParseAlgorithm(opts.Algorithm); err != nil {
				return cli.UsageError("--algorithm %q: use one of %s", opts.Algorithm, strings.Join(algs, ", "))
			}
			if !opts.SelfSigned && (opts.CertOut != "" || opts.Subject.Organization != "" || opts.Subject.MemberCode != "") {
				return cli.UsageError("--cert-out, --org and --member-code go with --self-signed")
			}
			if opts.SelfSigned {
				if _, err := opts.Subject.Normalize(); err != nil {
					return cli.UsageError("--self-signed: %v", err)
				}
			}
			return cli.Run(opts, runF, generateRun)
		},
	}
	keyref.AddFlags(f, cmd, &opts.Key)
	fl := cmd.Flags()
	fl.StringVar(&opts.Algorithm, "algorithm", string(kms.DefaultAlgorithm), "key algorithm: "+strings.Join(algs, ", "))
	fl.BoolVar(&opts.SelfSigned, "self-signed", false, "also write a self-signed certificate for the key: for trying tunduk before the CA answers, NOT for production")
	fl.StringVar(&opts.Subject.Organization, "org", "", "with --self-signed: organisation's registered name (O)")
	fl.StringVar(&opts.Subject.MemberCode, "member-code", "", "with --self-signed: Tunduk member code (CN), e.g. 70000041")
	fl.StringVar(&opts.CertOut, "cert-out", "", "with --self-signed: certificate file (default: the key's configured certificate)")
	return cmd
}

func generateRun(opts *GenerateOptions) error {
	return opts.Key.Do(func(key *keyref.Key, km kms.KeyManager) error {
		alg, _ := kms.ParseAlgorithm(opts.Algorithm)
		resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: key.Options.URI, Algorithm: alg})
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "key:         %s\nalgorithm:   %s\nfingerprint: %s (SHA-256 of the public key)\n",
			kms.Redact(resp.Name), alg, kms.Fingerprint(resp.PublicKey))
		if !opts.SelfSigned {
			return nil
		}
		return selfSign(opts, key, km, resp.Name)
	})
}

// selfSign writes --cert-out (default: the key's configured certificate
// file), a self-signed certificate for the new key, never over an
// existing file.
func selfSign(opts *GenerateOptions, key *keyref.Key, km kms.KeyManager, uri string) error {
	out := opts.CertOut
	if out == "" {
		out = key.Certificate
	}
	if out == "" {
		return cli.UsageError("--self-signed: the key has no certificate file configured; give --cert-out FILE")
	}
	signer, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: uri})
	if err != nil {
		return err
	}
	der, err := certs.CreateSelfSigned(certs.SelfSignedRequest{Subject: opts.Subject, Signer: signer})
	if err != nil {
		return err
	}
	if err := certs.WriteNewPEM(out, der); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "certificate: %s (SELF-SIGNED, NOT FOR PRODUCTION: replace it with 'tunduk keys import-cert' once the Tunduk CA has issued yours)\n", out)
	return nil
}
