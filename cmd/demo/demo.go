// Package demo is `tunduk demo` (and `make run`): the supplier-check
// gateway on localhost wired to an in-process Tunduk security-server
// emulator with the fixture providers and demo data (soap/xroadtest). It
// prints a working curl command and runs until Ctrl-C. The emulator is a
// test double; production uses `tunduk serve`.
package demo

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/cmd/internal/stack"
	"github.com/tunduk-kg/tunduk/configs"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// Demo credentials: not secrets, printed on start.
const (
	DemoAPIKey  = "demo-api-key-not-a-secret-0123456789"
	DemoOfficer = "21504197800123"
)

// DemoOptions are the flags of tunduk demo.
type DemoOptions struct {
	IO         cli.IOStreams
	Listen     string
	JournalDir string
	LogLevel   string
	// SSAPIListen is where the emulated SS Management API listens.
	SSAPIListen string
	// Drift seeds a live service on the emulated SS that the catalog lacks.
	Drift bool
	// started, for tests: called with the API base URL once listening.
	started func(baseURL string)
	// Context (SIGINT/SIGTERM) comes from the Factory.
	Context func() context.Context
}

// NewCmdDemo is the root's noun entry.
func NewCmdDemo(f *cli.Factory) *cobra.Command { return NewCmdDemoWith(f, nil) }

// NewCmdDemoWith takes runF for tests (nil runs for real).
func NewCmdDemoWith(f *cli.Factory, runF func(*DemoOptions) error) *cobra.Command {
	o := &DemoOptions{IO: f.IO, Context: f.Context}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the gateway with an embedded Tunduk emulator and demo data",
		Long: `Start the supplier-check gateway on localhost against an in-process Tunduk
security-server emulator serving fictitious companies and people for the four
checks (tax debt, social-fund debt, founders, criminal record). Prints a curl
command to try and runs until Ctrl-C. Every exchange is recorded in a signed
message log (throwaway key), archived on exit for tunduk archive verify.

It also runs an emulated security-server Management REST API (every request
checked against X-Road's openapi-definition.yaml) owned by the example
catalog's member, writes that catalog and a configuration for it into the
demo directory, and prints tunduk catalog plan, apply and diff commands that
work against it. With --drift (the default) the emulated SS already has a
live service the catalog does not describe, which diff reports with "!".`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(o)
			}
			return Run(o.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Listen, "listen", "127.0.0.1:8088", "address of the portal API (loopback)")
	cmd.Flags().StringVar(&o.JournalDir, "dir", "", "directory for the signed message log and its archives (default: a new temporary directory)")
	cmd.Flags().StringVar(&o.LogLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().StringVar(&o.SSAPIListen, "ss-api-listen", "127.0.0.1:0", "address of the emulated SS Management API (loopback)")
	cmd.Flags().BoolVar(&o.Drift, "drift", true, "register a live service on the emulated SS that the catalog lacks (catalog diff shows it with !)")
	return cmd
}

// Run runs the demo until ctx ends.
func Run(ctx context.Context, o *DemoOptions) error {
	log, err := observe.NewLogger(observe.LogOptions{Level: o.LogLevel, Format: "console", Out: o.IO.ErrOut})
	if err != nil {
		return cli.UsageError("%v", err)
	}
	dir := o.JournalDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tunduk-demo-"); err != nil {
			return err
		}
	}
	catalogCmds, closeCatalog := startCatalog(dir, o, log)
	defer closeCatalog()
	reg := prometheus.NewRegistry()
	d, err := buildDemo(ctx, dir, o.Listen, reg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	so := d.st.ServerOptions(d.gw, log)
	so.OnListening = func(api, _ net.Addr) {
		base := "http://" + api.String()
		printBanner(o.IO.Out, base, d.ss.URL, archiveDir(dir), catalogCmds)
		if o.started != nil {
			o.started(base)
		}
	}
	err = gateway.Serve(ctx, so)
	log.Info("demo stopped; exchanges archived", zap.String("archives", archiveDir(dir)),
		zap.String("verify", "tunduk archive verify -f "+archiveDir(dir)))
	return err
}

// startCatalog starts the emulated SS Management API for the catalog
// commands; without it the demo runs on, and says so.
func startCatalog(dir string, o *DemoOptions, log *zap.Logger) (commands []string, closeFn func()) {
	cd, err := startCatalogDemo(dir, o.SSAPIListen, o.Drift, log)
	if err != nil {
		log.Warn("the emulated SS Management API is not running", zap.Error(err))
		return nil, func() {}
	}
	return cd.Commands(), cd.Close
}

