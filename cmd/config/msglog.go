package config

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/tunduk-kg/tunduk/internal/secretfile"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/access"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/atrest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/pgstore"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// MessageLog is the signed exchange log and its archives (package
// internal/signing/msglog), who may read them and how long they are kept.
//
//	messageLog:
//	  dir: /var/lib/tunduk/msglog          # journal and state; fsynced
//	  backend: file                        # file (one host) | postgres (several gateways)
//	  postgres: {dsnFile: /etc/tunduk/keys/msglog-db.dsn}  # backend: postgres; a secret file
//	  archiveDir: /var/lib/tunduk/archive  # mlog-*.zip, one sub-directory per group
//	  signingKey: mlog                     # a name under keys:
//	  tsaUrl: http://tsa.example.kg/tsa    # optional RFC 3161 time-stamping
//	  ocspUrl: http://ocsp.example.kg/     # optional: embed the signing certificate's OCSP response
//	  ocspIssuer: /etc/tunduk/tls/mlog-ca.crt   # its issuer (PEM); required with ocspUrl
//	  batch: {size: 10000, interval: 1s}
//	  rotation: {size: 100MiB, interval: 24h}
//	  groupBy: subsystem                   # none | member | subsystem
//	  metadataOnly: false                  # true: bodies replaced by SHA-512 digests
//	  encryptionKeyFile: /etc/tunduk/archive.key   # optional AES-256-GCM at rest
//	  retention:
//	    default: 3y                        # Tunduk's rule for the SS message log
//	    groups: {central-server/GOV/70000001/portal: 5y}
//	  access:
//	    roles:
//	      - name: auditor
//	        description: State Audit Chamber auditors
//	        users: [alice]
//	        actions: [ls, search, export]
//	        purposes: [audit, court-order]
//	        conditions: a written request registered in the document system
//	  collect:
//	    sourceDir: /var/lib/xroad
//	    targetDir: /var/lib/tunduk/ss-archive
//	    interval: 1m
type MessageLog struct {
	// Dir holds the journal (durable, not yet archived records) and state.
	Dir string `yaml:"dir"`
	// ArchiveDir receives the archives.
	ArchiveDir string `yaml:"archiveDir"`
	// SigningKey names the key (under keys:) that signs each batch. Empty
	// disables the signed log: tunduk serve then keeps the unsigned JSON-lines
	// journals only and says so at start.
	SigningKey string `yaml:"signingKey"`
	// TSAURL is the RFC 3161 time-stamping service; empty disables stamps.
	TSAURL string `yaml:"tsaUrl"`
	// TSACertificate is the PEM file with the TSA's certificate (or its CA),
	// which replies are verified against; required with tsaUrl.
	TSACertificate string `yaml:"tsaCertificate"`
	// OCSPURL is the signing certificate's OCSP responder: when set, every
	// batch signature embeds the certificate's OCSP response (XAdES
	// revocation values) as a security server's do, which X-Road's
	// asicverifier requires. The response is fetched once per validity
	// period; sealing waits (fails closed) while the responder cannot give
	// a good one. Empty embeds none.
	OCSPURL string `yaml:"ocspUrl"`
	// OCSPIssuer is the PEM file with the signing certificate's issuer,
	// which signs the responses or delegates that; required with ocspUrl.
	OCSPIssuer string `yaml:"ocspIssuer"`
	// Batch bounds how many records one signature covers and how long a
	// record waits for it.
	Batch MessageLogBatch `yaml:"batch"`
	// Rotation says when records move from the journal into a new archive.
	Rotation MessageLogRotation `yaml:"rotation"`
	// Durability tunes how appends wait for the file journal's fsync.
	Durability MessageLogDurability `yaml:"durability"`
	// GroupBy keeps one archive chain per member or per subsystem.
	GroupBy string `yaml:"groupBy"`
	// MetadataOnly replaces message bodies by their SHA-512 digests.
	MetadataOnly bool `yaml:"metadataOnly"`
	// EncryptionKeyFile, when set, encrypts archives at rest with
	// AES-256-GCM under the 32-byte key in this file (raw or 64 hex digits).
	EncryptionKeyFile string `yaml:"encryptionKeyFile"`
	// Retention says how long archives are kept.
	Retention Retention `yaml:"retention"`
	// Access lists who may read the archives, for what and on what terms.
	Access Access `yaml:"access"`
	// Collect copies the security server's own archives to long-term storage.
	Collect Collect `yaml:"collect"`
	// Evidence configures receipts, checkpoints and witnesses.
	Evidence Evidence `yaml:"evidence"`
	// Backend is where records wait for their archive: "file" (the
	// journal in dir; one host) or "postgres" (a database several
	// gateways share; see README, "Several gateways on PostgreSQL").
	Backend string `yaml:"backend"`
	// Postgres configures backend: postgres.
	Postgres MessageLogPostgres `yaml:"postgres"`
}

