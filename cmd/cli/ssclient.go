package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/config"
)

// SSFlags name the security server connection for `tunduk meta …` and
// `tunduk call`. Set flags override the configuration file's
// securityServer section, which is optional for these commands.
type SSFlags struct {
	URL            string
	Client         string
	CertFile       string
	KeyFile        string
	CAFile         string
	ServerCertFile string
	Timeout        time.Duration
}

// AddSSFlags registers --config and the connection flags.
func (f *Factory) AddSSFlags(fs *pflag.FlagSet, s *SSFlags) {
	f.AddConfigFlag(fs)
	fs.StringVar(&s.URL, "url", "", "security server URL, http://host:port or https://host:port")
	fs.StringVar(&s.Client, "client", "", "client subsystem id, e.g. central-server/GOV/70000099/zakupki")
	fs.StringVar(&s.CertFile, "cert", "", "client certificate (PEM) for https")
	fs.StringVar(&s.KeyFile, "key", "", "client certificate's private key (PEM) for https")
	fs.StringVar(&s.CAFile, "ca", "", "CA bundle (PEM) that verifies the security server")
	fs.StringVar(&s.ServerCertFile, "server-cert", "", "the security server's TLS certificate (PEM) to pin")
	fs.DurationVar(&s.Timeout, "timeout", 0, "per-call timeout (default from the configuration, 30s)")
}

// SecurityServer merges the configuration file (if any) and the flags into
// a validated securityServer section.
func (f *Factory) SecurityServer(s *SSFlags) (config.SecurityServer, error) {
	ss := config.DefaultSecurityServer()
	cfg, err := f.OptionalConfig()
	if err != nil {
		return ss, err
	}
	if cfg != nil {
		ss = cfg.SecurityServer
	}
	for _, o := range []struct {
		flag string
		dst  *string
	}{{s.URL, &ss.URL}, {s.Client, &ss.Client}, {s.CertFile, &ss.TLS.CertFile}, {s.KeyFile, &ss.TLS.KeyFile}, {s.CAFile, &ss.TLS.CAFile}, {s.ServerCertFile, &ss.TLS.ServerCertFile}} {
		if o.flag != "" {
			*o.dst = o.flag
		}
	}
	if s.Timeout > 0 {
		ss.Timeout = s.Timeout
	}
	// Validate the merged section the way a configuration file is
	// validated, so flags get the same messages.
	b, err := yaml.Marshal(map[string]any{"securityServer": ss})
	if err != nil {
		return ss, fmt.Errorf("securityServer settings: %w", err)
	}
	if _, err := config.Parse("securityServer settings (config and flags)", b); err != nil {
		return ss, err
	}
	return ss, nil
}

// SSClient builds the security-server client for the merged connection
// settings.
func (f *Factory) SSClient(s *SSFlags) (*ssclient.Client, error) {
	ss, err := f.SecurityServer(s)
	if err != nil {
		return nil, err
	}
	if ss.Client == "" {
		return nil, errors.New("no client subsystem: give --client or securityServer.client in the configuration")
	}
	o, err := ss.ClientOptions(nil)
	if err != nil {
		return nil, err
	}
	return ssclient.New(o)
}

// DescribeSSError turns an ssclient error into one line for the operator.
func DescribeSSError(err error) string {
	var fe *ssclient.FaultError
	switch {
	case errors.As(err, &fe):
		return fmt.Sprintf("fault %s: %s", fe.Code, strings.TrimSpace(fe.String))
	case errors.Is(err, ssclient.ErrTimeout):
		return "timeout: " + err.Error()
	case errors.Is(err, fs.ErrNotExist):
		return err.Error()
	}
	return err.Error()
}

// ExactArgs is cobra.ExactArgs reporting a usage error (exit 2); names
// says what the arguments are.
func ExactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return UsageError("want %s, got %d argument(s)", names, len(args))
		}
		return nil
	}
}

// NoArgs rejects positional arguments as a usage error (exit 2).
func NoArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageError("unexpected argument %q", args[0])
	}
	return nil
}

// SSConn is what a command that talks to the security server holds: its
// connection flags and the Factory's context and client constructor.
type SSConn struct {
	Flags   SSFlags
	Context func() context.Context
	client  func(*SSFlags) (*ssclient.Client, error)
}

// AddSSConn registers the connection flags of c on cmd.
func (f *Factory) AddSSConn(fs *pflag.FlagSet, c *SSConn) {
	c.Context, c.client = f.Context, f.SSClient
	f.AddSSFlags(fs, &c.Flags)
}

// Client builds the client; its errors are ExitFailure with the reason.
func (c *SSConn) Client() (*ssclient.Client, error) {
	cl, err := c.client(&c.Flags)
	if err != nil {
		return nil, &ExitError{Code: ExitFailure, Msg: err.Error()}
	}
	return cl, nil
}

// Failed reports a failed security-server call of verb as ExitFailure with
// one line for the operator.
func Failed(verb string, err error) error {
	if err == nil {
		return nil
	}
	msg := DescribeSSError(err)
	if verb != "" {
		msg = verb + ": " + msg
	}
	return &ExitError{Code: ExitFailure, Msg: msg}
}
