// Package listclients is `tunduk meta list-clients`.
package listclients

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/meta/ssconn"
)

// ListClientsOptions are the verb's inputs.
type ListClientsOptions struct {
	IO       cli.IOStreams
	Conn     ssconn.Flags
	Instance string
	Output   string // text or json
}

// NewCmdListClients returns the verb; runF nil runs it for real.
func NewCmdListClients(f *cli.Factory, runF func(*ListClientsOptions) error) *cobra.Command {
	opts := &ListClientsOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "list-clients",
		Short: "List the members and subsystems of the X-Road instance",
		Example: `  tunduk meta list-clients --config /etc/tunduk/tunduk.yaml
  tunduk meta list-clients --url http://127.0.0.1:8080 --client central-server/GOV/70000099/zakupki -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if opts.Output != "text" && opts.Output != "json" {
				return cli.UsageError("--output must be text or json")
			}
			if runF != nil {
				return runF(opts)
			}
			return listClientsRun(opts)
		},
	}
	opts.Conn.Register(cmd.Flags())
	cmd.Flags().StringVar(&opts.Instance, "instance", "", "X-Road instance (default: the security server's own)")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

func listClientsRun(opts *ListClientsOptions) error {
	c, err := opts.Conn.NewClient()
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	defer c.Close()
	ms, err := c.ListClients(context.Background(), opts.Instance, ssclient.MetaOptions{})
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: "list-clients: " + ssconn.Describe(err)}
	}
	if opts.Output == "json" {
		type row struct {
			ID            string `json:"id"`
			Type          string `json:"type"`
			Name          string `json:"name"`
			SubsystemName string `json:"subsystemName,omitempty"`
		}
		rows := make([]row, 0, len(ms))
		for _, m := range ms {
			rows = append(rows, row{ID: m.ID.String(), Type: string(m.ID.ObjectType()), Name: m.Name, SubsystemName: m.SubsystemName})
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	for _, m := range ms {
		name := m.Name
		if m.SubsystemName != "" {
			name += " / " + m.SubsystemName
		}
		fmt.Fprintf(opts.IO.Out, "%s\t%s\t%s\n", m.ID.ObjectType(), m.ID, name)
	}
	return nil
}
