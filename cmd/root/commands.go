package root

import (
	"github.com/spf13/cobra"

	archivecmd "github.com/tunduk-kg/tunduk/cmd/archive"
	catalogcmd "github.com/tunduk-kg/tunduk/cmd/catalog"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// The top-level nouns, one line each. Each noun lives in cmd/<noun>/ with
// one sub-package per verb (cmd/<noun>/<verb>/).
func init() {
	commands = []func(*cli.Factory) *cobra.Command{}
	commands = append(commands, catalogcmd.NewCmdCatalog)
	commands = append(commands, archivecmd.NewCmdArchive)
}