// MessageLogPostgres is the message log's database.
type MessageLogPostgres struct {
	// DSNFile holds the connection string
	// (postgres://tunduk:…@db:5432/tunduk_msglog?sslmode=verify-full); it
	// holds a password, so it follows the secret-file rule and is never
	// logged or passed in argv.
	DSNFile string `yaml:"dsnFile"`
}

// MessageLogBatch configures batch signing.
type MessageLogBatch struct {
	Size     int           `yaml:"size"`
	Interval time.Duration `yaml:"interval"`
}

// MessageLogDurability tunes the file journal's group commit: how long the
// writer keeps a group open for more concurrent appends (one fsync for all;
// nothing is acknowledged before it), and how long an append waits for room
// in a full queue before the check fails closed (503 + Retry-After).
type MessageLogDurability struct {
	// GroupWindow is the longest a group is held open; 0 turns it off.
	GroupWindow time.Duration `yaml:"groupWindow"`
	// QueueWait bounds the wait for room in a full queue.
	QueueWait time.Duration `yaml:"queueWait"`
}

// MessageLogRotation configures archive rotation.
type MessageLogRotation struct {
	Size     ByteSize      `yaml:"size"`
	Interval time.Duration `yaml:"interval"`
}

// Retention is how long archives are kept: a default and per-group
// overrides keyed by group (member or subsystem identifier).
type Retention struct {
	Default Period            `yaml:"default"`
	Groups  map[string]Period `yaml:"groups"`
}

// Access lists the roles that may read archives.
type Access struct {
	Roles []AccessRole `yaml:"roles"`
}

// AccessRole is one role that may read archives.
type AccessRole struct {
	// Name is what --role names.
	Name string `yaml:"name"`
	// Description says who holds the role (for the policy document).
	Description string `yaml:"description"`
	// Users are the OS accounts that may act in the role; empty means any
	// account that can read the archive directory.
	Users []string `yaml:"users"`
	// Actions are the verbs allowed: ls, search, export.
	Actions []string `yaml:"actions"`
	// Purposes are the purposes that may be stated with --purpose.
	Purposes []string `yaml:"purposes"`
	// Conditions say on what terms the role may read (policy document).
	Conditions string `yaml:"conditions"`
}

// Collect configures tunduk archive collect.
type Collect struct {
	// SourceDir is the security server's archive directory.
	SourceDir string `yaml:"sourceDir"`
	// TargetDir is the long-term storage the verified archives are copied to.
	TargetDir string `yaml:"targetDir"`
	// Interval is how often the source is scanned.
	Interval time.Duration `yaml:"interval"`
	// VerificationConf is the SS's global configuration directory; when set,
	// certificate chains and TSAs are checked too.
	VerificationConf string `yaml:"verificationConf"`
}

// DefaultRetention is Tunduk's rule for the SS message log: 3 years.
const DefaultRetention = Period(3 * 365 * 24 * time.Hour)

// DefaultMessageLog returns the section's defaults.
func DefaultMessageLog() MessageLog {
	return MessageLog{
		Dir:        "/var/lib/tunduk/msglog",
		ArchiveDir: "/var/lib/tunduk/archive",
		Batch:      MessageLogBatch{Size: 10000, Interval: time.Second},
		Rotation:   MessageLogRotation{Size: 100 << 20, Interval: 24 * time.Hour},
		Durability: MessageLogDurability{GroupWindow: time.Millisecond, QueueWait: 2 * time.Second},
		GroupBy:    "none",
		Backend:    "file",
		Retention:  Retention{Default: DefaultRetention},
		Collect:    Collect{Interval: time.Minute},
	}
}

// AccessActions are the archive verbs a role can be allowed.
var AccessActions = []string{"ls", "search", "export"}

var (
	roleNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	groupRE    = regexp.MustCompile(`^[^/\s]+/[^/\s]+/[^/\s]+(/[^/\s]+)?$|^local$`)
)

