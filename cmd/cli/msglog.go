package cli

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/access"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/pgstore"
	"github.com/tunduk-kg/tunduk/signing/kms"

	// The key backends named by kms URIs. This file is the only place
	// under cmd/ that links them in: every key is opened through the
	// Factory.
	_ "github.com/tunduk-kg/tunduk/signing/kms/pkcs11kms"
	_ "github.com/tunduk-kg/tunduk/signing/kms/softkms"
)

// KeyManager opens the key manager for o (file: or pkcs11: URI).
func (f *Factory) KeyManager(ctx context.Context, o kms.Options) (kms.KeyManager, error) {
	return kms.New(ctx, o)
}

// WithLogKey is "open key → open log → close both", written once: it opens
// messageLog.signingKey, hands its signer and certificate to open (which
// opens a log, journal or reader on them), and returns a close that closes
// what open returned and then releases the key. On any error nothing stays
// open.
func (f *Factory) WithLogKey(ctx context.Context, log *zap.Logger, open func(crypto.Signer, *x509.Certificate) (io.Closer, error)) (close func() error, err error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	signer, cert, closeKey, err := cfg.MessageLogSigner(ctx, log)
	if err != nil {
		return nil, err
	}
	c, err := open(signer, cert)
	if err != nil {
		closeKey()
		return nil, err
	}
	return func() error {
		err := c.Close()
		if kerr := closeKey(); err == nil {
			err = kerr
		}
		return err
	}, nil
}

// ArchiveReader opens what `tunduk archive ls|search|export` need: the
// signing key, the access journal and a Reader enforcing the configured
// roles. close seals the journal and releases the key.
func (f *Factory) ArchiveReader(ctx context.Context) (rd *access.Reader, close func() error, err error) {
	log := zap.NewNop()
	close, err = f.WithLogKey(ctx, log, func(signer crypto.Signer, cert *x509.Certificate) (io.Closer, error) {
		ao, err := f.cfg.MessageLog.AccessOptions(signer, cert, log)
		if err != nil {
			return nil, err
		}
		rd, err = access.Open(ao)
		return rd, err
	})
	return rd, close, err
}

// AdminLog opens the signed administrative log (messageLog.dir/access:
// archive reads, catalog applies) when messageLog.signingKey is set; nil,
// nil, nil otherwise. close seals it and releases the key.
func (f *Factory) AdminLog(ctx context.Context) (l *msglog.Log, close func() error, err error) {
	cfg, err := f.Config()
	if err != nil || cfg.MessageLog.SigningKey == "" {
		return nil, nil, err
	}
	log := zap.NewNop()
	close, err = f.WithLogKey(ctx, log, func(signer crypto.Signer, cert *x509.Certificate) (io.Closer, error) {
		ao, err := cfg.MessageLog.AccessOptions(signer, cert, log)
		if err != nil {
			return nil, err
		}
		if l, err = msglog.Open(ao.Journal); err != nil {
			return nil, fmt.Errorf("signed administrative log: %w", err)
		}
		return l, nil
	})
	return l, close, err
}

// MessageLog opens the signed message log of a running gateway with the key
// named by messageLog.signingKey, registering its metrics, the signer's and
// the keys' certificate expiry in reg. It returns nil, nil, nil when
// messageLog.signingKey is not set (serve then refuses to run a gateway or
// provider: the signed log is where exchanges are recorded).
func (f *Factory) MessageLog(ctx context.Context, reg prometheus.Registerer, log *zap.Logger) (l *msglog.Log, close func() error, err error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	reg.MustRegister(certs.NewExpiryCollector(keyCertificates(cfg.Keys, log)))
	name := cfg.MessageLog.SigningKey
	if name == "" {
		return nil, nil, nil
	}
	close, err = f.WithLogKey(ctx, log.Named("keys"), func(signer crypto.Signer, cert *x509.Certificate) (io.Closer, error) {
		inst := kms.Instrument(signer, kms.InstrumentOptions{Key: name, Logger: log.Named("keys")})
		reg.MustRegister(inst)
		opts, err := cfg.MessageLog.LogOptions(inst, cert, log.Named("msglog"))
		if err != nil {
			return nil, err
		}
		opts.Registerer = reg
		for _, d := range []string{opts.Dir, opts.ArchiveDir} {
			if err := os.MkdirAll(d, 0o750); err != nil {
				return nil, fmt.Errorf("message log: %w", err)
			}
		}
		if cfg.MessageLog.Backend == "postgres" {
			po, err := cfg.MessageLog.PostgresOptions(log.Named("msglog"))
			if err != nil {
				return nil, err
			}
			if opts.Shared, err = pgstore.Open(ctx, po); err != nil {
				return nil, fmt.Errorf("message log: %w", err)
			}
			// Receipts keep a Merkle tree in a local file, which several
			// gateways cannot share yet: off with the shared log.
			log.Warn("message log on PostgreSQL: receipts and checkpoints (messageLog.evidence) are off; the signed archives are the evidence")
			if l, err = msglog.Open(opts); err != nil {
				opts.Shared.Close()
				return nil, fmt.Errorf("message log: %w", err)
			}
			return l, nil
		}
		eo := cfg.MessageLog.EvidenceOptions(cert, log.Named("evidence"))
		eo.Signer = inst
		if opts.TSA != nil {
			eo.TSA = opts.TSA.Timestamp
		}
		ev, err := evidence.Open(eo)
		if err != nil {
			return nil, fmt.Errorf("message log: %w", err)
		}
		opts.Evidence = ev
		if l, err = msglog.Open(opts); err != nil {
			ev.Close()
			return nil, fmt.Errorf("message log: %w", err)
		}
		f.evidence = ev
		return closers{l, ev}, nil
	})
	return l, close, err
}

// Evidence is the receipts and checkpoints of the message log opened by
// MessageLog (nil before, or when the signed log is off).
func (f *Factory) Evidence() *evidence.Log { return f.evidence }

// closers closes in order, returning the first error.
type closers []io.Closer

func (cs closers) Close() error {
	var err error
	for _, c := range cs {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	return err
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
