// Package validate is `tunduk soap validate`: check X-Road messages and
// report the fault code a security server would answer with.
package validate

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/soap"
)

// ValidateOptions are the verb's inputs.
type ValidateOptions struct {
	IO          cli.IOStreams
	Paths       []string
	Role        soap.Role
	ContentType string // "" ⇒ detected per file
	Output      string // table or json
}

// NewCmdValidate returns the validate verb; runF nil runs it for real.
func NewCmdValidate(f *cli.Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: f.IO}
	var role string
	cmd := &cobra.Command{
		Use:   "validate [--role request|response] [--content-type T] FILE...",
		Short: "Check X-Road messages as a security server would",
		Long: `Check each message against X-Road's adapter-level rules (content type, MIME
structure, SOAP envelope, required and duplicate header fields, identifiers,
protocolVersion 4.x, exactly one body element named after the serviceCode).

Exits 0 when every file is valid. Otherwise prints one line per invalid file,
FILE: FAULTCODE: reason, with the code a security server would send: Client.X
for a request, Server.ServerProxy.ServiceFailed.X for a service's response;
and exits 1.

With --output json the result is an array with one {file, valid, faultCode,
reason, error} object per file.`,
		Example: `  tunduk soap validate request.xml
  tunduk soap validate --role response --content-type 'multipart/related; boundary=b' answer.mime`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			switch role {
			case "request":
				opts.Role = soap.RoleRequest
			case "response":
				opts.Role = soap.RoleResponse
			default:
				return cli.UsageError("--role must be request or response, not %q", role)
			}
			opts.Paths = args
			return cli.Run(opts, runF, validateRun)
		},
	}
	cmd.Flags().StringVar(&role, "role", "request", "which side sent the messages: request or response")
	cmd.Flags().StringVar(&opts.ContentType, "content-type", "", "HTTP Content-Type of the messages (default: detected; multipart boundaries from the first line)")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// Result is one file's verdict as printed with --output json.
type Result struct {
	File      string `json:"file"`
	Valid     bool   `json:"valid"`
	FaultCode string `json:"faultCode,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Error is set when the file could not be checked (unreadable).
	Error string `json:"error,omitempty"`
}

func validateRun(opts *ValidateOptions) error {
	invalid, failed := 0, 0
	results := make([]Result, 0, len(opts.Paths))
	for _, path := range opts.Paths {
		err := check(path, opts.ContentType, opts.Role)
		r := Result{File: path, Valid: err == nil}
		var ve *soap.ValidationError
		switch {
		case err == nil:
		case errors.As(err, &ve):
			invalid++
			r.FaultCode, r.Reason = string(soap.FaultCodeFor(err, opts.Role)), ve.Reason()
		default:
			failed++
			r.Error = err.Error()
			fmt.Fprintf(opts.IO.ErrOut, "%s: %v\n", path, err)
		}
		results = append(results, r)
	}
	if err := cli.Print(opts.IO.Out, opts.Output, results, func(w io.Writer) error { return writeInvalid(w, results) }); err != nil {
		return err
	}
	switch {
	case failed > 0:
		return &cli.ExitError{Code: cli.ExitFailure}
	case invalid > 0:
		return cli.Invalid()
	}
	return nil
}

// writeInvalid prints FILE: FAULTCODE: reason for each invalid message.
func writeInvalid(w io.Writer, results []Result) error {
	for _, r := range results {
		if !r.Valid && r.Error == "" {
			if _, err := fmt.Fprintf(w, "%s: %s: %s\n", r.File, r.FaultCode, r.Reason); err != nil {
				return err
			}
		}
	}
	return nil
}

func check(path, contentType string, role soap.Role) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, ct := soap.DetectContentType(f, contentType)
	m, err := soap.Parse(r, ct, soap.Limits{})
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Validate(role)
}
