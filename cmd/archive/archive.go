// Package archive is the `tunduk archive` noun: verifying, listing,
// searching and exporting the signed message log's X-Road archives.
package archive

import (
	"github.com/spf13/cobra"

	collectcmd "github.com/tunduk-kg/tunduk/cmd/archive/collect"
	exportcmd "github.com/tunduk-kg/tunduk/cmd/archive/export"
	lscmd "github.com/tunduk-kg/tunduk/cmd/archive/ls"
	policycmd "github.com/tunduk-kg/tunduk/cmd/archive/policy"
	searchcmd "github.com/tunduk-kg/tunduk/cmd/archive/search"
	verifycmd "github.com/tunduk-kg/tunduk/cmd/archive/verify"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// NewCmdArchive returns the `archive` command group. Each verb lives in
// its own package under cmd/archive/<verb>/ and is added here, one line
// each.
func NewCmdArchive(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive <command>",
		Short: "Verify and read message-log archives (X-Road ASiC-E containers and mlog-*.zip)",
		Long: `Message-log archives hold every logged exchange as an ASiC-E container,
bundled into mlog-<first>-<last>-<digest>.zip files whose linkinginfo chains
each archive to the previous one, exactly as X-Road's security server writes
them.`,
	}
	for _, verb := range verbs {
		cmd.AddCommand(verb(f))
	}
	return cmd
}

// verbs lists the archive verbs, one line each.
var verbs = []func(*cli.Factory) *cobra.Command{
	func(f *cli.Factory) *cobra.Command { return verifycmd.NewCmdVerify(f, nil) },
	func(f *cli.Factory) *cobra.Command { return lscmd.NewCmdLs(f, nil) },
	func(f *cli.Factory) *cobra.Command { return searchcmd.NewCmdSearch(f, nil) },
	func(f *cli.Factory) *cobra.Command { return exportcmd.NewCmdExport(f, nil) },
	func(f *cli.Factory) *cobra.Command { return policycmd.NewCmdPolicy(f, nil) },
	func(f *cli.Factory) *cobra.Command { return collectcmd.NewCmdCollect(f, nil) },
}
