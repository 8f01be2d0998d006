// Package call is the `tunduk call` noun: send one ad-hoc request through
// the security server and print the answer, for operators checking a
// service by hand.
package call

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/soap"
)

// CallOptions are the command's inputs.
type CallOptions struct {
	IO      cli.IOStreams
	Conn    cli.SSConn
	Service soap.ServiceID
	// BodyFile holds the inner XML of the body wrapper (SOAP) or the request
	// body (REST); "-" reads stdin, "" sends an empty body.
	BodyFile  string
	Namespace string // SOAP wrapper namespace
	UserID    string
	Issue     string
	REST      bool
	Method    string // REST
	Path      string // REST, below the service code
}

// NewCmdCall returns the command; runF nil runs it for real.
func NewCmdCall(f *cli.Factory, runF func(*CallOptions) error) *cobra.Command {
	opts := &CallOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "call SERVICE_ID",
		Short: "Send one request through the security server and print the answer",
		Long: `Sends one X-Road request as the configured client subsystem and prints the answer
as received on stdout; a summary (message id, requestHash check, attempts,
duration) goes to stderr.

For SOAP, --body holds the inner XML of the body wrapper: the wrapper element
itself is always <serviceCode> in --namespace, so the two cannot diverge. The
answer is checked like every tunduk call: header echo and requestHash.
For REST (--rest), --path is the service's own path and --body the request
body, if any.

Exits 0 on a normal answer, 3 on a fault, timeout or protocol violation.`,
		Example: `  tunduk call central-server/GOV/70000002/gns-service/getTaxArrearsByINN/v1 \
      --namespace http://gns.gov.kg/xroad/arrears --body req.xml --user-id KG21504197800123 --issue tender-42
  tunduk call --rest central-server/GOV/70000024/minjust-inn-services/founders --path /01503201010234`,
		Args: cli.ExactArgs(1, "SERVICE_ID"),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := cli.ParseArg(args[0], "SERVICE_ID", soap.ParseServiceID, &opts.Service); err != nil {
				return err
			}
			if !opts.REST && (opts.Path != "" || opts.Method != "GET") {
				return cli.UsageError("--path and --method are for --rest calls")
			}
			return cli.Run(opts, runF, callRun)
		},
	}
	f.AddSSConn(cmd.Flags(), &opts.Conn)
	cmd.ValidArgsFunction = cli.FirstArg(f.CompleteServiceIDs())
	cmd.Flags().StringVar(&opts.BodyFile, "body", "", "file with the body (SOAP: inner XML of the wrapper); - for stdin")
	cmd.Flags().StringVar(&opts.Namespace, "namespace", "", "namespace of the SOAP body wrapper")
	cmd.Flags().StringVar(&opts.UserID, "user-id", "", "X-Road userId: the person the request is made for")
	cmd.Flags().StringVar(&opts.Issue, "issue", "", "X-Road issue: the case or document reference")
	cmd.Flags().BoolVar(&opts.REST, "rest", false, "call a REST service (PR-REST)")
	cmd.Flags().StringVar(&opts.Method, "method", "GET", "HTTP method for --rest")
	cmd.Flags().StringVar(&opts.Path, "path", "", "service path for --rest, e.g. /01503201010234")
	return cmd
}

func callRun(opts *CallOptions) error {
	body, err := readBody(opts)
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error()}
	}
	c, err := opts.Conn.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	if opts.REST {
		return callREST(opts, c, body)
	}
	return callSOAP(opts, c, body)
}

// callREST makes the PR-REST call and prints the answer's body, its
// X-Road headers to stderr.
func callREST(opts *CallOptions, c *ssclient.Client, body []byte) error {
	ex, err := c.DoREST(opts.Conn.Context(), ssclient.RESTRequest{Service: opts.Service, Method: opts.Method, Path: opts.Path, UserID: opts.UserID, Issue: opts.Issue, Body: body}, ssclient.CallOptions{})
	if ex != nil {
		fmt.Fprintf(opts.IO.ErrOut, "HTTP %d, X-Road-Id %s, X-Road-Request-Hash %s, %d attempt(s), %s\n", ex.StatusCode, ex.ID, ex.RequestHash, ex.Attempts, ex.Finished.Sub(ex.Started).Round(time.Millisecond))
		_, _ = opts.IO.Out.Write(ex.Body)
	}
	return result(err)
}

// callSOAP makes the SOAP call and prints the answer, the message id and
// whether its requestHash was verified to stderr.
func callSOAP(opts *CallOptions, c *ssclient.Client, body []byte) error {
	req, err := soap.NewRequest(soap.Request{Client: c.ClientID(), Service: opts.Service, UserID: opts.UserID, Issue: opts.Issue, BodyNamespace: opts.Namespace, Body: body})
	if err != nil {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("building the request: %v", err)}
	}
	ex, err := c.Do(opts.Conn.Context(), req, ssclient.CallOptions{})
	if ex != nil && ex.Response != nil {
		_, _ = ex.Response.WriteTo(opts.IO.Out)
		hashOK := "requestHash verified"
		if err != nil {
			hashOK = "answer not verified"
		}
		fmt.Fprintf(opts.IO.ErrOut, "\nmessage id %s, %s, %d attempt(s), %s\n", req.Header().ID, hashOK, ex.Attempts, ex.Finished.Sub(ex.Started).Round(time.Millisecond))
	}
	return result(err)
}

func result(err error) error {
	if err == nil {
		return nil
	}
	return cli.Failed("", err)
}

func readBody(opts *CallOptions) ([]byte, error) {
	switch opts.BodyFile {
	case "":
		return nil, nil
	case "-":
		return io.ReadAll(opts.IO.In)
	}
	b, err := os.ReadFile(opts.BodyFile)
	if err != nil {
		return nil, fmt.Errorf("--body: %w", err)
	}
	return b, nil
}
