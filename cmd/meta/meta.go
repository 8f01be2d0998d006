// Package meta is the `tunduk meta` noun: X-Road metaservices against the
// participant's security server (PR-META, PR-MREST), for operators finding
// providers, service codes and service descriptions.
package meta

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	allowedmethodscmd "github.com/tunduk-kg/tunduk/cmd/meta/allowedmethods"
	getopenapicmd "github.com/tunduk-kg/tunduk/cmd/meta/getopenapi"
	getwsdlcmd "github.com/tunduk-kg/tunduk/cmd/meta/getwsdl"
	listclientscmd "github.com/tunduk-kg/tunduk/cmd/meta/listclients"
	listmethodscmd "github.com/tunduk-kg/tunduk/cmd/meta/listmethods"
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
	cmd.AddCommand(listmethodscmd.NewCmdListMethods(f, nil))
	cmd.AddCommand(allowedmethodscmd.NewCmdAllowedMethods(f, nil))
	cmd.AddCommand(getwsdlcmd.NewCmdGetWSDL(f, nil))
	cmd.AddCommand(getopenapicmd.NewCmdGetOpenAPI(f, nil))
	return cmd
}
