// Package inspect is `tunduk soap inspect`: print an X-Road message's
// headers as JSON.
package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/soap"
)

// InspectOptions are the verb's inputs.
type InspectOptions struct {
	IO          cli.IOStreams
	Path        string // file, or "-" for standard input
	ContentType string // "" ⇒ detected from the first bytes
}

// NewCmdInspect returns the inspect verb; runF nil runs it for real.
func NewCmdInspect(f *cli.Factory, runF func(*InspectOptions) error) *cobra.Command {
	opts := &InspectOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "inspect FILE|-",
		Short: "Print an X-Road message's headers, body element and attachments as JSON",
		Long: `Parse an X-Road SOAP message and print what it carries as JSON: the X-Road
header fields (client, service, id, userId, issue, protocolVersion,
requestHash, extensions, unknown elements in order), the body's wrapper
element, a SOAP fault if it is one, its attachments, and how a security server
would judge it as a request and as a response.

Without --content-type a file starting with a MIME boundary line is read as
multipart/related with that boundary, anything else as text/xml; UTF-8.`,
		Example: `  tunduk soap inspect request.xml
  tunduk soap inspect --content-type 'multipart/related; boundary=xyz' message.mime
  curl -s … | tunduk soap inspect -`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Path = args[0]
			return cli.Run(opts, runF, inspectRun)
		},
	}
	cmd.Flags().StringVar(&opts.ContentType, "content-type", "", "HTTP Content-Type of the message (needed for multipart boundaries that cannot be detected)")
	return cmd
}

func inspectRun(opts *InspectOptions) error {
	in, closeIn, err := open(opts.IO, opts.Path)
	if err != nil {
		return err
	}
	defer closeIn()
	r, ct := soap.DetectContentType(in, opts.ContentType)
	m, err := soap.Parse(r, ct, soap.Limits{})
	if err != nil {
		fmt.Fprintf(opts.IO.Out, "%s: %s: %s\n", opts.Path, soap.FaultCodeFor(err, soap.RoleRequest), reason(err))
		return cli.Invalid()
	}
	defer m.Close()
	enc := json.NewEncoder(opts.IO.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(soap.Describe(m)); err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("writing output: %v", err)}
	}
	return nil
}

func open(streams cli.IOStreams, path string) (io.Reader, func(), error) {
	if path == "-" {
		return streams.In, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	return f, func() { f.Close() }, nil
}

func reason(err error) string {
	var ve *soap.ValidationError
	if errors.As(err, &ve) {
		return ve.Reason()
	}
	return err.Error()
}
