// Package metaflags holds what the `tunduk meta` verbs share beyond the
// security-server connection (cli.SSConn): printing service lists.
package metaflags

import (
	"fmt"
	"io"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
)

// Method is one service as printed with --output json.
type Method struct {
	Service   string     `json:"service"`
	Type      string     `json:"type"`
	Endpoints []Endpoint `json:"endpoints,omitempty"`
}

// Endpoint is a REST endpoint as printed with --output json.
type Endpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// PrintMethods writes the services: as table, one per line with its
// identifier, type and, for REST, its endpoints; as json, an array of
// Method.
func PrintMethods(w io.Writer, output string, ms []ssclient.Method) error {
	if output == cli.OutputJSON {
		rows := make([]Method, 0, len(ms))
		for _, m := range ms {
			r := Method{Service: m.Service.String(), Type: m.Type}
			for _, e := range m.Endpoints {
				r.Endpoints = append(r.Endpoints, Endpoint{Method: e.Method, Path: e.Path})
			}
			rows = append(rows, r)
		}
		return cli.WriteJSON(w, rows)
	}
	for _, m := range ms {
		fmt.Fprintf(w, "%s\t%s\n", m.Service, m.Type)
		for _, e := range m.Endpoints {
			fmt.Fprintf(w, "\t%s %s\n", e.Method, e.Path)
		}
	}
	return nil
}
