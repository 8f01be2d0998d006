package config

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
	"github.com/tunduk-kg/tunduk/internal/secretfile"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/yamlpos"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// CheckOptions say how deep Check goes.
type CheckOptions struct {
	// Account is who the service runs as: secrets must be readable by it
	// and follow the secret-file rule for it. Zero: ServiceAccount().
	Account secretfile.Account
	// OpenKeys opens every key under keys: with its PIN (on the token or
	// in its file) and checks it matches its certificate. serve leaves it
	// off at start: it opens the signing key itself right after.
	OpenKeys bool
	// ExpiryWarning is how close to its end a certificate is reported as
	// a warning; 0 means 30 days.
	ExpiryWarning time.Duration
	// Now is the time certificates are checked at; zero means time.Now().
	Now    time.Time
	Logger *zap.Logger
}

// Report is what Check found: Errors stop tunduk from starting; Warnings
// do not (a certificate about to expire, a catalog's advice).
type Report struct {
	Config   *Config // nil when the file is not YAML at all
	Errors   yamlpos.Problems
	Warnings yamlpos.Problems
}

// OK reports whether there are no errors.
func (r *Report) OK() bool { return len(r.Errors) == 0 }

// Fprint writes the errors, then the warnings, one a line.
func (r *Report) Fprint(w io.Writer) {
	for _, p := range r.Errors {
		fmt.Fprintln(w, p)
	}
	for _, p := range r.Warnings {
		fmt.Fprintln(w, "warning: "+p.String())
	}
}

// ServiceAccount is the account tunduk runs as: the tunduk user and group
// when they exist on this host (the package creates them), else the
// current user.
func ServiceAccount() secretfile.Account {
	if a, err := secretfile.Lookup(secretfile.ServiceName, secretfile.ServiceName); err == nil {
		return a
	}
	return secretfile.Current()
}

// Check loads the configuration file at path and checks everything it
// refers to, collecting every problem in one pass, each as FILE:LINE: path:
// what is wrong; what to do: the YAML (syntax, unknown keys, types,
// values), every referenced file (exists, readable by the service user;
// secrets under the one secret-file rule), certificates (parse, not
// expired, key matches), the check mappings, the catalog and, with
// OpenKeys, the keys on their token. Paths in the gateway, provider and
// catalog.dir are relative to the file's directory, as serve reads them.
func Check(ctx context.Context, path string, o CheckOptions) *Report {
	data, err := yamlpos.ReadFile(path)
	if err != nil {
		return &Report{Errors: yamlpos.Problems{{File: path, Msg: fmt.Sprintf("%v; give the path of tunduk's configuration file (e.g. /etc/tunduk/tunduk.yaml)", err)}}}
	}
	cfg, doc, ps := parse(path, data)
	r := &Report{Config: cfg, Errors: ps}
	if cfg == nil {
		return r
	}
	if o.Account.Name == "" {
		o.Account = ServiceAccount()
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.ExpiryWarning == 0 {
		o.ExpiryWarning = 30 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	c := &checker{doc: doc, o: o, r: r, base: filepath.Dir(path), decoded: ps}
	c.securityServer(&cfg.SecurityServer)
	c.gateway(&cfg.Gateway)
	c.keys(ctx, cfg.Keys)
	c.messageLog(&cfg.MessageLog)
	c.catalog(&cfg.Catalog)
	c.provider(&cfg.Provider)
	c.signedLog(cfg)
	r.Errors.Sort()
	r.Warnings.Sort()
	return r
}

type checker struct {
	doc     *yamlpos.Doc
	o       CheckOptions
	r       *Report
	base    string
	decoded yamlpos.Problems // problems of decoding; their paths are not checked again
}

func (c *checker) errorf(path, format string, args ...any) {
	c.r.Errors = append(c.r.Errors, c.doc.Problemf(path, format, args...))
}

func (c *checker) warnf(path, format string, args ...any) {
	c.r.Warnings = append(c.r.Warnings, c.doc.Problemf(path, format, args...))
}

// rel resolves a path of the gateway, provider or catalog.dir against the
// configuration file's directory, as serve does.
func (c *checker) rel(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.base, p)
}

// stat finds a referenced file or directory and says what is wrong with
// it; ok is false when it cannot be used.
func (c *checker) stat(path, p string, wantDir bool) (fs.FileInfo, bool) {
	if p == "" || c.decoded.Covers(path) {
		return nil, false
	}
	what := "file"
	if wantDir {
		what = "directory"
	}
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.errorf(path, "%s %s does not exist; %s", what, p, missingHint(path, p))
		return nil, false
	case err != nil:
		c.errorf(path, "%s %s: %v; check the directories above it", what, p, err)
		return nil, false
	case wantDir && !fi.IsDir():
		c.errorf(path, "%s is not a directory; name a directory here", p)
		return nil, false
	case !wantDir && fi.IsDir():
		c.errorf(path, "%s is a directory; name a file here", p)
		return nil, false
	}
	if !secretfile.Readable(fi, c.o.Account) || (wantDir && !secretfile.Allows(fi, c.o.Account, 0o1)) {
		c.errorf(path, "the service user %s cannot read %s (mode %04o); run: chgrp %s %s && chmod g+r%s %s",
			c.o.Account.Name, p, fi.Mode().Perm(), c.o.Account.GroupName, p, map[bool]string{true: "x", false: ""}[wantDir], p)
		return nil, false
	}
	return fi, true
}

