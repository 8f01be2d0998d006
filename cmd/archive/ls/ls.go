// Package ls is `tunduk archive ls`: list the message-log archives (and
// retention tombstones) under a configured role and a stated purpose; the
// listing is recorded as a signed log record.
package ls

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/archive/search"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/keys/keyref"
	"github.com/tunduk-kg/tunduk/signing/msglog/access"
)

// LsOptions are the verb's inputs.
type LsOptions struct {
	IO         cli.IOStreams
	ConfigPath string
	User       string
	Role       string
	Purpose    string
	Output     string
}

// NewCmdLs returns the ls verb; runF nil runs it for real.
func NewCmdLs(f *cli.Factory, runF func(*LsOptions) error) *cobra.Command {
	opts := &LsOptions{IO: f.IO, User: search.CurrentUser()}
	cmd := &cobra.Command{
		Use:     "ls --role ROLE --purpose PURPOSE",
		Short:   "List message-log archives (the listing is itself logged and signed)",
		Example: `  tunduk archive ls --role auditor --purpose audit`,
		Args:    search.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := search.CheckAccessFlags(opts.Role, opts.Purpose); err != nil {
				return err
			}
			if opts.Output != "text" && opts.Output != "json" {
				return cli.UsageError("--output must be text or json")
			}
			if runF != nil {
				return runF(opts)
			}
			return lsRun(opts)
		},
	}
	search.AddAccessFlags(cmd.Flags(), &opts.ConfigPath, &opts.Role, &opts.Purpose)
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

func lsRun(opts *LsOptions) error {
	cfg, err := config.Load(keyref.ConfigPath(opts.ConfigPath))
	if err != nil {
		return err
	}
	ctx := context.Background()
	rd, closeRd, err := cfg.OpenArchiveReader(ctx, zap.NewNop())
	if err != nil {
		return err
	}
	defer closeRd()
	archives, readID, err := rd.List(ctx, access.Request{User: opts.User, Role: opts.Role, Purpose: opts.Purpose})
	if readID != "" {
		fmt.Fprintf(opts.IO.ErrOut, "this read is recorded in the access log as %s\n", readID)
	}
	if err != nil {
		return err
	}
	if err := closeRd(); err != nil {
		return err
	}
	if opts.Output == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(archives)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tARCHIVE\tBYTES\tKIND")
	for _, a := range archives {
		kind := "archive"
		if a.Tombstone {
			kind = "tombstone"
		}
		group := a.Group
		if group == "" {
			group = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", group, a.Name, a.Size, kind)
	}
	return tw.Flush()
}
