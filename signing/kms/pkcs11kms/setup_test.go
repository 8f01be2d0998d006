//go:build cgo

package pkcs11kms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/signing/kms"
	"github.com/tunduk-kg/tunduk/signing/kms/pkcs11kms/softhsmtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

const (
	testPIN = "4815162342"
	modPath = softhsmtest.Module
)

// backend is one token the suite runs against: the in-memory stub or a
// real SoftHSM2 token.
type backend struct {
	name string
	// open returns a KeyManager logged in with pin, logging to log.
	open func(tb testing.TB, pin string, log *zap.Logger) (*KeyManager, error)
}

func stubBackend() backend {
	tok := newStubToken("tunduk", testPIN)
	return backend{name: "stub", open: func(tb testing.TB, pin string, log *zap.Logger) (*KeyManager, error) {
		u, err := kms.ParseURI("pkcs11:token=tunduk")
		if err != nil {
			tb.Fatal(err)
		}
		return open(tok, u, pin, log)
	}}
}

// softHSM is the suite's real token: SoftHSM2 through the repository's one
// helper, which skips without it and fails under TUNDUK_REQUIRE_TOOLS=1.
func softHSM(t testing.TB) backend {
	t.Helper()
	softhsmtest.Token(t, "tunduk", testPIN)
	return backend{name: "softhsm2", open: func(t testing.TB, pin string, log *zap.Logger) (*KeyManager, error) {
		pinFile := filepath.Join(t.TempDir(), "pin")
		if err := os.WriteFile(pinFile, []byte(pin+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		km, err := kms.New(t.Context(), kms.Options{
			URI:    "pkcs11:token=tunduk?module-path=" + modPath + "&pin-source=" + pinFile,
			Logger: log,
		})
		if err != nil {
			return nil, err
		}
		return km.(*KeyManager), nil
	}}
}

func TestMain(m *testing.M) {
	code := m.Run()
	softhsmtest.Cleanup()
	os.Exit(code)
}

// run runs every suite case against b.
func run(t *testing.T, b backend) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, backend)
	}{
		{"GenerateSignVerify", testGenerateSignVerify},
		{"FindByLabelOrID", testFindByLabelOrID},
		{"Errors", testErrors},
		{"Certificate", testCertificate},
		{"WrongPIN", testWrongPIN},
		{"ConcurrentSign", testConcurrentSign},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, b) })
	}
}

func TestStub(t *testing.T)     { run(t, stubBackend()) }
func TestSoftHSM2(t *testing.T) { run(t, softHSM(t)) }

func openOK(t *testing.T, b backend) (*KeyManager, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	km, err := b.open(t, testPIN, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { km.Close() })
	return km, logs
}

var labelSeq int

// label returns a label unique in the test binary (the SoftHSM2 token is shared).
func label(prefix string) string {
	labelSeq++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, labelSeq)
}

// selfSign has the token sign a certificate and checks it with crypto/x509,
// as a relying party would.
func selfSign(t *testing.T, s crypto.Signer, alg x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{Country: []string{"KG"}, Organization: []string{"Test"}, CommonName: "70000002"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		SignatureAlgorithm:    alg,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), s)
	if err != nil {
		t.Fatalf("%v: CreateCertificate with token signer: %v", alg, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Fatalf("%v: token signature does not verify: %v", alg, err)
	}
	return c
}

func testGenerateSignVerify(t *testing.T, b backend) {
	km, logs := openOK(t, b)
	for _, tc := range []struct {
		alg  kms.Algorithm
		sigs []x509.SignatureAlgorithm
	}{
		{kms.RSA2048, []x509.SignatureAlgorithm{x509.SHA256WithRSA, x509.SHA512WithRSA, x509.SHA256WithRSAPSS, x509.SHA512WithRSAPSS}},
		{kms.ECDSAP256, []x509.SignatureAlgorithm{x509.ECDSAWithSHA256, x509.ECDSAWithSHA512}},
		{kms.ECDSAP384, []x509.SignatureAlgorithm{x509.ECDSAWithSHA384}},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			lbl := label("mlog")
			resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:object=" + lbl, Algorithm: tc.alg})
			if err != nil {
				t.Fatal(err)
			}
			u, err := kms.ParseURI(resp.Name)
			if err != nil || u.Path("token") != "tunduk" || u.Path("object") != lbl || len(u.Path("id")) != 16 {
				t.Fatalf("CreateKey name %q lacks token, object or a 16-byte id (%v)", resp.Name, err)
			}
			switch tc.alg {
			case kms.RSA2048:
				if k, ok := resp.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
					t.Fatalf("public key %T is not RSA 2048", resp.PublicKey)
				}
			default:
				if _, ok := resp.PublicKey.(*ecdsa.PublicKey); !ok {
					t.Fatalf("public key %T is not ECDSA", resp.PublicKey)
				}
			}
			s, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: resp.Name})
			if err != nil {
				t.Fatal(err)
			}
			for _, alg := range tc.sigs {
				selfSign(t, s, alg)
			}
			// A plain PKCS#1 v1.5 signature over SHA-256 and SHA-512 digests, checked by crypto/x509.
			c := selfSign(t, s, tc.sigs[0])
			msg := []byte("<ds:SignedInfo>batch</ds:SignedInfo>")
			d256, d512 := sha256.Sum256(msg), sha512.Sum512(msg)
			for _, d := range []struct {
				h   crypto.Hash
				dig []byte
				alg x509.SignatureAlgorithm
			}{{crypto.SHA256, d256[:], map[bool]x509.SignatureAlgorithm{true: x509.SHA256WithRSA, false: x509.ECDSAWithSHA256}[tc.alg.RSABits() > 0]},
				{crypto.SHA512, d512[:], map[bool]x509.SignatureAlgorithm{true: x509.SHA512WithRSA, false: x509.ECDSAWithSHA512}[tc.alg.RSABits() > 0]}} {
				sig, err := s.Sign(rand.Reader, d.dig, d.h)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.CheckSignature(d.alg, msg, sig); err != nil {
					t.Errorf("%v signature does not verify: %v", d.alg, err)
				}
				sig[len(sig)/2] ^= 1
				if err := c.CheckSignature(d.alg, msg, sig); err == nil {
					t.Errorf("%v: flipped signature verifies", d.alg)
				}
			}
			if _, err := s.Sign(rand.Reader, d256[:5], crypto.SHA256); err == nil {
				t.Error("short digest accepted")
			}
		})
	}
	if n := logs.FilterMessage("key generated").Len(); n != 3 {
		t.Errorf("%d 'key generated' lines, want 3", n)
	}
	for _, e := range logs.All() {
		for _, f := range e.Context {
			if strings.Contains(f.String, testPIN) {
				t.Errorf("log line %q contains the PIN", e.Message)
			}
		}
	}
}

