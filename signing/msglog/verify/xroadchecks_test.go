package verify_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic/asictest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// ocspPKI is a CA whose status an `openssl ocsp` responder on loopback
// serves, with a signing certificate for member 70000001 (good) and one
// for the same member that was revoked an hour ago.
type ocspPKI struct {
	ca              *x509.Certificate
	caKey           crypto.Signer
	good, revoked   *x509.Certificate
	goodKey, revKey crypto.Signer
	other           *x509.Certificate // member 79999999
	otherKey        crypto.Signer
	url             string
	roots           *x509.CertPool
	dir             string
}

func newOCSPPKI(t *testing.T) *ocspPKI {
	t.Helper()
	openssl := corpus.RequireTool(t, "openssl", "apt-get install openssl")
	dir := t.TempDir()
	now := time.Now().Truncate(time.Second)
	p := &ocspPKI{dir: dir}
	caKey, caCert := certstest.SelfSigned(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Tunduk CA", Country: []string{"KG"}},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature})
	ca := &certstest.CA{Cert: caCert, Key: caKey}
	p.ca, p.caKey = caCert, caKey
	leaf := func(serial int64, code string) (*x509.Certificate, crypto.Signer) {
		k := certstest.Key(t)
		return ca.Issue(t, &x509.Certificate{SerialNumber: big.NewInt(serial),
			Subject:   pkix.Name{CommonName: code, Organization: []string{"GOV"}, Country: []string{"KG"}},
			NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageContentCommitment | x509.KeyUsageDigitalSignature}, k.Public()), k
	}
	p.good, p.goodKey = leaf(0x10, "70000001")
	p.revoked, p.revKey = leaf(0x11, "70000001")
	p.other, p.otherKey = leaf(0x12, "79999999")
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.ca)

	exp := now.Add(24 * time.Hour).UTC().Format("060102150405Z")
	rev := now.Add(-time.Hour).UTC().Format("060102150405Z")
	index := fmt.Sprintf("V\t%s\t\t10\tunknown\t/CN=70000001\nR\t%s\t%s\t11\tunknown\t/CN=70000001\nV\t%s\t\t12\tunknown\t/CN=79999999\n", exp, exp, rev, exp)
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(caKey)
	cmd := exec.Command(openssl, "ocsp", "-index", write("index.txt", []byte(index)), "-port", "0",
		"-rsigner", write("ca.pem", certstest.PEM(p.ca)),
		"-rkey", write("ca.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		"-CA", filepath.Join(dir, "ca.pem"), "-nmin", "60")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		re := regexp.MustCompile(`ACCEPT .*:(\d+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
			}
		}
	}()
	select {
	case pt := <-port:
		p.url = "http://127.0.0.1:" + pt
	case <-time.After(10 * time.Second):
		t.Fatal("openssl ocsp did not say which port it listens on")
	}
	return p
}

