package config

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/secretfile"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"

	_ "github.com/tunduk-kg/tunduk/signing/kms/softkms" // file: keys
)

// The shipped example on a host where nothing is installed yet: every
// missing file is listed in one run, each with its line in the file.
func TestCheckListsEveryMissingFileOfTheExample(t *testing.T) {
	src, err := os.ReadFile("../../configs/tunduk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir() // stands for a fresh host: /etc/tunduk and the rest do not exist
	text := string(src)
	for _, p := range []string{"/etc/tunduk", "/etc/xroad", "/var/lib", "/usr/lib", "/srv"} {
		text = strings.ReplaceAll(text, p, root+p)
	}
	path := filepath.Join(t.TempDir(), "tunduk.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r := Check(context.Background(), path, CheckOptions{Account: secretfile.Current()})
	got := r.Errors.Error()
	lines := strings.Split(text, "\n")
	want := map[string]string{ // YAML path → the key on its line
		"securityServer.tls.certFile":          "certFile:",
		"securityServer.tls.keyFile":           "keyFile:",
		"securityServer.tls.serverCertFile":    "serverCertFile:",
		"gateway.tls.certFile":                 "certFile:",
		"gateway.tls.keyFile":                  "keyFile:",
		"gateway.tls.clientCAFile":             "clientCAFile:",
		"gateway.callers[0].apiKeyFile":        "apiKeyFile:",
		"gateway.mappingsDir":                  "mappingsDir:",
		"keys.mlog.uri":                        "librtpkcs11ecp.so",
		"keys.mlog.certificate":                "certificate:",
		"keys.mlog.pinFile":                    "pinFile:",
		"messageLog.collect.sourceDir":         "sourceDir:",
		"messageLog.collect.verificationConf":  "verificationConf:",
		"catalog.dir":                          "dir:",
		"catalog.managementAPI.apiKeyFile":     "apiKeyFile:",
		"catalog.managementAPI.pinnedCertFile": "pinnedCertFile:",
	}
	for _, p := range r.Errors {
		key, ok := want[p.Path]
		if !ok {
			t.Errorf("unexpected problem: %s", p)
			continue
		}
		delete(want, p.Path)
		if p.File != path || p.Line < 1 || p.Line > len(lines) || !strings.Contains(lines[p.Line-1], key) {
			t.Errorf("%s: not on the line of %q", p, key)
		}
		if !strings.Contains(p.Msg, "does not exist; ") {
			t.Errorf("%s: want what is wrong and what to do", p)
		}
	}
	for p := range want {
		t.Errorf("missing %s not reported; got:\n%s", p, got)
	}
}

type pki struct {
	dir string
	t   *testing.T
}

// cert writes a fresh key (PKCS#8) and its self-signed certificate (see
// certFor) and returns their paths.
func (k pki) cert(name string, notAfter time.Time) (certPath, keyPath string) {
	key := certstest.Key(k.t)
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		k.t.Fatal(err)
	}
	keyPath = k.write(filepath.Join(k.dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600)
	return k.certFor(name, key, notAfter), keyPath
}

// certFor writes NAME.crt, a certificate of signer's key signed by itself
// (subject CN=name, valid from two days ago to notAfter), and returns its
// path.
func (k pki) certFor(name string, signer crypto.Signer, notAfter time.Time) string {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		k.t.Fatal(err)
	}
	return k.write(filepath.Join(k.dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func (k pki) write(p string, b []byte, mode os.FileMode) string {
	if err := os.WriteFile(p, b, mode); err != nil {
		k.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		k.t.Fatal(err)
	}
	return p
}

func TestCheckFindsEveryKindOfProblemAtOnce(t *testing.T) {
	dir := t.TempDir()
	k := pki{dir: dir, t: t}
	ssCert, _ := k.cert("is-client", time.Now().Add(365*24*time.Hour))
	_, otherKey := k.cert("other", time.Now().Add(365*24*time.Hour))
	k.cert("gateway", time.Now().Add(10*24*time.Hour))       // expiring soon: a warning
	caCert, _ := k.cert("ca", time.Now().Add(-24*time.Hour)) // expired
	mlogCert, mlogKey := k.cert("mlog", time.Now().Add(365*24*time.Hour))
	_, wrongKey := k.cert("wrong", time.Now().Add(365*24*time.Hour))
	k.write(filepath.Join(dir, "portal.key"), []byte(strings.Repeat("k", 40)), 0o644) // world-readable secret
	k.write(filepath.Join(dir, "short.key"), []byte("short"), 0o600)                  // too short
	k.write(filepath.Join(dir, "group-writable.pin"), []byte("1234"), 0o660)          // group-writable
	k.write(filepath.Join(dir, "notacert.crt"), []byte("hello"), 0o644)               // not a certificate
	os.Mkdir(filepath.Join(dir, "mappings"), 0o755)
	k.write(filepath.Join(dir, "mappings", "tax.yaml"), []byte("check: tax-debt\nstyle: wcf\ncolour: red\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "catalog"), 0o755)
	k.write(filepath.Join(dir, "catalog", "org.yaml"), []byte("organisation:\n  memberClas: GOV\n"), 0o644)
	cfg := `securityServer:
  url: https://127.0.0.1:8443
  client: central-server/GOV/70000099/zakupki
  tls:
    certFile: ` + ssCert + `
    keyFile: ` + otherKey + `
    caFile: ` + caCert + `
gateway:
  listen: 127.0.0.1:9443
  tls: {certFile: gateway.crt, keyFile: gateway.key, clientCAFile: notacert.crt}
  callers:
    - name: portal
      apiKeyFile: portal.key
      checks: [founders]
    - name: short
      apiKeyFile: short.key
      checks: [founders]
  mappingsDir: mappings
  journal: journal/journal.jsonl
  maxInFlight: lots
keys:
  mlog:
    uri: file:` + mlogKey + `
    certificate: ` + mlogCert + `
  wrong:
    uri: file:` + wrongKey + `
    certificate: ` + mlogCert + `
  token:
    uri: pkcs11:token=t;object=o?module-path=` + dir + `/missing.so
    pinFile: group-writable.pin
catalog:
  dir: catalog
`
	path := k.write(filepath.Join(dir, "tunduk.yaml"), []byte(cfg), 0o644)
	// The PIN file is relative to the working directory, as kms reads it.
	t.Chdir(dir)
	r := Check(context.Background(), path, CheckOptions{Account: secretfile.Current(), OpenKeys: true})
	got := r.Errors.Error()
	for _, w := range []string{
		`tunduk.yaml:6: securityServer.tls.keyFile: ` + otherKey + ` does not go with ` + ssCert,
		`tunduk.yaml:7: securityServer.tls.caFile: certificate "CN=ca" in ` + caCert + ` expired on`,
		`tunduk.yaml:10: gateway.tls.clientCAFile: ` + filepath.Join(dir, "notacert.crt") + ` holds no certificate`,
		`tunduk.yaml:13: gateway.callers[0].apiKeyFile: ` + filepath.Join(dir, "portal.key") + `: mode 0644 lets every user on the host at it; run: chmod 600`,
		`tunduk.yaml:16: gateway.callers[1].apiKeyFile: the key in ` + filepath.Join(dir, "short.key") + ` is shorter than 32 characters`,
		`tunduk.yaml:20: gateway.maxInFlight: the text "lots" is not a whole number`,
		`tunduk.yaml:27: keys.wrong.certificate: ` + mlogCert + ` is not the certificate of this key`,
		`tunduk.yaml:29: keys.token.uri: file ` + dir + `/missing.so does not exist; install the token's PKCS#11 library`,
		`tunduk.yaml:30: keys.token.pinFile: group-writable.pin: mode 0660 lets the group change it; run: chmod 640`,
		filepath.Join(dir, "mappings", "tax.yaml") + `:3: colour: unknown key`,
		filepath.Join(dir, "catalog", "org.yaml") + `:2: organisation.memberClas: unknown key; did you mean "memberClass"?`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("errors:\n%s\nwant a line containing %q", got, w)
		}
	}
	if !strings.Contains(got, "messageLog.signingKey: empty, but the gateway records every exchange in the signed message log") {
		t.Errorf("errors:\n%s\nwant the missing signed log named", got)
	}
	if w := r.Warnings.Error(); !strings.Contains(w, "tunduk.yaml:19: gateway.journal: no longer used and ignored: every exchange is recorded in the signed message log") {
		t.Errorf("warnings:\n%s\nwant gateway.journal named as replaced by the signed log", w)
	}
	if strings.Contains(got, "keys.mlog") {
		t.Errorf("the good key was refused:\n%s", got)
	}
	if w := r.Warnings.Error(); !strings.Contains(w, `tunduk.yaml:10: gateway.tls.certFile: certificate "CN=gateway"`) || !strings.Contains(w, "request its renewal now") {
		t.Errorf("warnings:\n%s\nwant the gateway certificate expiring soon", w)
	}
	if r.OK() {
		t.Error("report OK with errors")
	}
}

func TestCheckPassesACompleteConfiguration(t *testing.T) {
	dir := t.TempDir()
	k := pki{dir: dir, t: t}
	mlogCert, mlogKey := k.cert("mlog", time.Now().Add(365*24*time.Hour))
	k.write(filepath.Join(dir, "portal.key"), []byte(strings.Repeat("k", 40)+"\n"), 0o600)
	mappings, _ := filepath.Abs("../../configs/mappings")
	cat, _ := filepath.Abs("../../configs/catalog")
	cfg := `gateway:
  callers: [{name: portal, apiKeyFile: portal.key, checks: ["*"]}]
  mappingsDir: ` + mappings + `
keys:
  mlog: {uri: "file:` + mlogKey + `", certificate: ` + mlogCert + `}
messageLog: {signingKey: mlog, dir: ` + dir + `/msglog, archiveDir: ` + dir + `/archive}
catalog: {dir: ` + cat + `}
`
	path := k.write(filepath.Join(dir, "tunduk.yaml"), []byte(cfg), 0o600)
	r := Check(context.Background(), path, CheckOptions{Account: secretfile.Current(), OpenKeys: true})
	if !r.OK() {
		t.Errorf("complete configuration refused:\n%s", r.Errors.Error())
	}
}

func TestCheckStopsAtSyntax(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.yaml")
	os.WriteFile(path, []byte("gateway: [\n"), 0o600)
	r := Check(context.Background(), path, CheckOptions{})
	if r.Config != nil || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Msg, "YAML syntax") {
		t.Errorf("report: %+v", r)
	}
	r = Check(context.Background(), filepath.Join(t.TempDir(), "missing.yaml"), CheckOptions{})
	if r.OK() || !strings.Contains(r.Errors.Error(), "give the path of tunduk's configuration file") {
		t.Errorf("missing file: %v", r.Errors)
	}
}

// messageLog.backend: postgres is checked at start with the file's lines:
// the backend's name, a missing dsnFile, a DSN file others may read, and
// one that holds no connection string (named, its secret never repeated).
func TestCheckMessageLogPostgres(t *testing.T) {
	dir := t.TempDir()
	k := pki{dir: dir, t: t}
	mlogCert, mlogKey := k.cert("mlog", time.Now().Add(365*24*time.Hour))
	mappings, _ := filepath.Abs("../../configs/mappings")
	cat, _ := filepath.Abs("../../configs/catalog")
	k.write(filepath.Join(dir, "portal.key"), []byte(strings.Repeat("k", 40)+"\n"), 0o600)
	base := `gateway:
  callers: [{name: portal, apiKeyFile: portal.key, checks: ["*"]}]
  mappingsDir: ` + mappings + `
  journal: state/journal.jsonl
keys:
  mlog: {uri: "file:` + mlogKey + `", certificate: ` + mlogCert + `}
catalog: {dir: ` + cat + `}
messageLog:
  signingKey: mlog
  dir: ` + dir + `/msglog
  archiveDir: ` + dir + `/archive
`
	good := k.write(filepath.Join(dir, "good.dsn"), []byte("postgres://tunduk:s3cret@db:5432/tunduk_msglog?sslmode=disable\n"), 0o600)
	open := k.write(filepath.Join(dir, "open.dsn"), []byte("postgres://tunduk:s3cret@db:5432/tunduk_msglog\n"), 0o644)
	bad := k.write(filepath.Join(dir, "bad.dsn"), []byte("postgres://tunduk:s3cret@[db:5432/x\n"), 0o600)
	for _, tc := range []struct{ name, tail, want string }{
		{"good", "  backend: postgres\n  postgres: {dsnFile: " + good + "}\n", ""},
		{"unknown backend", "  backend: mysql\n", `:12: messageLog.backend: "mysql": use file or postgres`},
		{"no dsnFile", "  backend: postgres\n", ":8: messageLog.postgres.dsnFile: empty"},
		{"readable by others", "  backend: postgres\n  postgres: {dsnFile: " + open + "}\n", ":13: messageLog.postgres.dsnFile: " + open},
		{"not a DSN", "  backend: postgres\n  postgres: {dsnFile: " + bad + "}\n", ":13: messageLog.postgres.dsnFile: " + bad + " does not hold a PostgreSQL connection string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := k.write(filepath.Join(dir, "tunduk.yaml"), []byte(base+tc.tail), 0o600)
			r := Check(context.Background(), path, CheckOptions{Account: secretfile.Current()})
			got := r.Errors.Error()
			if tc.want == "" {
				if !r.OK() {
					t.Fatalf("refused:\n%s", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("errors:\n%s\nwant a line containing %q", got, tc.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Fatalf("the DSN's password is in the report:\n%s", got)
			}
		})
	}
}
