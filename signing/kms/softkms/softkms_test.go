package softkms_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/signing/kms"
	"github.com/tunduk-kg/tunduk/signing/kms/softkms"
)

func newKM(t *testing.T) (kms.KeyManager, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	km, err := kms.New(t.Context(), kms.Options{URI: "file:", Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { km.Close() })
	return km, logs
}

// verify checks sig over msg with the public key, as a relying party would.
func verify(t *testing.T, pub crypto.PublicKey, h crypto.Hash, msg, sig []byte) {
	t.Helper()
	hh := h.New()
	hh.Write(msg)
	digest := hh.Sum(nil)
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(p, h, digest, sig); err != nil {
			t.Fatalf("RSA signature does not verify: %v", err)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(p, digest, sig) {
			t.Fatal("ECDSA signature does not verify")
		}
	default:
		t.Fatalf("unexpected public key %T", pub)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, alg := range []kms.Algorithm{kms.RSA2048, kms.ECDSAP256, kms.ECDSAP384} {
		t.Run(string(alg), func(t *testing.T) {
			km, logs := newKM(t)
			p := filepath.Join(t.TempDir(), "keys", "mlog.pem")
			uri := "file:" + p
			resp, err := km.CreateKey(&kms.CreateKeyRequest{Name: uri, Algorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("new key mode %04o, want 0600", st.Mode().Perm())
			}
			data, _ := os.ReadFile(p)
			if b, _ := pem.Decode(data); b == nil || b.Type != "PRIVATE KEY" {
				t.Fatalf("key file is not PKCS#8 PEM")
			}
			pub, err := km.GetPublicKey(&kms.GetPublicKeyRequest{Name: uri})
			if err != nil {
				t.Fatal(err)
			}
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(resp.PublicKey) {
				t.Fatal("GetPublicKey differs from CreateKey's public key")
			}
			signer, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: uri})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA512} {
				msg := []byte("signatures.xml batch " + h.String())
				hh := h.New()
				hh.Write(msg)
				sig, err := signer.Sign(rand.Reader, hh.Sum(nil), h)
				if err != nil {
					t.Fatal(err)
				}
				verify(t, pub, h, msg, sig)
			}
			if n := logs.FilterMessage("key generated").Len(); n != 1 {
				t.Errorf("%d 'key generated' log lines, want 1", n)
			}
			for _, e := range logs.All() {
				for _, f := range e.Context {
					if strings.Contains(f.String, "PRIVATE") {
						t.Errorf("log line %q carries key material", e.Message)
					}
				}
			}
			if _, err := km.CreateKey(&kms.CreateKeyRequest{Name: uri, Algorithm: alg}); !errors.Is(err, kms.ErrAlreadyExists) {
				t.Errorf("second CreateKey = %v, want ErrAlreadyExists", err)
			}
		})
	}
}

func TestRefusesWorldReadable(t *testing.T) {
	km, logs := newKM(t)
	p := filepath.Join(t.TempDir(), "k.pem")
	uri := "file:" + p
	if _, err := km.CreateKey(&kms.CreateKeyRequest{Name: uri, Algorithm: kms.ECDSAP256}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o604, 0o602, 0o660, 0o700} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		_, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: uri})
		var ie *softkms.InsecureFileError
		if !errors.As(err, &ie) {
			t.Fatalf("mode %04o: CreateSigner = %v, want *InsecureFileError", mode, err)
		}
		if ie.Path != p || !strings.Contains(err.Error(), "run: chmod") {
			t.Errorf("message does not name the file and the fix: %v", err)
		}
		if _, err := km.GetPublicKey(&kms.GetPublicKeyRequest{Name: uri}); !errors.As(err, &ie) {
			t.Errorf("GetPublicKey on mode %04o = %v", mode, err)
		}
	}
	if logs.FilterMessage("insecure key file refused").Len() == 0 {
		t.Error("refusal was not logged")
	}
	// Group-readable is allowed (root:tunduk 0640, the packaged layout).
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: uri}); err != nil {
		t.Errorf("mode 0640: %v", err)
	}
}

func TestImportFormats(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ek)
	p8, _ := x509.MarshalPKCS8PrivateKey(ek)
	cases := map[string]struct {
		block *pem.Block
		pub   crypto.PublicKey
	}{
		"pkcs1": {&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}, rk.Public()},
		"sec1":  {&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}, ek.Public()},
		"pkcs8": {&pem.Block{Type: "PRIVATE KEY", Bytes: p8}, ek.Public()},
	}
	km, _ := newKM(t)
	for name, c := range cases {
		p := filepath.Join(t.TempDir(), name+".pem")
		// A certificate block before the key is skipped.
		data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0}}), pem.EncodeToMemory(c.block)...)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "file:" + p})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !s.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(c.pub) {
			t.Errorf("%s: wrong key loaded", name)
		}
		d := sha512.Sum512([]byte("x"))
		sig, err := s.Sign(rand.Reader, d[:], crypto.SHA512)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, c.pub, crypto.SHA512, []byte("x"), sig)
	}
}

func TestErrors(t *testing.T) {
	km, _ := newKM(t)
	dir := t.TempDir()
	if _, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "file:" + filepath.Join(dir, "none.pem")}); !errors.Is(err, kms.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "pkcs11:object=x"}); !errors.Is(err, kms.ErrInvalidURI) {
		t.Errorf("pkcs11 URI given to softkms: %v", err)
	}
	enc := filepath.Join(dir, "enc.pem")
	os.WriteFile(enc, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), 0o600)
	if _, err := km.CreateSigner(&kms.CreateSignerRequest{SigningKey: "file:" + enc}); !errors.Is(err, kms.ErrUnsupported) {
		t.Errorf("encrypted key: %v", err)
	}
	if _, err := km.CreateKey(&kms.CreateKeyRequest{Name: "file:" + filepath.Join(dir, "x.pem"), Algorithm: "dsa"}); !errors.Is(err, kms.ErrUnsupported) {
		t.Errorf("unsupported algorithm: %v", err)
	}
}
