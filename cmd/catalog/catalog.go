// Package catalog is the `tunduk catalog` noun: the service catalog kept as
// YAML in version control (validate, generate WSDL/OpenAPI, export the
// public catalog) and its registration on the security server (plan,
// apply, diff).
package catalog

import (
	"github.com/spf13/cobra"

	applycmd "github.com/tunduk-kg/tunduk/cmd/catalog/apply"
	diffcmd "github.com/tunduk-kg/tunduk/cmd/catalog/diff"
	exportcmd "github.com/tunduk-kg/tunduk/cmd/catalog/export"
	openapicmd "github.com/tunduk-kg/tunduk/cmd/catalog/openapi"
	plancmd "github.com/tunduk-kg/tunduk/cmd/catalog/plan"
	validatecmd "github.com/tunduk-kg/tunduk/cmd/catalog/validate"
	wsdlcmd "github.com/tunduk-kg/tunduk/cmd/catalog/wsdl"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// NewCmdCatalog returns the catalog command group.
func NewCmdCatalog(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog <command>",
		Short: "Keep the Tunduk catalog and the security server's services in step",
		Long: `The catalog is a directory of YAML files (DIR; default catalog.dir of the configuration) describing the
organisation, its information systems, the services they provide and consume,
and the classifiers they use. These commands check it, generate the service
descriptions, export the public catalog, and register it on the security server.`,
	}
	// One line per verb.
	cmd.AddCommand(validatecmd.NewCmdValidate(f, nil))
	cmd.AddCommand(wsdlcmd.NewCmdWsdl(f, nil))
	cmd.AddCommand(openapicmd.NewCmdOpenapi(f, nil))
	cmd.AddCommand(exportcmd.NewCmdExport(f, nil))
	cmd.AddCommand(plancmd.NewCmdPlan(f, nil))
	cmd.AddCommand(applycmd.NewCmdApply(f, nil))
	cmd.AddCommand(diffcmd.NewCmdDiff(f, nil))
	return cmd
}
