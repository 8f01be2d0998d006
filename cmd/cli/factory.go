package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
)

// ConfigEnv names the configuration file when --config is not given.
const ConfigEnv = "TUNDUK_CONFIG"

// DefaultConfig is the configuration file read when neither --config nor
// $TUNDUK_CONFIG names one.
const DefaultConfig = "/etc/tunduk/tunduk.yaml"

// Factory is the composition root of the CLI (the GitHub CLI's
// cmdutil.Factory is the model): every command receives it and asks it for
// what it needs. Each dependency is built lazily, on first use, and once:
// the signal-aware context, the configuration, key managers (keys.go is the
// only place the key backends are linked in), the message log opened with
// its signing key, the archive reader and the security-server client.
// Commands therefore never find configuration files, open keys or wire
// logs themselves.
type Factory struct {
	IO IOStreams
	// ConfigFlag is the value of --config; ConfigPath applies the lookup rule.
	ConfigFlag string

	ctxOnce sync.Once
	ctx     context.Context
	stop    context.CancelFunc

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error

	evidence *evidence.Log // opened by MessageLog
}

// New returns a factory writing to io.
func New(io IOStreams) *Factory { return &Factory{IO: io} }

// Context is cancelled on SIGINT or SIGTERM, so every command that uses it
// (long-running ones in particular: serve, demo, archive collect) stops
// cleanly: in-flight work finishes, logs are sealed, keys released.
func (f *Factory) Context() context.Context {
	f.ctxOnce.Do(func() {
		f.ctx, f.stop = signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	})
	return f.ctx
}

// Stop releases the signal handler; a second signal then ends the process.
func (f *Factory) Stop() {
	if f.stop != nil {
		f.stop()
	}
}

// AddConfigFlag registers --config on a command that reads the
// configuration; every such command documents the same lookup rule.
func (f *Factory) AddConfigFlag(fs *pflag.FlagSet) {
	fs.StringVarP(&f.ConfigFlag, "config", "c", "", "configuration file (default $"+ConfigEnv+", else "+DefaultConfig+")")
}

// ConfigPath is the one lookup rule for the configuration file: --config,
// else $TUNDUK_CONFIG, else DefaultConfig. explicit reports whether the
// operator named the file (flag or environment).
func (f *Factory) ConfigPath() (path string, explicit bool) {
	if f.ConfigFlag != "" {
		return f.ConfigFlag, true
	}
	if p := os.Getenv(ConfigEnv); p != "" {
		return p, true
	}
	return DefaultConfig, false
}

// Config loads, defaults and validates the configuration file, once.
func (f *Factory) Config() (*config.Config, error) {
	f.cfgOnce.Do(func() {
		path, _ := f.ConfigPath()
		f.cfg, f.cfgErr = config.Load(path)
	})
	return f.cfg, f.cfgErr
}

// OptionalConfig is Config for commands that can work from flags alone
// (meta, call, archive collect): when no file was named and DefaultConfig
// does not exist it returns nil, nil.
func (f *Factory) OptionalConfig() (*config.Config, error) {
	path, explicit := f.ConfigPath()
	if !explicit {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// ConfigDir is the directory of the configuration file, the base of the
// relative paths inside it.
func (f *Factory) ConfigDir() string {
	path, _ := f.ConfigPath()
	return filepath.Dir(path)
}
