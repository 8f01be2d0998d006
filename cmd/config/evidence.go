package config

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
)

// Evidence configures receipts, checkpoints and witnesses of the signed
// message log (package internal/signing/evidence), under messageLog.evidence:
//
//	evidence:
//	  origin: tunduk.example.kg/mlog     # the log's name in checkpoints
//	  witnesses: [https://witness.portal.example.kg]
//
// It is on whenever the signed log is (messageLog.signingKey).
type Evidence struct {
	// Origin names the log in its checkpoints; default
	// "tunduk/<first 16 hex digits of SHA-256 of the key>", so a new key
	// starts a new tree.
	Origin string `yaml:"origin"`
	// Witnesses are base URLs of witnesses (tunduk witness or any
	// c2sp.org/tlog-witness-style endpoint) that receive every checkpoint.
	Witnesses []string `yaml:"witnesses"`
}

// validate reports problems in messageLog.evidence.
func (e *Evidence) validate(is *Issues) {
	p := "messageLog.evidence."
	if e.Origin != "" && (strings.ContainsAny(e.Origin, " +\n\t") || !strings.Contains(e.Origin, "/")) {
		is.Addf(p+"origin", "%q: want a schema-less URL without spaces or '+', e.g. tunduk.example.kg/mlog", e.Origin)
	}
	for _, w := range e.Witnesses {
		if u, err := url.Parse(w); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			is.Addf(p+"witnesses", "%q: want an http:// or https:// URL", w)
		}
	}
}

// EvidenceOptions converts the section into evidence.Options for the log's
// certificate: state lives in dir/evidence/<origin in hex>; the caller sets
// the Signer.
func (c *MessageLog) EvidenceOptions(cert *x509.Certificate, log *zap.Logger) evidence.Options {
	origin := c.Evidence.Origin
	if origin == "" {
		sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		origin = "tunduk/" + hex.EncodeToString(sum[:8])
	}
	return evidence.Options{Dir: filepath.Join(c.Dir, "evidence", hex.EncodeToString([]byte(origin))), Origin: origin,
		Certificate: cert, Witnesses: c.Evidence.Witnesses, Logger: log}
}
