package demo

import (
	"context"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// openDemoLog opens a signed message log under dir with a throwaway key
// and a self-signed certificate: the demo shows signed evidence without a
// token or a CA. Production keys come from the keys section (tunduk serve).
func openDemoLog(dir string, reg prometheus.Registerer, log *zap.Logger) (*msglog.Log, *x509.Certificate, error) {
	key, cert, err := certs.NewThrowaway(certs.Subject{Organization: "tunduk demo (not a real signing certificate)", MemberCode: "70000099"},
		90*24*time.Hour) // made afresh at each run
	if err != nil {
		return nil, nil, err
	}
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "mlog"), ArchiveDir: archiveDir(dir), Signer: key, Certificate: cert,
		Registerer: reg, Logger: log.Named("msglog")})
	if err != nil {
		return nil, nil, fmt.Errorf("demo message log: %w", err)
	}
	return l, cert, nil
}

func archiveDir(dir string) string { return filepath.Join(dir, "archive") }

// closeDemoLog archives everything recorded, so the archive can be checked
// with tunduk archive verify right after the demo, then closes the log.
func closeDemoLog(l *msglog.Log, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Rotate(ctx); err != nil {
		log.Warn("archiving the demo log failed", zap.Error(err))
	}
	if err := l.Close(); err != nil {
		log.Warn("closing the demo log failed", zap.Error(err))
	}
}