// rawOCSP fetches a response without checking it, so a test can embed
// even a "revoked" answer.
func (p *ocspPKI) rawOCSP(t *testing.T) func(*x509.Certificate) ([]byte, error) {
	return func(cert *x509.Certificate) ([]byte, error) {
		req, err := ocsp.CreateRequest(cert, p.ca, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.Post(p.url, "application/ocsp-request", bytes.NewReader(req))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
}

// consumerExchange is an exchange the portal made through the gateway:
// member 70000001 asks GOV/70000002's tax service.
func consumerExchange(i int) *msglog.Record {
	req := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers"><SOAP-ENV:Header><xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>central-server</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>70000001</id:memberCode><id:subsystemCode>portal</id:subsystemCode></xrd:client><xrd:service id:objectType="SERVICE"><id:xRoadInstance>central-server</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>70000002</id:memberCode><id:subsystemCode>gns-service</id:subsystemCode><id:serviceCode>tpDataByINN</id:serviceCode><id:serviceVersion>v1</id:serviceVersion></xrd:service><xrd:id>msg-%d</xrd:id><xrd:userId>officer-1</xrd:userId><xrd:protocolVersion>4.0</xrd:protocolVersion></SOAP-ENV:Header><SOAP-ENV:Body><tpDataByINN xmlns="http://gns"><inn>0123456789%04d</inn></tpDataByINN></SOAP-ENV:Body></SOAP-ENV:Envelope>`, i, i)
	resp := strings.Replace(strings.Replace(req, "<tpDataByINN xmlns", "<tpDataByINNResponse xmlns", 1), "</tpDataByINN>", "<debt>0</debt></tpDataByINNResponse>", 1)
	reqType := "text/xml; charset=utf-8"
	if i == 2 { // SOAP with attachments: a format-3 container, its framing in tunduk-exchange.xml
		reqType = `multipart/related; type="text/xml"; boundary=MIME1`
		req = "preamble\r\n--MIME1\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n" + req +
			"\r\n--MIME1\r\nContent-Type: application/pdf\r\nContent-ID: <scan>\r\n\r\n%PDF-1.7 \x00\xff\r\n--MIME1--\r\n"
	}
	return &msglog.Record{Type: msglog.TypeExchange, Member: "central-server/GOV/70000001/portal", Exchange: &msglog.Exchange{
		Direction: "consumer", Protocol: "soap", MessageID: fmt.Sprintf("msg-%d", i),
		Client: "central-server/GOV/70000001/portal", Service: "central-server/GOV/70000002/gns-service/tpDataByINN/v1",
		UserID: "officer-1", Caller: "portal", Officer: "officer-1", Outcome: "ok", Subjects: []string{fmt.Sprintf("0123456789%04d", i)},
		Request:  msglog.Message{ContentType: reqType, Body: []byte(req)},
		Response: msglog.Message{ContentType: "text/xml; charset=utf-8", Status: 200, Body: []byte(resp)},
	}}
}

func writeLog(t *testing.T, dir string, signer crypto.Signer, cert *x509.Certificate, ocspFn func(*x509.Certificate) ([]byte, error), n int) string {
	t.Helper()
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "log"), ArchiveDir: filepath.Join(dir, "archive"),
		Signer: signer, Certificate: cert, OCSP: ocspFn})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := l.Append(context.Background(), consumerExchange(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "archive")
}

// containersOf returns the containers of every archive under root.
func containersOf(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	as, err := msglog.ListArchives(root)
	if err != nil || len(as) == 0 {
		t.Fatalf("archives: %v %v", as, err)
	}
	for _, a := range as {
		b, _ := os.ReadFile(a.Path)
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if zr.Comment != "tunduk-msglog-format=3" {
			t.Errorf("%s: zip comment %q does not state the format", a.Name, zr.Comment)
		}
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, ".asice") {
				rc, _ := f.Open()
				c, _ := io.ReadAll(rc)
				rc.Close()
				out[f.Name] = c
			}
		}
	}
	return out
}

