package xroadtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// testPKI is a throw-away CA with a server certificate for 127.0.0.1 and
// localhost and an information-system client certificate, generated once
// per process (ECDSA P-256, valid for a day). Like httptest's built-in
// certificate it is for tests only.
type testPKI struct {
	ca         *x509.Certificate
	caPEM      []byte
	server     tls.Certificate
	serverPEM  []byte
	client     tls.Certificate
	clientPEM  []byte
	clientKey  []byte
	serverKey  []byte
	clientLeaf *x509.Certificate
}

var (
	pkiOnce sync.Once
	pki     *testPKI
	pkiErr  error
)

func loadPKI() *testPKI {
	pkiOnce.Do(func() { pki, pkiErr = newPKI() })
	if pkiErr != nil {
		panic("xroadtest: generating test certificates: " + pkiErr.Error())
	}
	return pki
}

func newPKI() (*testPKI, error) {
	now := time.Now().Add(-time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "xroadtest CA", Organization: []string{"tunduk xroadtest"}},
		NotBefore:             now,
		NotAfter:              now.Add(25 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	p := &testPKI{ca: ca, caPEM: pemBlock("CERTIFICATE", caDER)}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, server bool) (tls.Certificate, []byte, []byte, *x509.Certificate, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, nil, nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn, Organization: []string{"tunduk xroadtest"}},
			NotBefore:    now,
			NotAfter:     now.Add(25 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		if server {
			tmpl.DNSNames = []string{"localhost"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return tls.Certificate{}, nil, nil, nil, err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return tls.Certificate{}, nil, nil, nil, err
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return tls.Certificate{}, nil, nil, nil, err
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert},
			pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", keyDER), cert, nil
	}
	if p.server, p.serverPEM, p.serverKey, _, err = leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, true); err != nil {
		return nil, err
	}
	if p.client, p.clientPEM, p.clientKey, p.clientLeaf, err = leaf(3, "xroadtest information system", x509.ExtKeyUsageClientAuth, false); err != nil {
		return nil, err
	}
	return p, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// TLSFiles are the test TLS material written to disk, for code (such as CLI
// commands) that takes file names.
type TLSFiles struct {
	CAFile         string // the test CA (trusts the server certificate)
	ServerCertFile string // the emulator's server certificate, for pinning
	CertFile       string // the information system's client certificate
	KeyFile        string // its private key (PKCS#8)
}

// WriteTLSFiles writes the test CA, the server certificate and the client
// certificate and key as PEM files into dir.
func WriteTLSFiles(dir string) (TLSFiles, error) {
	p := loadPKI()
	f := TLSFiles{
		CAFile:         filepath.Join(dir, "xroadtest-ca.pem"),
		ServerCertFile: filepath.Join(dir, "xroadtest-server.pem"),
		CertFile:       filepath.Join(dir, "xroadtest-client.pem"),
		KeyFile:        filepath.Join(dir, "xroadtest-client.key"),
	}
	for _, w := range []struct {
		name string
		data []byte
	}{{f.CAFile, p.caPEM}, {f.ServerCertFile, p.serverPEM}, {f.CertFile, p.clientPEM}, {f.KeyFile, p.clientKey}} {
		if err := os.WriteFile(w.name, w.data, 0o600); err != nil {
			return TLSFiles{}, fmt.Errorf("xroadtest: %w", err)
		}
	}
	return f, nil
}

// ClientCertificate returns the test information system's client
// certificate, which a TLS security server accepts.
func ClientCertificate() tls.Certificate { return loadPKI().client }

// CAPool returns a pool holding the test CA that issued the server and
// client certificates.
func CAPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(loadPKI().ca)
	return pool
}
