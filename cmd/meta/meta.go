// Package meta is the `tunduk meta` noun: X-Road metaservices against the
// participant's security server (PR-META, PR-MREST), for operators finding
// providers, service codes and service descriptions.
package meta

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/meta/describe"
	listclientscmd "github.com/tunduk-kg/tunduk/cmd/meta/listclients"
	"github.com/tunduk-kg/tunduk/cmd/meta/methods"
)

// NewCmdMeta returns the meta command group.
func NewCmdMeta(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "meta <command>",
		Short: "Ask the security server's metaservices: clients, methods, WSDL, OpenAPI",
		Long: `Metaservices tell which members and subsystems exist (list-clients), which
services a provider offers (list-methods) and may be called by our client
subsystem (allowed-methods), and their descriptions (get-wsdl, get-openapi).
Service codes that are not public (e.g. the tax-arrears certificate) are found
this way. The connection comes from --config (securityServer section) and/or
the flags.`,
	}
	// One line per verb.
	cmd.AddCommand(listclientscmd.NewCmdListClients(f, nil))
	cmd.AddCommand(methods.NewCmdListMethods(f, nil))
	cmd.AddCommand(methods.NewCmdAllowedMethods(f, nil))
	cmd.AddCommand(describe.NewCmdGetWSDL(f, nil))
	cmd.AddCommand(describe.NewCmdGetOpenAPI(f, nil))
	return cmd
}
