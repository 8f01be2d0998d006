package archiveflags

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/access"
)

// Read are the inputs every verb that reads the archives shares (ls,
// search, export): the streams, who reads and why, and the archive reader.
type Read struct {
	IO     cli.IOStreams
	Access Access
	// Context and ArchiveReader come from the Factory.
	Context       func() context.Context
	ArchiveReader func(context.Context) (*access.Reader, func() error, error)
}

// NewReadCmd completes cmd (its Use and help) as such a verb: no
// arguments, the access flags, and a RunE that checks them, then calls
// check (the verb's own flag rules, may be nil) and run.
func NewReadCmd(f *cli.Factory, cmd *cobra.Command, r *Read, check, run func() error) *cobra.Command {
	r.IO, r.Context, r.ArchiveReader = f.IO, f.Context, f.ArchiveReader
	cmd.Args = cli.NoArgs
	cmd.RunE = func(*cobra.Command, []string) error {
		if err := r.Access.Check(); err != nil {
			return err
		}
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		return run()
	}
	AddAccess(f, cmd, &r.Access)
	return cmd
}

// Recorded tells the reader where the read is recorded: the access log's
// record id, when the reader got that far.
func (r *Read) Recorded(readID string) {
	if readID != "" {
		fmt.Fprintf(r.IO.ErrOut, "this read is recorded in the access log as %s\n", readID)
	}
}

// Select is Read with the record-selection flags (search, export).
type Select struct {
	Read
	// Query is what the selection flags ask for.
	Query access.Query
	flags Query
}

// NewSelectCmd is NewReadCmd with the selection flags, parsed into
// s.Query before check.
func NewSelectCmd(f *cli.Factory, cmd *cobra.Command, s *Select, check, run func() error) *cobra.Command {
	NewReadCmd(f, cmd, &s.Read, func() error {
		q, err := s.flags.Query()
		if err != nil {
			return err
		}
		s.Query = q
		if check != nil {
			return check()
		}
		return nil
	}, run)
	s.flags.Add(cmd.Flags())
	return cmd
}
