package catalogflags

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// Local are the inputs every verb that reads a catalog directory on this
// host shares (validate, export, wsdl, openapi): the streams and the
// directory.
type Local struct {
	IO cli.IOStreams
	// Dir is the catalog directory (the DIR argument, else --dir, else
	// catalog.dir).
	Dir  string
	dirs Dir
}

// NewLocalCmd completes cmd (its Use, help and Args) as a verb that reads
// the catalog directory: --config and the hidden --dir, and a RunE that
// calls prepare with the arguments (it checks the flags and returns the
// command line for the hint naming what to pass, e.g. "catalog validate"),
// resolves the directory from the optional DIR argument args[dirArg] (see
// Dir.Resolve), then calls run.
func NewLocalCmd(f *cli.Factory, cmd *cobra.Command, l *Local, dirArg int, prepare func(args []string) (string, error), run func() error) *cobra.Command {
	l.IO = f.IO
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		verb, err := prepare(args)
		if err != nil {
			return err
		}
		if err := l.dirs.ResolveArg(&l.Dir, args, dirArg, verb); err != nil {
			return err
		}
		return run()
	}
	AddDirFlags(f, cmd, &l.dirs)
	return cmd
}

// Describe are the inputs of the verbs that describe one service of the
// catalog (wsdl, openapi).
type Describe struct {
	Local
	// Service names the service: code, code/version,
	// subsystem/code/version or its X-Road id.
	Service string
}

// NewDescribeCmd completes cmd as such a verb: the arguments SERVICE [DIR],
// SERVICE completed from the catalog, the directory flags, and a RunE that
// calls check (the verb's own flag rules, may be nil) and then run.
func NewDescribeCmd(f *cli.Factory, cmd *cobra.Command, d *Describe, check, run func() error) *cobra.Command {
	cmd.Args = cobra.RangeArgs(1, 2)
	cmd.ValidArgsFunction = CompleteServices(&d.dirs)
	verb := "catalog " + strings.Fields(cmd.Use)[0] + " "
	return NewLocalCmd(f, cmd, &d.Local, 1, func(args []string) (string, error) {
		d.Service = args[0]
		if check != nil {
			return verb + args[0], check()
		}
		return verb + args[0], nil
	}, run)
}

// Load is what a describing verb starts with: the service from the valid
// catalog (see LoadService), which must speak proto.
func (d *Describe) Load(proto catalog.Protocol) (*catalog.Service, error) {
	return LoadService(d.IO, d.Dir, d.Service, proto)
}

// DescribeAt is the Describe of the service ref in the catalog dir as the
// flags parse it (what a verb's flag test compares).
func DescribeAt(dir, ref string) Describe {
	return Describe{Local: Local{Dir: dir}, Service: ref}
}
