// Package listclients is `tunduk meta list-clients`.
package listclients

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// ListClientsOptions are the verb's inputs.
type ListClientsOptions struct {
	IO       cli.IOStreams
	Conn     cli.SSConn
	Instance string
	Output   string // table or json
}

// NewCmdListClients returns the verb; runF nil runs it for real.
func NewCmdListClients(f *cli.Factory, runF func(*ListClientsOptions) error) *cobra.Command {
	opts := &ListClientsOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "list-clients",
		Short: "List the members and subsystems of the X-Road instance",
		Long: `List the members and subsystems of the X-Road instance (listClients).

With --output json the result is an array of {id, type, name,
subsystemName}.`,
		Example: `  tunduk meta list-clients --config /etc/tunduk/tunduk.yaml
  tunduk meta list-clients --url http://127.0.0.1:8080 --client central-server/GOV/70000099/zakupki -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cli.Run(opts, runF, listClientsRun)
		},
	}
	f.AddSSConn(cmd.Flags(), &opts.Conn)
	cmd.Flags().StringVar(&opts.Instance, "instance", "", "X-Road instance (default: the security server's own)")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func listClientsRun(opts *ListClientsOptions) error {
	c, err := opts.Conn.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	ms, err := c.ListClients(opts.Conn.Context(), opts.Instance, ssclient.MetaOptions{})
	if err != nil {
		return cli.Failed("list-clients", err)
	}
	rows := make([]Client, 0, len(ms))
	for _, m := range ms {
		rows = append(rows, Client{ID: m.ID.String(), Type: string(m.ID.ObjectType()), Name: m.Name, SubsystemName: m.SubsystemName})
	}
	return cli.Print(opts.IO.Out, opts.Output, rows, func(w io.Writer) error {
		for _, r := range rows {
			name := r.Name
			if r.SubsystemName != "" {
				name += " / " + r.SubsystemName
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", r.Type, r.ID, name)
		}
		return nil
	})
}

// Client is one member or subsystem as printed with --output json.
type Client struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	Name          string `json:"name"`
	SubsystemName string `json:"subsystemName,omitempty"`
}
