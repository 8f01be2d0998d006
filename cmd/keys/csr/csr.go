// Package csr is `tunduk keys csr`: write a certificate signing request for
// the Tunduk CA for an existing key.
package csr

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// CSROptions are the verb's inputs.
type CSROptions struct {
	IO      cli.IOStreams
	Key     keyref.Ref
	Subject certs.Subject
	Out     string // file, or "-" for stdout
}

// NewCmdCSR returns the csr verb; runF nil runs it for real.
func NewCmdCSR(f *cli.Factory, runF func(*CSROptions) error) *cobra.Command {
	opts := &CSROptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "csr (--uri URI | --key NAME) --org NAME --member-code CODE --out FILE",
		Short: "Write a certificate signing request for the Tunduk CA",
		Long: `Write a PKCS#10 request (PEM) for the key's sign certificate, signed by the key
itself. Subject: C=KG, O=<organisation>, CN=<member code> and, with
--server-code, serialNumber=<instance>/<server code>/<member class> (X-Road's
country sign-certificate profile). The member class is GOV for 7000xxxx codes
and COM for 6000xxxx unless given. Hand the file to the CA, then import the
issued certificate with 'tunduk keys import-cert'.`,
		Example: `  tunduk keys csr --key mlog --org "State Procurement Department" --member-code 70000041 --out mlog.csr`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := opts.Key.Ready(opts.IO.ErrOut); err != nil {
				return err
			}
			if opts.Out == "" {
				return cli.UsageError("--out FILE is required (- for standard output)")
			}
			if _, err := opts.Subject.Normalize(); err != nil {
				return cli.UsageError("%v", err)
			}
			return cli.Run(opts, runF, csrRun)
		},
	}
	keyref.AddFlags(f, cmd, &opts.Key)
	fl := cmd.Flags()
	fl.StringVar(&opts.Subject.Organization, "org", "", "organisation's registered name (O)")
	fl.StringVar(&opts.Subject.MemberCode, "member-code", "", "Tunduk member code (CN), e.g. 70000041")
	fl.StringVar(&opts.Subject.MemberClass, "member-class", "", "GOV or COM (default: from the member code)")
	fl.StringVar(&opts.Subject.Instance, "instance", certs.DefaultInstance, "X-Road instance")
	fl.StringVar(&opts.Subject.ServerCode, "server-code", "", "security server code (adds serialNumber)")
	fl.StringVar(&opts.Subject.Country, "country", certs.DefaultCountry, "country (C)")
	fl.StringVarP(&opts.Out, "out", "o", "", "where to write the CSR (PEM), - for standard output")
	return cmd
}

func csrRun(opts *CSROptions) error {
	return opts.Key.Do(func(key *keyref.Key, km kms.KeyManager) error {
		signer, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: key.Options.URI})
		if err != nil {
			return err
		}
		der, err := certs.CreateCSR(certs.CSRRequest{Subject: opts.Subject, Signer: signer, Logger: opts.Key.Logger.With(zap.String("key", key.Label()))})
		if err != nil {
			return err
		}
		pem := certs.EncodeCSR(der)
		if opts.Out == "-" {
			_, err = opts.IO.Out.Write(pem)
			return err
		}
		if err := os.WriteFile(opts.Out, pem, 0o644); err != nil {
			return fmt.Errorf("writing CSR: %w", err)
		}
		name, _ := opts.Subject.Name()
		fmt.Fprintf(opts.IO.Out, "wrote %s for %s (key %s)\n", opts.Out, name, key.Label())
		return nil
	})
}