// missingHint says what to do about a missing file, by what it is for.
func missingHint(path, p string) string {
	switch {
	case path == "gateway.mappingsDir":
		return fmt.Sprintf("copy the shipped mappings there (cp -r configs/mappings %s), or correct the path", p)
	case path == "catalog.dir":
		return fmt.Sprintf("copy the catalog there (cp -r configs/catalog %s), or remove catalog.dir to publish none", p)
	case path == "messageLog.collect.sourceDir" || path == "messageLog.collect.verificationConf":
		return "it belongs to the security server on this host; correct the path, or remove messageLog.collect where there is none"
	case path == "catalog.managementAPI.apiKeyFile":
		return fmt.Sprintf("save the API key the security server's UI issued there (chmod 600 %s), or correct the path", p)
	case strings.HasSuffix(path, ".apiKeyFile"):
		return fmt.Sprintf("write a random key there (openssl rand -hex 32 > %s; chmod 600 %s), or correct the path", p, p)
	case strings.HasSuffix(path, ".pinFile"):
		return fmt.Sprintf("write the token's PIN there (one line; chmod 600 %s), or use pinEnv", p)
	case strings.HasSuffix(path, ".uri") && strings.HasSuffix(p, ".so"):
		return "install the token's PKCS#11 library (Rutoken: librtpkcs11ecp.so; SoftHSM2: libsofthsm2.so), or correct module-path"
	case strings.HasSuffix(path, ".uri"):
		return "create the key (tunduk keys generate), or correct the URI"
	case strings.HasSuffix(path, "keyFile"):
		return "install the private key (PEM) the certificate was issued for, or correct the path"
	case strings.HasSuffix(path, "certificate"):
		return "import the certificate the CA issued (tunduk keys import-cert), or correct the path"
	case strings.Contains(strings.ToLower(path), "cert") || strings.HasSuffix(path, "caFile") || strings.HasSuffix(path, "CAFile"):
		return "install the certificate (PEM) there, or correct the path"
	}
	return "create it, or correct the path"
}

// read reads a referenced (not secret) file.
func (c *checker) read(path, p string) ([]byte, bool) {
	if _, ok := c.stat(path, p, false); !ok {
		return nil, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		c.errorf(path, "%v; check the file's permissions", err)
		return nil, false
	}
	return b, true
}

// secret reads a file that holds a secret, under the one rule for all
// secrets (internal/secretfile).
func (c *checker) secret(path, p string) ([]byte, bool) {
	if _, ok := c.stat(path, p, false); !ok {
		return nil, false
	}
	b, err := secretfile.Read(p, c.o.Account, 1<<20)
	var se *secretfile.Error
	switch {
	case errors.As(err, &se):
		c.errorf(path, "%s: %s; %s", p, se.Reason, se.Fix)
		return nil, false
	case err != nil:
		c.errorf(path, "%v", err)
		return nil, false
	}
	return b, true
}

