package demo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// openDemoLog opens a signed message log under dir with a throwaway key
// and a self-signed certificate: the demo shows signed evidence without a
// token or a CA. Production keys come from the keys section (tunduk serve).
func openDemoLog(dir string, reg prometheus.Registerer, log *zap.Logger) (*msglog.Log, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{Country: []string{"KG"}, Organization: []string{"tunduk demo (not a real signing certificate)"}, CommonName: "70000099"},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour), // made afresh at each run
		KeyUsage: x509.KeyUsageContentCommitment | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
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
