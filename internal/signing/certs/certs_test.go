package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func keys(t *testing.T) map[string]crypto.Signer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	return map[string]crypto.Signer{"rsa2048": rk, "ecdsa-p256": ek, "ecdsa-p384": e384}
}

func TestCSRCarriesSubject(t *testing.T) {
	subj := Subject{Organization: "Государственная налоговая служба", MemberCode: "70000002", ServerCode: "gns-ss1"}
	for name, k := range keys(t) {
		t.Run(name, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			der, err := CreateCSR(CSRRequest{Subject: subj, Signer: k, Logger: zap.New(core)})
			if err != nil {
				t.Fatal(err)
			}
			csr, err := x509.ParseCertificateRequest(der)
			if err != nil {
				t.Fatal(err)
			}
			if err := csr.CheckSignature(); err != nil {
				t.Fatalf("CSR signature: %v", err)
			}
			s := csr.Subject
			if s.Country[0] != "KG" || s.Organization[0] != subj.Organization || s.CommonName != "70000002" ||
				s.SerialNumber != "central-server/gns-ss1/GOV" {
				t.Errorf("subject %s", s)
			}
			if got := FromName(s); got.MemberClass != "GOV" || got.MemberCode != "70000002" || got.Instance != "central-server" || got.ServerCode != "gns-ss1" {
				t.Errorf("FromName = %+v", got)
			}
			if err := Match(&x509.Certificate{PublicKey: csr.PublicKey}, k.Public()); err != nil {
				t.Errorf("CSR public key is not the signer's: %v", err)
			}
			var ku bool
			for _, e := range csr.Extensions {
				if e.Id.Equal(oidKeyUsage) && e.Critical {
					ku = true
				}
			}
			if !ku {
				t.Error("CSR does not request a critical key usage")
			}
			if logs.FilterMessage("CSR created").Len() != 1 {
				t.Error("CSR not logged")
			}
			// OpenSSL, independently, checks the signature and reads the subject.
			tool := corpus.RequireTool(t, "openssl", "apt-get install openssl")
			p := filepath.Join(t.TempDir(), "req.pem")
			os.WriteFile(p, EncodeCSR(der), 0o600)
			out, err := exec.Command(tool, "req", "-in", p, "-verify", "-noout", "-subject", "-nameopt", "RFC2253").CombinedOutput()
			if err != nil {
				t.Fatalf("openssl req -verify: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "C=KG") || !strings.Contains(string(out), "CN=70000002") {
				t.Errorf("openssl sees subject %s", out)
			}
		})
	}
}

func TestSubjectErrors(t *testing.T) {
	for _, tc := range []struct {
		s     Subject
		field string
	}{
		{Subject{MemberCode: "70000002"}, "Organization"},
		{Subject{Organization: "X", MemberCode: "7000002"}, "MemberCode"},
		{Subject{Organization: "X", MemberCode: "7000000A"}, "MemberCode"},
		{Subject{Organization: "X", MemberCode: "10000002"}, "MemberClass"},
		{Subject{Organization: "X", MemberCode: "70000002", MemberClass: "ORG"}, "MemberClass"},
		{Subject{Organization: strings.Repeat("x", 65), MemberCode: "70000002"}, "Organization"},
		{Subject{Organization: "X", MemberCode: "70000002", Country: "KGZ"}, "Country"},
	} {
		_, err := tc.s.Name()
		var se *SubjectError
		if !errors.As(err, &se) || se.Field != tc.field {
			t.Errorf("%+v: %v, want a %s error", tc.s, err, tc.field)
		}
	}
	n, err := Subject{Organization: "Shop LLC", MemberCode: "60000017"}.Name()
	if err != nil || n.SerialNumber != "" || FromName(n).MemberCode != "60000017" {
		t.Errorf("COM without server code: %v %v", n, err)
	}
	if s, _ := (Subject{Organization: "Shop LLC", MemberCode: "60000017"}).Normalize(); s.MemberClass != "COM" {
		t.Errorf("class from 6000xxxx = %q", s.MemberClass)
	}
}