// dir checks a directory tunduk reads.
func (c *checker) dir(path, p string) bool {
	_, ok := c.stat(path, p, true)
	return ok
}

// stateDir checks that tunduk can create or write the directory that will
// hold p: the nearest existing directory above must be writable by the
// service user.
func (c *checker) stateDir(path, dir string) {
	if dir == "" || c.decoded.Covers(path) {
		return
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				c.errorf(path, "%s is not a directory; tunduk keeps its state in %s", d, dir)
			} else if !secretfile.Allows(fi, c.o.Account, 0o3) {
				c.errorf(path, "the service user %s cannot write in %s (mode %04o), where %s is kept; run: install -d -o %s -g %s -m 0750 %s",
					c.o.Account.Name, d, fi.Mode().Perm(), dir, c.o.Account.Name, c.o.Account.GroupName, dir)
			}
			return
		}
		if d == filepath.Dir(d) {
			return
		}
	}
}

// certificates parses a certificate file and checks each certificate's
// validity period.
func (c *checker) certificates(path, p string) []*x509.Certificate {
	b, ok := c.read(path, p)
	if !ok {
		return nil
	}
	cs, err := certs.ParseCertificates(b)
	if err != nil || len(cs) == 0 {
		c.errorf(path, "%s holds no certificate (%v); put the PEM certificate (-----BEGIN CERTIFICATE-----) here", p, err)
		return nil
	}
	for _, crt := range cs {
		name := crt.Subject.String()
		switch {
		case c.o.Now.After(crt.NotAfter):
			c.errorf(path, "certificate %q in %s expired on %s; install its renewal", name, p, crt.NotAfter.Format(time.DateOnly))
		case c.o.Now.Before(crt.NotBefore):
			c.errorf(path, "certificate %q in %s is valid only from %s; check the host's clock or the certificate", name, p, crt.NotBefore.Format(time.DateOnly))
		case crt.NotAfter.Sub(c.o.Now) < c.o.ExpiryWarning:
			c.warnf(path, "certificate %q in %s expires on %s; request its renewal now", name, p, crt.NotAfter.Format(time.DateOnly))
		}
	}
	return cs
}

// pair checks a certificate and its private key, and that they match.
func (c *checker) pair(at, certFile, keyFile string) {
	if certFile == "" || keyFile == "" {
		return
	}
	cs := c.certificates(at+".certFile", certFile)
	key, ok := c.secret(at+".keyFile", keyFile)
	if cs == nil || !ok {
		return
	}
	certPEM, _ := os.ReadFile(certFile)
	if _, err := tls.X509KeyPair(certPEM, key); err != nil {
		c.errorf(at+".keyFile", "%s does not go with %s (%v); name the key the certificate was issued for", keyFile, certFile, err)
	}
}

func (c *checker) securityServer(s *SecurityServer) {
	if !strings.HasPrefix(s.URL, "https://") {
		return
	}
	c.pair("securityServer.tls", s.TLS.CertFile, s.TLS.KeyFile)
	if s.TLS.CAFile != "" {
		c.certificates("securityServer.tls.caFile", s.TLS.CAFile)
	}
	if s.TLS.ServerCertFile != "" {
		c.certificates("securityServer.tls.serverCertFile", s.TLS.ServerCertFile)
	}
}