func testFindByLabelOrID(t *testing.T, b backend) {
	km, _ := openOK(t, b)
	lbl := label("find")
	resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:token=tunduk;id=%01%02%03;object=" + lbl, Algorithm: kms.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"pkcs11:object=" + lbl,
		"pkcs11:id=%01%02%03",
		"pkcs11:token=tunduk;object=" + lbl + ";id=%01%02%03",
	} {
		pub, err := km.GetPublicKey(&kms.GetPublicKeyRequest{Name: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !pub.(*ecdsa.PublicKey).Equal(resp.PublicKey) {
			t.Errorf("%s found a different key", name)
		}
	}
	if _, err := km.GetPublicKey(&kms.GetPublicKeyRequest{Name: "pkcs11:object=" + lbl + ";id=%09"}); !errors.Is(err, kms.ErrNotFound) {
		t.Errorf("right label, wrong id: %v", err)
	}
}

func testErrors(t *testing.T, b backend) {
	km, _ := openOK(t, b)
	lbl := label("dup")
	if _, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:object=" + lbl, Algorithm: kms.ECDSAP256}); err != nil {
		t.Fatal(err)
	}
	if _, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:object=" + lbl, Algorithm: kms.RSA2048}); !errors.Is(err, kms.ErrAlreadyExists) {
		t.Errorf("duplicate label: %v", err)
	}
	if _, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "pkcs11:object=no-such-key"}); !errors.Is(err, kms.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	if _, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "pkcs11:token=other;object=" + lbl}); !errors.Is(err, kms.ErrInvalidURI) {
		t.Errorf("other token: %v", err)
	}
	if _, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "pkcs11:token=tunduk"}); !errors.Is(err, kms.ErrInvalidURI) {
		t.Errorf("no object: %v", err)
	}
	if _, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:object=x-" + lbl, Algorithm: "ed448"}); !errors.Is(err, kms.ErrUnsupported) {
		t.Errorf("bad algorithm: %v", err)
	}
	s, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "pkcs11:object=" + lbl})
	if err != nil {
		t.Fatal(err)
	}
	km.Close()
	d := sha256.Sum256(nil)
	if _, err := s.Sign(rand.Reader, d[:], crypto.SHA256); err == nil {
		t.Error("signer works after Close")
	}
}

func testCertificate(t *testing.T, b backend) {
	km, logs := openOK(t, b)
	lbl := label("cert")
	resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:object=" + lbl, Algorithm: kms.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := km.LoadCertificate(&kms.LoadCertificateRequest{Name: resp.Name}); !errors.Is(err, kms.ErrNotFound) {
		t.Errorf("certificate before import: %v", err)
	}
	s, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: resp.Name})
	if err != nil {
		t.Fatal(err)
	}
	c := selfSign(t, s, x509.SHA256WithRSA)
	if err := km.StoreCertificate(&kms.StoreCertificateRequest{Name: "pkcs11:object=" + lbl, Certificate: c}); err != nil {
		t.Fatal(err)
	}
	got, err := km.LoadCertificate(&kms.LoadCertificateRequest{Name: resp.Name})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(c) {
		t.Error("loaded certificate differs from the stored one")
	}
	if logs.FilterMessage("certificate stored").Len() != 1 {
		t.Error("certificate import not logged")
	}
}