func selfSigned(t *testing.T, k crypto.Signer, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0xabc), Subject: pkix.Name{CommonName: "70000002", Country: []string{"KG"}},
		NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func TestParseAndMatch(t *testing.T) {
	ks := keys(t)
	now := time.Now()
	a := selfSigned(t, ks["ecdsa-p256"], now, now.Add(time.Hour))
	b := selfSigned(t, ks["rsa2048"], now, now.Add(time.Hour))
	pemChain := append(pemCert(a), pemCert(b)...)
	for name, in := range map[string][]byte{
		"pem chain":   pemChain,
		"der":         append(append([]byte(nil), a.Raw...), b.Raw...),
		"bare base64": []byte(base64.StdEncoding.EncodeToString(append(append([]byte(nil), a.Raw...), b.Raw...)) + "\n"),
	} {
		cs, err := ParseCertificates(in)
		if err != nil || len(cs) != 2 || !cs[0].Equal(a) || !cs[1].Equal(b) {
			t.Errorf("%s: %d certificates, %v", name, len(cs), err)
			continue
		}
		got, err := Select(cs, ks["rsa2048"].Public())
		if err != nil || !got.Equal(b) {
			t.Errorf("%s: Select = %v", name, err)
		}
	}
	_, err := Select([]*x509.Certificate{a, b}, ks["ecdsa-p384"].Public())
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Errorf("no matching key: %v", err)
	}
	for _, bad := range [][]byte{[]byte("hello"), []byte("-----BEGIN FOO-----\nAA==\n-----END FOO-----\n"), {0x30, 0x03, 0x02, 0x01}} {
		if _, err := ParseCertificates(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	// X-Road's own TSA certificate ships as bare base64.
	dir := corpus.Dir(t, "tsp")
	data, _ := os.ReadFile(filepath.Join(dir, "tsp.pem"))
	cs, err := ParseCertificates(data)
	if err != nil || cs[0].Subject.CommonName != "timestamp1" {
		t.Errorf("tsp.pem: %v", err)
	}
}

func pemCert(c *x509.Certificate) []byte {
	var b bytes.Buffer
	b.WriteString("-----BEGIN CERTIFICATE-----\n")
	s := base64.StdEncoding.EncodeToString(c.Raw)
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n-----END CERTIFICATE-----\n")
	return b.Bytes()
}

func TestStatusOf(t *testing.T) {
	k := keys(t)["ecdsa-p256"]
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := selfSigned(t, k, now.AddDate(0, 0, -10), now.Add(45*24*time.Hour+3*time.Hour))
	st := StatusOf(c, now)
	if st.DaysLeft != 45 || st.Expired || st.NotYet || st.Serial != "abc" || st.Member.MemberCode != "70000002" {
		t.Errorf("%+v", st)
	}
	if st := StatusOf(c, c.NotAfter.Add(time.Hour)); st.DaysLeft != -1 || !st.Expired {
		t.Errorf("an hour after expiry: %+v", st)
	}
	if st := StatusOf(c, c.NotBefore.Add(-time.Minute)); !st.NotYet {
		t.Errorf("before NotBefore: %+v", st)
	}
}

func TestExpiryCollector(t *testing.T) {
	k := keys(t)["ecdsa-p256"]
	now := time.Unix(1_800_000_000, 0)
	c := selfSigned(t, k, now.Add(-time.Hour), time.Unix(1_800_086_400, 0))
	col := NewExpiryCollector(func() []KeyCert { return []KeyCert{{Key: "mlog", Certificate: c}, {Key: "no-cert"}} })
	col.now = func() time.Time { return now }
	want := `# HELP tunduk_signing_key_expiry_timestamp_seconds Unix time at which the signing key's certificate expires (NotAfter).
# TYPE tunduk_signing_key_expiry_timestamp_seconds gauge
tunduk_signing_key_expiry_timestamp_seconds{key="mlog"} 1.8000864e+09
# HELP tunduk_signing_key_remaining_seconds Seconds until the signing key's certificate expires; negative once expired.
# TYPE tunduk_signing_key_remaining_seconds gauge
tunduk_signing_key_remaining_seconds{key="mlog"} 86400
`
	if err := testutil.CollectAndCompare(col, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(col); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// ReadFile: the certificates of a PEM file; a file without one is an
// error naming the file.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := CreateSelfSigned(SelfSignedRequest{Subject: Subject{Organization: "O", MemberCode: "70000001"}, Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := filepath.Join(dir, "c.pem"), filepath.Join(dir, "bad.pem")
	os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(bad, []byte("-----BEGIN NOTHING-----\n-----END NOTHING-----\n"), 0o600)
	if cs, err := ReadFile(good); err != nil || len(cs) != 1 || cs[0].Subject.CommonName != "70000001" {
		t.Fatalf("ReadFile(good) = %v, %v", cs, err)
	}
	if _, err := ReadFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("ReadFile(bad) = %v; want an error naming the file", err)
	}
}