func (c *checker) gateway(g *Gateway) {
	if !g.Configured() {
		return
	}
	c.pair("gateway.tls", c.rel(g.TLS.CertFile), c.rel(g.TLS.KeyFile))
	if g.TLS.ClientCAFile != "" {
		c.certificates("gateway.tls.clientCAFile", c.rel(g.TLS.ClientCAFile))
	}
	for i, cl := range g.Callers {
		at := fmt.Sprintf("gateway.callers[%d].apiKeyFile", i)
		if cl.APIKeyFile == "" {
			continue
		}
		p := c.rel(cl.APIKeyFile)
		if b, ok := c.secret(at, p); ok && len(strings.TrimSpace(string(b))) < MinAPIKeyLen {
			c.errorf(at, "the key in %s is shorter than %d characters; write a random one: openssl rand -hex 32 > %s", p, MinAPIKeyLen, p)
		}
	}
	var err error
	switch {
	case g.MappingsDir != "":
		if c.dir("gateway.mappingsDir", c.rel(g.MappingsDir)) {
			_, err = mapping.LoadDir(c.rel(g.MappingsDir))
		}
	case len(g.Mappings) > 0:
		var paths []string
		for i, m := range g.Mappings {
			if _, ok := c.stat(fmt.Sprintf("gateway.mappings[%d]", i), c.rel(m), false); ok {
				paths = append(paths, c.rel(m))
			}
		}
		_, err = mapping.LoadFiles(paths)
	}
	var me *mapping.Error
	if errors.As(err, &me) {
		c.r.Errors = append(c.r.Errors, me.Problems...)
	} else if err != nil {
		c.errorf("gateway.mappingsDir", "%v", err)
	}
	c.deprecatedJournal("gateway.journal", g.Journal)
}

// deprecatedJournal warns where a JSON-lines journal is still configured,
// and says what replaced it.
func (c *checker) deprecatedJournal(at, path string) {
	if path != "" {
		c.warnf(at, "no longer used and ignored: every exchange is recorded in the signed message log (messageLog.dir, signed with messageLog.signingKey); remove this key (%s is not written; tunduk archive verify checks the log's archives)", path)
	}
}

// signedLog reports a gateway or provider without the signed message log,
// the one place their exchanges are recorded.
func (c *checker) signedLog(cfg *Config) {
	var sides []string
	if cfg.Gateway.Configured() {
		sides = append(sides, "gateway")
	}
	if cfg.Provider.Listen != "" {
		sides = append(sides, "provider")
	}
	if len(sides) > 0 && cfg.MessageLog.SigningKey == "" {
		c.errorf("messageLog.signingKey", "empty, but the %s records every exchange in the signed message log and answers only once the record is durable; "+
			"set messageLog.dir, messageLog.archiveDir and messageLog.signingKey (a key under keys:), see configs/tunduk.yaml", strings.Join(sides, " and "))
	}
}

func (c *checker) keys(ctx context.Context, keys Keys) {
	for _, name := range keys.Names() {
		k := keys[name]
		at := "keys." + name
		var cs []*x509.Certificate
		if k.Certificate != "" {
			cs = c.certificates(at+".certificate", k.Certificate)
		}
		if k.PINFile != "" {
			c.secret(at+".pinFile", k.PINFile)
		}
		u, err := kms.ParseURI(k.URI)
		if err != nil {
			continue // Validate reported it
		}
		keyOK := true
		switch u.Scheme {
		case "file":
			_, keyOK = c.secret(at+".uri", u.Opaque)
		case "pkcs11":
			if mp := u.Query("module-path"); mp != "" {
				_, keyOK = c.stat(at+".uri", mp, false)
			}
			if src := strings.TrimPrefix(u.Query("pin-source"), "file:"); src != "" {
				c.secret(at+".uri", src)
			}
		}
		if !c.o.OpenKeys || !keyOK || c.decoded.Covers(at) {
			continue
		}
		c.openKey(ctx, at, k, cs)
	}
}

// openKey opens the key where it lives and matches it with its
// certificate.
func (c *checker) openKey(ctx context.Context, at string, k Key, cs []*x509.Certificate) {
	o, err := k.KMSOptions(c.o.Logger)
	if err != nil {
		c.errorf(at, "%v; give the token's PIN in pinFile or the variable named by pinEnv", err)
		return
	}
	km, err := kms.New(ctx, o)
	if err != nil {
		c.errorf(at+".uri", "cannot open the key store: %v; check the token is plugged in, the module path and the PIN", err)
		return
	}
	defer km.Close()
	signer, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: k.URI})
	if err != nil {
		c.errorf(at+".uri", "the key is not reachable: %v; list the token's objects (tunduk keys list) and correct object= or id=", err)
		return
	}
	if cs == nil {
		return
	}
	if _, err := certs.Select(cs, signer.Public()); err != nil {
		c.errorf(at+".certificate", "%s is not the certificate of this key (%v); import the one the CA issued for it: tunduk keys import-cert", k.Certificate, err)
	}
}