// demo is what the portal API runs on: the signed message log, the
// emulated security server and the gateway stack.
type demo struct {
	mlog *msglog.Log
	cert *x509.Certificate
	ss   *xroadtest.SecurityServer
	gw   config.Gateway
	st   *stack.Stack
	log  *zap.Logger
	// stopMonitor stops the local monitoring centre (GET /monitor).
	stopMonitor func()
}

// buildDemo opens the signed log under dir, builds the stack on it and
// starts its monitoring (until Close).
// The founders check runs the whole chain a participant runs: portal →
// gateway → emulated SS → tunduk's provider (its exchanges signed in the
// same log) → fixture backend.
func buildDemo(ctx context.Context, dir, listen string, reg *prometheus.Registry, log *zap.Logger) (*demo, error) {
	ms, err := mapping.LoadFS(configs.Mappings, "mappings")
	if err != nil {
		return nil, err
	}
	d := &demo{log: log}
	if d.mlog, d.cert, err = openDemoLog(dir, reg, log); err != nil {
		return nil, err
	}
	d.ss = fixtures.NewDemo(fixtures.DemoOptions{ViaProvider: true,
		ProviderRecorder: &recorder.Recorder{Log: d.mlog, Member: fixtures.FoundersService.Provider().String(), Direction: "provider"}})
	var sec config.SecurityServer
	sec, d.gw = settings(d.ss.URL, listen)
	rec := &recorder.Recorder{Log: d.mlog, Member: sec.Client, Direction: "consumer"}
	if d.st, err = stack.Build(stack.BuildOptions{SecurityServer: sec, Gateway: d.gw, Mappings: ms, Recorder: rec, Registry: reg, Logger: log}); err != nil {
		d.Close()
		return nil, err
	}
	if d.stopMonitor, err = startMonitor(ctx, dir, d.st, d.cert, reg, log); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close stops the monitoring, closes the stack and the emulated SS, then
// archives and closes the log.
func (d *demo) Close() {
	if d.stopMonitor != nil {
		d.stopMonitor()
	}
	if d.st != nil {
		d.st.Close()
	}
	d.ss.Close()
	closeDemoLog(d.mlog, d.log)
}

func settings(ssURL, listen string) (config.SecurityServer, config.Gateway) {
	sec := config.DefaultSecurityServer()
	sec.URL, sec.Client, sec.UserIDPrefix, sec.Timeout = ssURL, fixtures.PortalClient.String(), "KG", 10*time.Second
	gw := config.DefaultGateway()
	gw.Listen, gw.ShutdownTimeout = listen, 10*time.Second
	gw.Callers = []config.Caller{{Name: "demo-portal", APIKey: config.Secret(DemoAPIKey), Checks: []string{"*"}}}
	return sec, gw
}

// CurlCommand is the one-line supplier check the demo suggests.
func CurlCommand(base string) string {
	return fmt.Sprintf(`curl -s -H 'Authorization: Bearer %s' -H 'X-User-Id: %s' -H 'X-Issue: tender-2026-117/lot-3' `+
		`-H 'Content-Type: application/json' -d '{"inn":"02207200800561","representativePin":"22201197000311",`+
		`"checks":["tax-debt","social-fund-debt","founders","criminal-record"]}' %s/v1/supplier-checks`, DemoAPIKey, DemoOfficer, base)
}

func printBanner(w io.Writer, base, ss, archives string, catalogCmds []string) {
	fmt.Fprintf(w, `tunduk demo: supplier-check gateway on %s
  emulated Tunduk security server: %s (test double with fictitious data)
  signed message log: every exchange is signed (throwaway demo key); archived on Ctrl-C into
    %s — check them with: tunduk archive verify -f %[3]s
  API description: %s/openapi.json   metrics: %s/metrics

Run a supplier check (officer %s, demo API key):

%s

Single checks: %s/v1/suppliers/{inn}/tax-debt | social-fund-debt | founders, %s/v1/persons/{pin}/criminal-record
`, base, ss, archives, base, base, DemoOfficer, CurlCommand(base), base, base)
	if len(catalogCmds) > 0 {
		fmt.Fprintf(w, "\nRegister the example catalog on the emulated security server (Management API, test double):\n\n")
		for _, c := range catalogCmds {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}
