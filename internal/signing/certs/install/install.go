// Package install puts the certificate a CA issued for a key where the
// key's users find it: checked against the key's public key and its
// validity, written as PEM (leaf first, then the rest of the chain)
// atomically, and, when the key manager holds certificates (a PKCS#11
// token), stored beside the key too.
//
// It knows nothing of the command line or the configuration: `tunduk keys
// import-cert` resolves the key and the destination and calls Certificate.
package install

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/signing/kms"
)

// ErrNoDestination means the certificate has nowhere to go: no file was
// named and the key manager cannot store certificates.
var ErrNoDestination = errors.New("install: no certificate file for this key and the key manager cannot store certificates; name a file")

// InvalidError is a certificate that cannot be installed for the key: it
// does not parse, none in the file carries the key's public key, or it has
// expired.
type InvalidError struct {
	File string
	Err  error
}

func (e *InvalidError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// Request says what to install where.
type Request struct {
	// CertFile is the issued certificate (PEM, DER or base64; a chain file
	// is fine, the certificate for the key is picked out).
	CertFile string
	// KeyManager holds the key; KeyURI names it.
	KeyManager kms.KeyManager
	KeyURI     string
	// Out is the PEM file to write; "" writes none (the token only).
	Out string
	// Now is the time validity is checked at.
	Now time.Time
}

// Result is what was installed.
type Result struct {
	Status  certs.Status
	File    string // "" when no file was written
	OnToken bool
}

// Certificate checks the certificate in r.CertFile against the key and
// installs it.
func Certificate(r Request) (*Result, error) {
	data, err := os.ReadFile(r.CertFile)
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	cs, err := certs.ParseCertificates(data)
	if err != nil {
		return nil, &InvalidError{File: r.CertFile, Err: err}
	}
	pub, err := r.KeyManager.GetPublicKey(&kms.GetPublicKeyRequest{Name: r.KeyURI})
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	c, err := certs.Select(cs, pub)
	if err != nil {
		return nil, &InvalidError{File: r.CertFile, Err: err}
	}
	st := certs.StatusOf(c, r.Now)
	if st.Expired {
		return nil, &InvalidError{File: r.CertFile, Err: fmt.Errorf("certificate expired on %s", c.NotAfter.UTC().Format(time.DateOnly))}
	}
	cm, onToken := r.KeyManager.(kms.CertificateManager)
	if r.Out == "" && !onToken {
		return nil, ErrNoDestination
	}
	if onToken {
		if err := cm.StoreCertificate(&kms.StoreCertificateRequest{Name: r.KeyURI, Certificate: c}); err != nil {
			return nil, fmt.Errorf("install: on the token: %w", err)
		}
	}
	if r.Out != "" {
		if err := writePEM(r.Out, c, cs); err != nil {
			return nil, err
		}
	}
	return &Result{Status: st, File: r.Out, OnToken: onToken}, nil
}

// writePEM installs the certificate, then the rest of the chain, atomically.
func writePEM(path string, leaf *x509.Certificate, all []*x509.Certificate) error {
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		if err := pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}); err != nil {
			return err
		}
		for _, c := range all {
			if !c.Equal(leaf) {
				if err := pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	return nil
}