func (c *checker) messageLog(m *MessageLog) {
	if m.SigningKey != "" {
		c.stateDir("messageLog.dir", m.Dir)
		c.stateDir("messageLog.archiveDir", m.ArchiveDir)
	}
	if m.TSAURL != "" && m.TSACertificate != "" {
		c.certificates("messageLog.tsaCertificate", m.TSACertificate)
	}
	if m.EncryptionKeyFile != "" {
		if b, ok := c.secret("messageLog.encryptionKeyFile", m.EncryptionKeyFile); ok && len(b) != 32 {
			if k, err := hex.DecodeString(strings.TrimSpace(string(b))); err != nil || len(k) != 32 {
				c.errorf("messageLog.encryptionKeyFile", "%s holds neither 32 raw bytes nor 64 hex digits; write one: openssl rand -hex 32 > %s", m.EncryptionKeyFile, m.EncryptionKeyFile)
			}
		}
	}
	if m.Backend == "postgres" && m.Postgres.DSNFile != "" {
		if b, ok := c.secret("messageLog.postgres.dsnFile", m.Postgres.DSNFile); ok {
			if _, err := pgx.ParseConfig(strings.TrimSpace(string(b))); err != nil { // the DSN is a secret: never in the message
				c.errorf("messageLog.postgres.dsnFile", "%s does not hold a PostgreSQL connection string; write one line: postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full", m.Postgres.DSNFile)
			}
		}
	}
	if m.Collect.SourceDir != "" {
		c.dir("messageLog.collect.sourceDir", m.Collect.SourceDir)
		c.stateDir("messageLog.collect.targetDir", m.Collect.TargetDir)
	}
	if m.Collect.VerificationConf != "" {
		c.dir("messageLog.collect.verificationConf", m.Collect.VerificationConf)
	}
}

func (c *checker) catalog(cat *Catalog) {
	dir := c.rel(cat.Dir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && !c.doc.Has("catalog.dir") {
		// Not configured: serve then publishes no catalog.
	} else if c.dir("catalog.dir", dir) {
		_, probs, err := catalog.LoadValid(dir)
		var ps catalog.Problems
		switch {
		case errors.As(err, &ps):
			c.r.Errors = append(c.r.Errors, fromCatalog(dir, ps)...)
		case err != nil:
			c.errorf("catalog.dir", "%v; run tunduk catalog validate", err)
		default:
			c.r.Warnings = append(c.r.Warnings, fromCatalog(dir, probs)...)
		}
	}
	m := cat.ManagementAPI
	if m.URL == "" {
		return
	}
	if m.APIKeyFile != "" {
		c.secret("catalog.managementAPI.apiKeyFile", m.APIKeyFile)
	}
	if m.PinnedCertFile != "" {
		c.certificates("catalog.managementAPI.pinnedCertFile", m.PinnedCertFile)
	}
}

// fromCatalog turns catalog problems (files relative to the catalog
// directory) into configuration problems naming the files in full.
func fromCatalog(dir string, ps catalog.Problems) yamlpos.Problems {
	out := make(yamlpos.Problems, len(ps))
	for i, p := range ps {
		file := p.File
		if file != dir && !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		out[i] = yamlpos.Problem{File: file, Line: p.Line, Path: p.Path, Msg: p.Msg}
	}
	return out
}

func (c *checker) provider(p *Provider) {
	if p.Listen == "" {
		return
	}
	c.pair("provider.tls", c.rel(p.TLS.CertFile), c.rel(p.TLS.KeyFile))
	if p.TLS.ClientCAFile != "" {
		c.certificates("provider.tls.clientCAFile", c.rel(p.TLS.ClientCAFile))
	}
	c.deprecatedJournal("provider.journal", p.Journal)
}