// Validate reports problems in the section.
func (c *MessageLog) Validate(is *Issues) {
	p := "messageLog."
	if c.Dir == "" {
		is.Addf(p+"dir", "empty; set the journal directory, e.g. /var/lib/tunduk/msglog")
	}
	if c.ArchiveDir == "" {
		is.Addf(p+"archiveDir", "empty; set the archive directory, e.g. /var/lib/tunduk/archive")
	}
	if c.Dir != "" && c.ArchiveDir != "" && filepath.Clean(c.Dir) == filepath.Clean(c.ArchiveDir) {
		is.Addf(p+"archiveDir", "same as dir; keep the journal and the archives apart")
	}
	if c.TSAURL != "" && !strings.HasPrefix(c.TSAURL, "http://") && !strings.HasPrefix(c.TSAURL, "https://") {
		is.Addf(p+"tsaUrl", "%q: want an http:// or https:// URL", c.TSAURL)
	}
	if c.TSAURL != "" && c.TSACertificate == "" {
		is.Addf(p+"tsaCertificate", "empty; tsaUrl needs the TSA's certificate (PEM) to verify its replies")
	}
	if c.OCSPURL != "" && !strings.HasPrefix(c.OCSPURL, "http://") && !strings.HasPrefix(c.OCSPURL, "https://") {
		is.Addf(p+"ocspUrl", "%q: want an http:// or https:// URL", c.OCSPURL)
	}
	if c.OCSPURL != "" && c.OCSPIssuer == "" {
		is.Addf(p+"ocspIssuer", "empty; ocspUrl needs the signing certificate's issuer (PEM) to check the responses")
	}
	if c.Batch.Size < 1 || c.Batch.Size > 1_000_000 {
		is.Addf(p+"batch.size", "%d: want 1 to 1000000 records per signature", c.Batch.Size)
	}
	if c.Batch.Interval <= 0 || c.Batch.Interval > time.Hour {
		is.Addf(p+"batch.interval", "%v: want a positive duration up to 1h", c.Batch.Interval)
	}
	if c.Durability.GroupWindow < 0 || c.Durability.GroupWindow > 50*time.Millisecond {
		is.Addf(p+"durability.groupWindow", "%v: want 0 (off) to 50ms; every check in a group waits up to this long for its fsync", c.Durability.GroupWindow)
	}
	if c.Durability.QueueWait < time.Millisecond || c.Durability.QueueWait > time.Minute {
		is.Addf(p+"durability.queueWait", "%v: want 1ms to 1m; past it a check fails with 503 instead of waiting", c.Durability.QueueWait)
	}
	if c.Rotation.Size < 1<<20 {
		is.Addf(p+"rotation.size", "%d bytes: want at least 1MiB", int64(c.Rotation.Size))
	}
	if c.Rotation.Interval < time.Minute {
		is.Addf(p+"rotation.interval", "%v: want at least 1m", c.Rotation.Interval)
	}
	switch c.GroupBy {
	case "none", "member", "subsystem":
	default:
		is.Addf(p+"groupBy", "%q: use none, member or subsystem", c.GroupBy)
	}
	if c.Retention.Default < Period(24*time.Hour) {
		is.Addf(p+"retention.default", "%v: want at least 1d (Tunduk requires 3y for the SS message log)", time.Duration(c.Retention.Default))
	}
	for g, d := range c.Retention.Groups {
		if !groupRE.MatchString(g) {
			is.Addf(p+"retention.groups", "%q is not a group; use INSTANCE/CLASS/MEMBER[/SUBSYSTEM] or local", g)
		}
		if d < Period(24*time.Hour) {
			is.Addf(p+"retention.groups", "%s: %v: want at least 1d", g, time.Duration(d))
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Access.Roles {
		rp := fmt.Sprintf("%saccess.roles[%d]", p, i)
		if !roleNameRE.MatchString(r.Name) {
			is.Addf(rp+".name", "%q: use lower-case letters, digits, '-' and '_'", r.Name)
		}
		if seen[r.Name] {
			is.Addf(rp+".name", "role %q is defined twice", r.Name)
		}
		seen[r.Name] = true
		if len(r.Actions) == 0 {
			is.Addf(rp+".actions", "empty; allow some of %s", strings.Join(AccessActions, ", "))
		}
		for _, a := range r.Actions {
			if !slices.Contains(AccessActions, a) {
				is.Addf(rp+".actions", "%q: use %s", a, strings.Join(AccessActions, ", "))
			}
		}
		if len(r.Purposes) == 0 {
			is.Addf(rp+".purposes", "empty; list the purposes this role may state (e.g. audit, court-order)")
		}
		for _, pu := range r.Purposes {
			if strings.TrimSpace(pu) == "" {
				is.Addf(rp+".purposes", "empty purpose")
			}
		}
	}
	if (c.Collect.SourceDir == "") != (c.Collect.TargetDir == "") {
		is.Addf(p+"collect", "sourceDir and targetDir go together")
	}
	if c.Collect.Interval <= 0 {
		is.Addf(p+"collect.interval", "%v: must be positive", c.Collect.Interval)
	}
	c.Evidence.validate(is)
	switch c.Backend {
	case "file":
	case "postgres":
		if c.Postgres.DSNFile == "" {
			is.Addf(p+"postgres.dsnFile", "empty; backend: postgres needs the file holding the connection string, e.g. /etc/tunduk/keys/msglog-db.dsn (mode 0640, root:tunduk)")
		}
		if c.SigningKey == "" {
			is.Addf(p+"backend", "postgres keeps the signed log; set messageLog.signingKey too")
		}
	default:
		is.Addf(p+"backend", "%q: use file or postgres", c.Backend)
	}
}

// PostgresOptions reads messageLog.postgres.dsnFile under the secret-file
// rule and returns pgstore's options. The connection string is never part
// of an error.
func (c *MessageLog) PostgresOptions(log *zap.Logger) (pgstore.Options, error) {
	b, err := secretfile.Read(c.Postgres.DSNFile, secretfile.Current(), 64<<10)
	if err != nil {
		return pgstore.Options{}, fmt.Errorf("config: messageLog.postgres.dsnFile: %w", err)
	}
	return pgstore.Options{URL: strings.TrimSpace(string(b)), Logger: log}, nil
}

// ValidateKeys checks that the signing key is defined under keys:. Config
// calls it because it spans sections.
func (c *MessageLog) ValidateKeys(keys Keys, is *Issues) {
	if c.SigningKey == "" {
		return
	}
	if _, ok := keys[c.SigningKey]; !ok {
		is.Addf("messageLog.signingKey", "key %q is not defined under keys:; add it or name one of %v", c.SigningKey, keys.Names())
	}
}

// RetentionFor returns the retention of a group.
func (c *MessageLog) RetentionFor(group string) time.Duration {
	if d, ok := c.Retention.Groups[group]; ok {
		return time.Duration(d)
	}
	return time.Duration(c.Retention.Default)
}

// Period is a duration that also accepts days, weeks and years (365 days):
// "3y", "90d", "2w", "36h".
type Period time.Duration

// UnmarshalYAML parses a period.
func (p *Period) UnmarshalYAML(n *yaml.Node) error {
	d, err := ParsePeriod(n.Value)
	if err != nil {
		return err
	}
	*p = Period(d)
	return nil
}

// MarshalYAML writes the period in its largest whole unit.
func (p Period) MarshalYAML() (any, error) { return p.String(), nil }

func (p Period) String() string {
	d := time.Duration(p)
	day := 24 * time.Hour
	switch {
	case d > 0 && d%(365*day) == 0:
		return strconv.FormatInt(int64(d/(365*day)), 10) + "y"
	case d > 0 && d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// ParsePeriod parses "3y", "90d", "2w" or any time.ParseDuration string.
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	if len(s) > 1 {
		if u, ok := units[s[len(s)-1]]; ok {
			n, err := strconv.Atoi(s[:len(s)-1])
			if err != nil || n < 0 {
				return 0, fmt.Errorf("period %q: want a whole number before %c", s, s[len(s)-1])
			}
			return time.Duration(n) * u, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("period %q: want e.g. 3y, 90d, 2w or 36h", s)
	}
	return d, nil
}

// ByteSize is a size in bytes that also accepts KiB, MiB and GiB suffixes.
type ByteSize int64

// UnmarshalYAML parses a size.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	mult := int64(1)
	for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if v, ok := strings.CutSuffix(s, suf); ok {
			s, mult = strings.TrimSpace(v), m
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return fmt.Errorf("size %q: write bytes, or a number with KiB, MiB or GiB (e.g. 100MiB)", n.Value)
	}
	*b = ByteSize(v * mult)
	return nil
}

// RetentionPolicy converts the section's retention into msglog's.
func (c *MessageLog) RetentionPolicy() msglog.Retention {
	r := msglog.Retention{Default: time.Duration(c.Retention.Default), Groups: map[string]time.Duration{}}
	for g, d := range c.Retention.Groups {
		r.Groups[g] = time.Duration(d)
	}
	return r
}

// AccessPolicy converts the section's roles into access's.
func (c *MessageLog) AccessPolicy() access.Policy {
	var p access.Policy
	for _, r := range c.Access.Roles {
		ar := access.Role{Name: r.Name, Description: r.Description, Users: r.Users, Purposes: r.Purposes, Conditions: r.Conditions}
		for _, a := range r.Actions {
			ar.Actions = append(ar.Actions, access.Action(a))
		}
		p.Roles = append(p.Roles, ar)
	}
	return p
}

// EncryptionKey reads the archive encryption key, nil when none is set.
func (c *MessageLog) EncryptionKey() ([]byte, error) {
	if c.EncryptionKeyFile == "" {
		return nil, nil
	}
	k, err := atrest.LoadKey(c.EncryptionKeyFile)
	if err != nil {
		return nil, fmt.Errorf("config: messageLog.encryptionKeyFile: %w", err)
	}
	return k, nil
}

// LogOptions converts the section into msglog.Options for the exchange
// log, with the signer and certificate opened by MessageLogSigner.
func (c *MessageLog) LogOptions(signer crypto.Signer, cert *x509.Certificate, log *zap.Logger) (msglog.Options, error) {
	key, err := c.EncryptionKey()
	if err != nil {
		return msglog.Options{}, err
	}
	o := msglog.Options{
		Dir: c.Dir, ArchiveDir: c.ArchiveDir, Signer: signer, Certificate: cert,
		BatchSize: c.Batch.Size, BatchInterval: c.Batch.Interval,
		RotateSize: int64(c.Rotation.Size), RotateInterval: c.Rotation.Interval,
		MetadataOnly: c.MetadataOnly, EncryptionKey: key, Logger: log,
		GroupWindow: c.Durability.GroupWindow, QueueWait: c.Durability.QueueWait,
	}
	if c.Durability.GroupWindow == 0 {
		o.GroupWindow = -1 // msglog: negative turns the window off
	}
	if c.GroupBy != "none" {
		o.GroupBy = msglog.GroupBy(c.GroupBy)
	}
	r := c.RetentionPolicy()
	o.Retention = &r
	if c.OCSPURL != "" {
		data, err := os.ReadFile(c.OCSPIssuer)
		if err != nil {
			return o, fmt.Errorf("config: messageLog.ocspIssuer: %w", err)
		}
		cs, err := certs.ParseCertificates(data)
		if err != nil || len(cs) == 0 {
			return o, fmt.Errorf("config: messageLog.ocspIssuer: no certificate in %s: %v", c.OCSPIssuer, err)
		}
		if cert != nil && cert.CheckSignatureFrom(cs[0]) != nil {
			return o, fmt.Errorf("config: messageLog.ocspIssuer: %s did not issue the signing certificate %s; give its issuer", c.OCSPIssuer, cert.Subject)
		}
		client := &seal.OCSPClient{URL: c.OCSPURL, Issuer: cs[0]}
		o.OCSP = client.Response
	}
	if c.TSAURL != "" {
		client, err := c.TSAClient(log)
		if err != nil {
			return o, err
		}
		o.TSA = msglog.TimestamperFunc(func(ctx context.Context, data []byte) ([]byte, error) {
			tok, err := client.TimestampData(ctx, data)
			if err != nil {
				return nil, err
			}
			return tok.DER, nil
		})
	}
	return o, nil
}

// TSAClient is the RFC 3161 client of tsaUrl, trusting tsaCertificate
// (nil, nil when tsaUrl is empty): the log's stamps and the monitoring
// centre's TSA probes use the same.
func (c *MessageLog) TSAClient(log *zap.Logger) (*tsa.Client, error) {
	if c.TSAURL == "" {
		return nil, nil
	}
	data, err := os.ReadFile(c.TSACertificate)
	if err != nil {
		return nil, fmt.Errorf("config: messageLog.tsaCertificate: %w", err)
	}
	cs, err := certs.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("config: messageLog.tsaCertificate: %w", err)
	}
	client, err := tsa.New(tsa.Options{URL: c.TSAURL, Hash: crypto.SHA512, Certificates: cs, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("config: messageLog.tsaUrl: %w", err)
	}
	return client, nil
}

// AccessDir is the sub-directory (of dir and of archiveDir) holding the
// access journal and its archives.
const AccessDir = "access"

// AccessOptions converts the section into access.Options: the policy, the
// archives to read and the access journal (dir/access, archiveDir/access;
// signed with the same key, without TSA, never metadata-only).
func (c *MessageLog) AccessOptions(signer crypto.Signer, cert *x509.Certificate, log *zap.Logger) (access.Options, error) {
	lo, err := c.LogOptions(signer, cert, log)
	if err != nil {
		return access.Options{}, err
	}
	j := lo
	j.Dir = filepath.Join(c.Dir, AccessDir)
	j.ArchiveDir = filepath.Join(c.ArchiveDir, AccessDir)
	j.GroupBy, j.MetadataOnly, j.Retention, j.TSA = msglog.GroupNone, false, nil, nil
	if c.Backend == "postgres" {
		// The archive directory is shared by every gateway; each host's
		// access log is a chain of its own, so it gets a directory of its own.
		host, err := os.Hostname()
		if err != nil {
			return access.Options{}, fmt.Errorf("config: messageLog: the host name names this host's access-log archives: %w", err)
		}
		j.ArchiveDir = filepath.Join(j.ArchiveDir, host)
	}
	return access.Options{Policy: c.AccessPolicy(), ArchiveDir: c.ArchiveDir, Key: lo.EncryptionKey, Journal: j}, nil
}

// MessageLogSigner opens messageLog.signingKey from the keys section: its
// crypto.Signer and certificate. The kms backends must be linked into the
// binary (cmd/keys/keyref imports them). close releases the key manager.
func (c *Config) MessageLogSigner(ctx context.Context, log *zap.Logger) (signer crypto.Signer, cert *x509.Certificate, close func() error, err error) {
	name := c.MessageLog.SigningKey
	if name == "" {
		return nil, nil, nil, fmt.Errorf("config: messageLog.signingKey is not set; name the key under keys: that signs the log (e.g. mlog)")
	}
	k, ok := c.Keys[name]
	if !ok {
		return nil, nil, nil, fmt.Errorf("config: messageLog.signingKey %q is not defined in the keys section", name)
	}
	if k.Certificate == "" {
		return nil, nil, nil, fmt.Errorf("config: keys.%s.certificate is empty; the message log embeds the certificate in every signature", name)
	}
	data, err := os.ReadFile(k.Certificate)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("config: keys.%s.certificate: %w", name, err)
	}
	cs, err := certs.ParseCertificates(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("config: keys.%s.certificate: %w", name, err)
	}
	o, err := k.KMSOptions(log)
	if err != nil {
		return nil, nil, nil, err
	}
	km, err := kms.New(ctx, o)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("config: keys.%s: %w", name, err)
	}
	signer, err = km.CreateSigner(&kms.CreateSignerRequest{SigningKey: k.URI})
	if err != nil {
		km.Close()
		return nil, nil, nil, fmt.Errorf("config: keys.%s: %w", name, err)
	}
	cert, err = certs.Select(cs, signer.Public())
	if err != nil {
		km.Close()
		return nil, nil, nil, fmt.Errorf("config: keys.%s.certificate: %w", name, err)
	}
	return signer, cert, km.Close, nil
}

// OpenArchiveReader opens what `tunduk archive ls|search|export` need: the
// signing key, the access journal and a Reader enforcing the configured
// roles. close seals the journal and releases the key.
func (c *Config) OpenArchiveReader(ctx context.Context, log *zap.Logger) (rd *access.Reader, close func() error, err error) {
	signer, cert, closeKey, err := c.MessageLogSigner(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	ao, err := c.MessageLog.AccessOptions(signer, cert, log)
	if err != nil {
		closeKey()
		return nil, nil, err
	}
	rd, err = access.Open(ao)
	if err != nil {
		closeKey()
		return nil, nil, err
	}
	return rd, func() error {
		err := rd.Close()
		if kerr := closeKey(); err == nil {
			err = kerr
		}
		return err
	}, nil
}

// Procedure converts the section into what `tunduk archive policy` prints.
func (c *MessageLog) Procedure() access.Procedure {
	return access.Procedure{
		Policy: c.AccessPolicy(), Retention: c.RetentionPolicy(), MetadataOnly: c.MetadataOnly,
		GroupBy: c.GroupBy, ArchiveDir: c.ArchiveDir, Encrypted: c.EncryptionKeyFile != "",
		Timestamped: c.TSAURL != "", BatchSize: c.Batch.Size, RotateEvery: c.Rotation.Interval,
	}
}
