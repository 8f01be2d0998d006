package root

import (
	"github.com/spf13/cobra"

	archivecmd "github.com/tunduk-kg/tunduk/cmd/archive"
	callcmd "github.com/tunduk-kg/tunduk/cmd/call"
	catalogcmd "github.com/tunduk-kg/tunduk/cmd/catalog"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	configcmd "github.com/tunduk-kg/tunduk/cmd/config/check"
	democmd "github.com/tunduk-kg/tunduk/cmd/demo"
	evidencecmd "github.com/tunduk-kg/tunduk/cmd/evidence"
	keyscmd "github.com/tunduk-kg/tunduk/cmd/keys"
	metacmd "github.com/tunduk-kg/tunduk/cmd/meta"
	msglogcmd "github.com/tunduk-kg/tunduk/cmd/msglog"
	noticecmd "github.com/tunduk-kg/tunduk/cmd/notice"
	servecmd "github.com/tunduk-kg/tunduk/cmd/serve"
	soapcmd "github.com/tunduk-kg/tunduk/cmd/soap"
	witnesscmd "github.com/tunduk-kg/tunduk/cmd/witness"
)

// The top-level nouns, one line each. Each noun lives in cmd/<noun>/ with
// one sub-package per verb (cmd/<noun>/<verb>/).
func init() {
	commands = []func(*cli.Factory) *cobra.Command{}
	commands = append(commands, catalogcmd.NewCmdCatalog)
	commands = append(commands, keyscmd.NewCmdKeys)
	commands = append(commands, archivecmd.NewCmdArchive)
	commands = append(commands, evidencecmd.NewCmdEvidence)
	commands = append(commands, func(f *cli.Factory) *cobra.Command { return witnesscmd.NewCmdWitness(f, nil) })
	commands = append(commands, soapcmd.NewCmdSoap)
	commands = append(commands, servecmd.NewCmdServe, democmd.NewCmdDemo)
	commands = append(commands, metacmd.NewCmdMeta)
	commands = append(commands, msglogcmd.NewCmdMsglog)
	commands = append(commands, configcmd.NewCmdConfig)
	commands = append(commands, noticecmd.NewCmdNotice)
	commands = append(commands, func(f *cli.Factory) *cobra.Command { return callcmd.NewCmdCall(f, nil) })
}