// TestXRoadChecks mirrors, one by one, the checks X-Road's
// AsicContainerVerifier.verify() and SignatureVerifier.verify() make on
// a container, on containers tunduk's Log wrote (format 2) with an OCSP
// response from a real `openssl ocsp` responder embedded.
func TestXRoadChecks(t *testing.T) {
	p := newOCSPPKI(t)
	trust := &verify.Trust{Roots: p.roots, Inter: x509.NewCertPool(), CAs: 1}
	client := &seal.OCSPClient{URL: p.url, Issuer: p.ca}
	root := writeLog(t, t.TempDir(), p.goodKey, p.good, client.Response, 3)
	ctrs := containersOf(t, root)
	if len(ctrs) != 6 {
		t.Fatalf("want a request and a response container per exchange (6), got %d", len(ctrs))
	}
	v := verify.New(verify.Options{Trust: trust})
	for name, c := range ctrs {
		// AsicContainer.read: mimetype, message.xml, signatures.xml present.
		ac, err := asic.Read(c, asic.Limits{})
		if err != nil {
			t.Fatalf("%s: AsicContainer.read: %v", name, err)
		}
		// Format 2: message.xml is the SOAP message itself (of a
		// multipart message its SOAP part, the other parts attachments, the
		// framing after the metadata: format 3), the metadata beside it.
		framed := strings.HasPrefix(name, "00000000000000000003-request")
		if !bytes.HasPrefix(ac.Message, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n<SOAP-ENV:Envelope")) || ac.Exchange == nil ||
			!bytes.Contains(ac.Exchange, []byte(map[bool]string{false: `format="2"`, true: `format="3"`}[framed])) ||
			framed != (len(ac.Attachments) == 1 && bytes.Contains(ac.Exchange, []byte("<?tunduk-multipart "))) {
			t.Fatalf("%s: not an X-Road-native container: message.xml %.60q, exchange %.80q, %d attachments", name, ac.Message, ac.Exchange, len(ac.Attachments))
		}
		// SignatureVerifier.getSigningOcspResponse: the OCSP response is
		// embedded as XAdES RevocationValues.
		sig, err := seal.Parse(ac.Signature)
		if err != nil || len(sig.OCSP) != 1 {
			t.Fatalf("%s: want one embedded OCSP response, got %d (%v)", name, len(sig.OCSP), err)
		}
		info, err := v.Container(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// CertChainVerifier.verify(ocspResponses, atDate): checked.
		if !info.OCSP {
			t.Errorf("%s: embedded OCSP response was not checked", name)
		}
		// verifySignerName: the request is signed by its client (our
		// member 70000001), so no warning; the response's signer by
		// X-Road's rule is the provider 70000002, which tunduk cannot
		// sign for: reported.
		warned := strings.Contains(strings.Join(info.Warnings, "\n"), "IncorrectCertificate")
		if strings.HasSuffix(name, "-request.asice") == warned {
			t.Errorf("%s: signer-name warning %v: %v", name, warned, info.Warnings)
		}
	}

	// verifySignerName: a certificate of another member signing a
	// request of 70000001 is IncorrectCertificate.
	otherRoot := writeLog(t, t.TempDir(), p.otherKey, p.other, client.Response, 1)
	for name, c := range containersOf(t, otherRoot) {
		_, err := v.Container(c)
		if strings.HasSuffix(name, "-request.asice") && verify.CodeOf(err) != seal.CodeIncorrectCertificate {
			t.Errorf("%s signed by 79999999: want IncorrectCertificate, got %v", name, err)
		}
		if strings.HasSuffix(name, "-response.asice") && verify.CodeOf(err) != seal.CodeIncorrectCertificate {
			t.Errorf("%s signed by a member that is neither party: want IncorrectCertificate, got %v", name, err)
		}
	}

	// OcspVerifier: the signer refuses to embed a "revoked" answer...
	if _, err := client.Response(p.revoked); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("OCSPClient accepted a revoked certificate: %v", err)
	}
	// ... and a container carrying one fails CertValidation.
	revRoot := writeLog(t, t.TempDir(), p.revKey, p.revoked, p.rawOCSP(t), 1)
	for name, c := range containersOf(t, revRoot) {
		if _, err := v.Container(c); verify.CodeOf(err) != seal.CodeCertValidation || !strings.Contains(fmt.Sprint(err), "revoked") {
			t.Errorf("%s signed with a revoked certificate: want CertValidation (revoked), got %v", name, err)
		}
	}

	// An OCSP response about another certificate does not vouch for the
	// signer (OcspVerifier: certID must match).
	swapRoot := writeLog(t, t.TempDir(), p.goodKey, p.good, func(*x509.Certificate) ([]byte, error) { return p.rawOCSP(t)(p.other) }, 1)
	for name, c := range containersOf(t, swapRoot) {
		if _, err := v.Container(c); verify.CodeOf(err) != seal.CodeCertValidation {
			t.Errorf("%s with another certificate's OCSP response: want CertValidation, got %v", name, err)
		}
	}

	// CertChainVerifier: a signer from a CA the trust material does not
	// approve fails CertValidation.
	foreign := verify.New(verify.Options{Trust: &verify.Trust{Roots: x509.NewCertPool(), Inter: x509.NewCertPool(), CAs: 0}})
	for name, c := range ctrs {
		if _, err := foreign.Container(c); verify.CodeOf(err) != seal.CodeCertValidation {
			t.Errorf("%s under a foreign trust anchor: want CertValidation, got %v", name, err)
		}
		break
	}

	// xmlsec1 still verifies the signature with the OCSP response embedded.
	if _, err := exec.LookPath("xmlsec1"); err == nil || os.Getenv("TUNDUK_REQUIRE_TOOLS") == "1" {
		for name, c := range ctrs {
			ac, _ := asic.Read(c, asic.Limits{})
			if out, err := asictest.Xmlsec1(t, p.ca, ac); err != nil {
				t.Fatalf("%s: xmlsec1 rejects a signature with an embedded OCSP response: %v\n%s", name, err, out)
			}
			break
		}
	}
}
