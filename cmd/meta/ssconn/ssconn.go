// Package ssconn holds what `tunduk meta …` and `tunduk call` share: the
// flags naming the security server connection, merged over the
// securityServer section of the configuration file, and the output of
// service lists.
package ssconn

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
)

// DefaultConfig is read when it exists and --config is not given.
const DefaultConfig = "/etc/tunduk/tunduk.yaml"

// Flags name the security server connection. Set flags override the
// configuration file's securityServer section.
type Flags struct {
	ConfigPath     string
	URL            string
	Client         string
	CertFile       string
	KeyFile        string
	CAFile         string
	ServerCertFile string
	Timeout        time.Duration
}

// Register adds the connection flags to fs.
func (f *Flags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.ConfigPath, "config", "", "tunduk configuration file (securityServer section); default "+DefaultConfig+" when it exists")
	fs.StringVar(&f.URL, "url", "", "security server URL, http://host:port or https://host:port")
	fs.StringVar(&f.Client, "client", "", "client subsystem id, e.g. central-server/GOV/70000099/zakupki")
	fs.StringVar(&f.CertFile, "cert", "", "client certificate (PEM) for https")
	fs.StringVar(&f.KeyFile, "key", "", "client certificate's private key (PEM) for https")
	fs.StringVar(&f.CAFile, "ca", "", "CA bundle (PEM) that verifies the security server")
	fs.StringVar(&f.ServerCertFile, "server-cert", "", "the security server's TLS certificate (PEM) to pin")
	fs.DurationVar(&f.Timeout, "timeout", 0, "per-call timeout (default from the configuration, 30s)")
}

// Section merges the configuration file (if any) and the flags into a
// validated securityServer section.
func (f *Flags) Section() (config.SecurityServer, error) {
	ss := config.DefaultSecurityServer()
	path := f.ConfigPath
	if path == "" {
		if _, err := os.Stat(DefaultConfig); err == nil {
			path = DefaultConfig
		}
	}
	if path != "" {
		cfg, err := config.Load(path)
		if err != nil {
			return ss, err
		}
		ss = cfg.SecurityServer
	}
	for _, o := range []struct {
		flag string
		dst  *string
	}{{f.URL, &ss.URL}, {f.Client, &ss.Client}, {f.CertFile, &ss.TLS.CertFile}, {f.KeyFile, &ss.TLS.KeyFile}, {f.CAFile, &ss.TLS.CAFile}, {f.ServerCertFile, &ss.TLS.ServerCertFile}} {
		if o.flag != "" {
			*o.dst = o.flag
		}
	}
	if f.Timeout > 0 {
		ss.Timeout = f.Timeout
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

// NewClient builds the ssclient.Client for the merged connection settings.
func (f *Flags) NewClient() (*ssclient.Client, error) {
	ss, err := f.Section()
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

// PrintMethods writes one service per line: its identifier, type and, for
// REST, its endpoints.
func PrintMethods(w io.Writer, ms []ssclient.Method) {
	for _, m := range ms {
		fmt.Fprintf(w, "%s\t%s\n", m.Service, m.Type)
		for _, e := range m.Endpoints {
			fmt.Fprintf(w, "\t%s %s\n", e.Method, e.Path)
		}
	}
}

// Describe turns an ssclient error into one line for the operator.
func Describe(err error) string {
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

// ExactArgs is cobra.ExactArgs reporting a usage error (exit 2).
func ExactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return cli.UsageError("want %s, got %d argument(s)", names, len(args))
		}
		return nil
	}
}
