// Package keyref is what the `tunduk keys` verbs share: choosing a key on
// the command line (--uri, or --key NAME from the configuration file, with
// completion of the configured names), turning it into kms.Options with its
// PIN, opening its KeyManager through the Factory, and the logger key
// operations are recorded with.
package keyref

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// Ref selects a key.
type Ref struct {
	URI     string // --uri
	Name    string // --key, looked up in the configuration
	PINFile string // --pin-file, for --uri pkcs11 keys without pin-source
	// Logger records the key operations (default: Logger on stderr, set
	// by Ready).
	Logger *zap.Logger
	// Context, the configuration and the key managers come from the Factory.
	Context    func() context.Context
	config     func() (*config.Config, error)
	configPath func() (string, bool)
	keyManager func(context.Context, kms.Options) (kms.KeyManager, error)
}

// AddFlags registers --uri, --key (completing the configured key names),
// --config and --pin-file, and wires r to the Factory.
func AddFlags(f *cli.Factory, cmd *cobra.Command, r *Ref) {
	r.Context, r.config, r.configPath, r.keyManager = f.Context, f.Config, f.ConfigPath, f.KeyManager
	fs := cmd.Flags()
	fs.StringVar(&r.URI, "uri", "", "key URI: file:PATH or pkcs11:token=…;object=…?module-path=…&pin-source=FILE")
	fs.StringVar(&r.Name, "key", "", "key NAME from the configuration's keys section (instead of --uri)")
	f.AddConfigFlag(fs)
	fs.StringVar(&r.PINFile, "pin-file", "", "file holding the token PIN (pkcs11 --uri keys; the PIN is never taken from the command line)")
	cli.Complete(cmd, "key", f.CompleteKeyNames())
}

// Key is a resolved key.
type Key struct {
	Name        string // configured name, or "" for --uri
	Options     kms.Options
	Certificate string // certificate file, "" when unknown
	open        func(context.Context, kms.Options) (kms.KeyManager, error)
}

// Check reports a usage error unless exactly one of --uri and --key is set.
func (r *Ref) Check() error {
	if (r.URI == "") == (r.Name == "") {
		return cli.UsageError("give exactly one of --uri URI and --key NAME")
	}
	if r.PINFile != "" && r.URI == "" {
		return cli.UsageError("--pin-file goes with --uri; a configured key has its own PIN source")
	}
	return nil
}

// Ready is what every key verb's RunE starts with: Check, and the
// default Logger on errOut (the operator's stderr).
func (r *Ref) Ready(errOut io.Writer) error {
	if err := r.Check(); err != nil {
		return err
	}
	if r.Logger == nil {
		r.Logger = Logger(errOut)
	}
	return nil
}

// Do opens the key (see Open), calls fn with it and closes its
// KeyManager: "open the key → use it → close it", written once.
func (r *Ref) Do(fn func(*Key, kms.KeyManager) error) error {
	key, km, err := r.Open(r.Logger)
	if err != nil {
		return err
	}
	defer km.Close()
	return fn(key, km)
}

// Resolve turns the reference into kms.Options, reading the PIN.
func (r *Ref) Resolve(log *zap.Logger) (*Key, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	if r.URI != "" {
		u, err := kms.ParseURI(r.URI)
		if err != nil {
			return nil, cli.UsageError("--uri: %v", err)
		}
		if u.Query("pin-value") != "" {
			return nil, cli.UsageError("--uri: pin-value would put the PIN on the command line; use pin-source=FILE or --pin-file")
		}
		k := &Key{Options: kms.Options{URI: r.URI, Logger: log}, open: r.keyManager}
		if r.PINFile != "" {
			pin, err := kms.ReadPINFile(r.PINFile)
			if err != nil {
				return nil, err
			}
			k.Options.PIN = pin
		}
		if u.Scheme == "file" {
			k.Certificate = strings.TrimSuffix(u.Opaque, filepath.Ext(u.Opaque)) + ".crt"
		}
		return k, nil
	}
	cfg, err := r.config()
	if err != nil {
		return nil, err
	}
	kc, ok := cfg.Keys[r.Name]
	if !ok {
		path, _ := r.configPath()
		return nil, cli.UsageError("no key %q in %s (configured: %s)", r.Name, path, strings.Join(cfg.Keys.Names(), ", "))
	}
	o, err := kc.KMSOptions(log)
	if err != nil {
		return nil, err
	}
	return &Key{Name: r.Name, Options: o, Certificate: kc.Certificate, open: r.keyManager}, nil
}

// Open resolves the reference (see Resolve) and builds the key's
// KeyManager, which the caller closes: what every key verb starts with.
func (r *Ref) Open(log *zap.Logger) (*Key, kms.KeyManager, error) {
	key, err := r.Resolve(log)
	if err != nil {
		return nil, nil, err
	}
	km, err := key.Open(r.Context())
	if err != nil {
		return nil, nil, err
	}
	return key, km, nil
}

// Open builds the key's KeyManager (through the Factory, the one place
// the key backends are linked in).
func (k *Key) Open(ctx context.Context) (kms.KeyManager, error) {
	return k.open(ctx, k.Options)
}

// Label is how the key is named in output: its configured name, or its
// URI with any PIN hidden.
func (k *Key) Label() string {
	if k.Name != "" {
		return k.Name
	}
	return kms.Redact(k.Options.URI)
}

// Logger returns the logger key operations are recorded with: one
// console line per operation on w (stderr), with timestamps, so an
// operator's terminal or journald keeps the audit trail.
func Logger(w io.Writer) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), zap.InfoLevel)
	return zap.New(core).With(zap.String("component", "keys"))
}

// LoadCertificate reads the first certificate of a certificate file.
func LoadCertificate(path string) (*x509.Certificate, error) {
	cs, err := certs.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

// Describe names a public key's algorithm and size, e.g. "RSA 2048".
func Describe(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	}
	return fmt.Sprintf("%T", pub)
}
