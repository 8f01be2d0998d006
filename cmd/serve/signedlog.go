package serve

import (
	"context"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
	"github.com/tunduk-kg/tunduk/signing/msglog"

	// The key backends named by kms URIs in the keys section.
	_ "github.com/tunduk-kg/tunduk/signing/kms/pkcs11kms"
	_ "github.com/tunduk-kg/tunduk/signing/kms/softkms"
)

// SignedLog is the open signed message log of a running serve.
type SignedLog struct {
	Log      *msglog.Log
	closeKey func() error
}

// Close seals what is pending, closes the log and releases the key.
func (s *SignedLog) Close() error {
	err := s.Log.Close()
	if kerr := s.closeKey(); err == nil {
		err = kerr
	}
	return err
}

// OpenSignedLog opens the signed message log with the key named by
// messageLog.signingKey, registering its metrics, the signer's and the
// keys' expiry in reg. It returns nil, nil when messageLog.signingKey is
// not set — exchanges are then kept in the JSON-lines journals only, which
// serve logs as a warning.
func OpenSignedLog(ctx context.Context, cfg *config.Config, reg prometheus.Registerer, log *zap.Logger) (*SignedLog, error) {
	reg.MustRegister(certs.NewExpiryCollector(keyCertificates(cfg.Keys, log)))
	name := cfg.MessageLog.SigningKey
	if name == "" {
		log.Warn("signed message log disabled (messageLog.signingKey is not set): " +
			"exchanges are kept in the unsigned JSON-lines journals only")
		return nil, nil
	}
	signer, cert, closeKey, err := cfg.MessageLogSigner(ctx, log.Named("keys"))
	if err != nil {
		return nil, err
	}
	inst := kms.Instrument(signer, kms.InstrumentOptions{Key: name, Logger: log.Named("keys")})
	reg.MustRegister(inst)
	opts, err := cfg.MessageLog.LogOptions(inst, cert, log.Named("msglog"))
	if err != nil {
		closeKey()
		return nil, err
	}
	opts.Registerer = reg
	for _, d := range []string{opts.Dir, opts.ArchiveDir} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			closeKey()
			return nil, fmt.Errorf("message log: %w", err)
		}
	}
	l, err := msglog.Open(opts)
	if err != nil {
		closeKey()
		return nil, fmt.Errorf("message log: %w", err)
	}
	return &SignedLog{Log: l, closeKey: closeKey}, nil
}

// keyCertificates reads the configured keys' certificates at each scrape,
// so a certificate installed with `tunduk keys import-cert` shows without a
// restart.
func keyCertificates(keys config.Keys, log *zap.Logger) func() []certs.KeyCert {
	return func() []certs.KeyCert {
		var out []certs.KeyCert
		for _, name := range keys.Names() {
			k := keys[name]
			if k.Certificate == "" {
				continue
			}
			data, err := os.ReadFile(k.Certificate)
			if err != nil {
				log.Warn("key certificate unreadable", zap.String("key", name), zap.Error(err))
				continue
			}
			cs, err := certs.ParseCertificates(data)
			if err != nil || len(cs) == 0 {
				log.Warn("key certificate unparseable", zap.String("key", name), zap.Error(err))
				continue
			}
			out = append(out, certs.KeyCert{Key: name, Certificate: cs[0]})
		}
		return out
	}
}