func testWrongPIN(t *testing.T, b backend) {
	core, logs := observer.New(zap.DebugLevel)
	km, err := b.open(t, "0000", zap.New(core))
	if err == nil {
		km.Close()
		t.Fatal("wrong PIN accepted")
	}
	if !strings.Contains(err.Error(), "wrong PIN") || strings.Contains(err.Error(), "0000") {
		t.Errorf("error %q should say 'wrong PIN' without the PIN", err)
	}
	for _, e := range logs.All() {
		if strings.Contains(fmt.Sprint(e.Context), "0000") {
			t.Errorf("PIN logged in %q", e.Message)
		}
	}
}

func testConcurrentSign(t *testing.T, b backend) {
	km, _ := openOK(t, b)
	resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:object=" + label("conc"), Algorithm: kms.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	s, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: resp.Name})
	if err != nil {
		t.Fatal(err)
	}
	pub := resp.PublicKey.(*ecdsa.PublicKey)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				d := sha256.Sum256([]byte{byte(g), byte(i)})
				sig, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
				if err != nil {
					errs <- err
					return
				}
				if !ecdsa.VerifyASN1(pub, d[:], sig) {
					errs <- fmt.Errorf("goroutine %d signature %d does not verify", g, i)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSoftHSM2SeenByOpenSC checks with an independent PKCS#11 client
// (OpenSC's pkcs11-tool) that a generated key is on the token, private,
// sensitive and not extractable, and that an imported certificate sits
// beside it with the same id.
func TestSoftHSM2SeenByOpenSC(t *testing.T) {
	b := softHSM(t)
	tool := corpus.RequireTool(t, "pkcs11-tool", "apt-get install opensc")
	km, _ := openOK(t, b)
	lbl := label("opensc")
	resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:id=%AB%CD;object=" + lbl, Algorithm: kms.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	s, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: resp.Name})
	if err != nil {
		t.Fatal(err)
	}
	if err := km.StoreCertificate(&kms.StoreCertificateRequest{Name: resp.Name, Certificate: selfSign(t, s, x509.SHA256WithRSA)}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "--module", modPath, "--token-label", "tunduk", "--login", "--pin", testPIN, "--list-objects").CombinedOutput()
	if err != nil {
		t.Fatalf("pkcs11-tool: %v\n%s", err, out)
	}
	// Each object is a block starting at an unindented line.
	var priv, cert string
	blocks := strings.SplitAfter(string(out), "\n")
	var cur strings.Builder
	flush := func() {
		s := cur.String()
		if strings.Contains(s, "label:      "+lbl+"\n") {
			switch {
			case strings.HasPrefix(s, "Private Key Object"):
				priv = s
			case strings.HasPrefix(s, "Certificate Object"):
				cert = s
			}
		}
		cur.Reset()
	}
	for _, line := range blocks {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			flush()
		}
		cur.WriteString(line)
	}
	flush()
	if priv == "" || cert == "" {
		t.Fatalf("pkcs11-tool does not list the private key and certificate labelled %s:\n%s", lbl, out)
	}
	for _, want := range []string{"ID:         abcd", "sensitive", "never extractable", "sign"} {
		if !strings.Contains(priv, want) {
			t.Errorf("private key object lacks %q:\n%s", want, priv)
		}
	}
	if !strings.Contains(cert, "ID:         abcd") {
		t.Errorf("certificate object lacks the key's id:\n%s", cert)
	}
}

// BenchmarkSign measures signing on SoftHSM2 through this package beside
// the same algorithm in-process with crypto/ecdsa and crypto/rsa (the
// baseline: what a file key costs).
func BenchmarkSign(b *testing.B) {
	bk := softHSM(b)
	d := sha256.Sum256([]byte("batch"))
	for _, alg := range []kms.Algorithm{kms.ECDSAP256, kms.RSA2048} {
		var base crypto.Signer
		if alg == kms.RSA2048 {
			base, _ = rsa.GenerateKey(rand.Reader, 2048)
		} else {
			base, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		km, err := bk.open(b, testPIN, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:object=" + label("bench"), Algorithm: alg})
		if err != nil {
			b.Fatal(err)
		}
		hsm, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: resp.Name})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			s    crypto.Signer
		}{{string(alg) + "/baseline-go", base}, {string(alg) + "/softhsm2", hsm}} {
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := c.s.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		km.Close()
	}
}

// TestSoftHSM2SharedModule: two KeyManagers on one token share the loaded
// module and its login; closing one leaves the other signing.
func TestSoftHSM2SharedModule(t *testing.T) {
	b := softHSM(t)
	a, _ := openOK(t, b)
	c, _ := openOK(t, b)
	resp, err := c.CreateKey(&kms.CreateKeyRequest{Name: "pkcs11:object=" + label("shared"), Algorithm: kms.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateSigner(&kms.CreateSignerRequest{SigningKey: resp.Name})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("after the other closed"))
	sig, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("sign after another manager closed: %v", err)
	}
	if !ecdsa.VerifyASN1(resp.PublicKey.(*ecdsa.PublicKey), d[:], sig) {
		t.Fatal("signature does not verify")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	modMu.Lock()
	n := len(modules)
	modMu.Unlock()
	if n != 0 {
		t.Errorf("%d modules still loaded after the last Close", n)
	}
}
