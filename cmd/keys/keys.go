// Package keys is the `tunduk keys` noun: signing keys in files or on a
// PKCS#11 token (Rutoken, SoftHSM2), their CSRs for the Tunduk CA, their
// certificates and expiry. Every key operation is logged to stderr.
package keys

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	csrcmd "github.com/tunduk-kg/tunduk/cmd/keys/csr"
	generatecmd "github.com/tunduk-kg/tunduk/cmd/keys/generate"
	importcertcmd "github.com/tunduk-kg/tunduk/cmd/keys/importcert"
	listcmd "github.com/tunduk-kg/tunduk/cmd/keys/list"
	showcmd "github.com/tunduk-kg/tunduk/cmd/keys/show"
)

// NewCmdKeys returns the keys command group.
func NewCmdKeys(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys <command>",
		Short: "Manage signing keys, CSRs and certificates",
		Long: `Signing keys live in a PEM file (file:PATH) or on a PKCS#11 token
(pkcs11:token=…;object=…?module-path=…&pin-source=FILE, RFC 7512). Name a key
with --uri, or with --key NAME from the configuration's keys section. A token
PIN comes from a file or the environment, never from the command line.

Typical flow: generate → csr → (CA issues) → import-cert → list.`,
	}
	// One line per verb.
	cmd.AddCommand(generatecmd.NewCmdGenerate(f, nil))
	cmd.AddCommand(csrcmd.NewCmdCSR(f, nil))
	cmd.AddCommand(importcertcmd.NewCmdImportCert(f, nil))
	cmd.AddCommand(listcmd.NewCmdList(f, nil))
	cmd.AddCommand(showcmd.NewCmdShow(f, nil))
	return cmd
}
