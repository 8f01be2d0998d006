// Package soap is the `tunduk soap` noun: reading and checking X-Road SOAP
// messages (PR-MESS 4.0) as a security server would.
package soap

import (
	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	inspectcmd "github.com/tunduk-kg/tunduk/cmd/soap/inspect"
	validatecmd "github.com/tunduk-kg/tunduk/cmd/soap/validate"
)

// NewCmdSoap returns the `soap` command group; each verb lives in its own
// package under cmd/soap/<verb>/.
func NewCmdSoap(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "soap <command>",
		Short: "Inspect and validate X-Road SOAP messages",
		Long: `Read X-Road SOAP messages (text/xml, SOAP with Attachments, MTOM) the way a
security server does: print their X-Road headers, or check them and report the
X-Road fault code a security server would answer with.`,
	}
	for _, verb := range verbs {
		cmd.AddCommand(verb(f))
	}
	return cmd
}

// verbs lists the soap verbs, one line each.
var verbs = []func(*cli.Factory) *cobra.Command{
	func(f *cli.Factory) *cobra.Command { return inspectcmd.NewCmdInspect(f, nil) },
	func(f *cli.Factory) *cobra.Command { return validatecmd.NewCmdValidate(f, nil) },
}
