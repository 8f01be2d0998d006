package verify

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/beevik/etree"

	"github.com/tunduk-kg/tunduk/internal/xmlguard"
)

// Trust is the trust material of an X-Road instance, as a security server
// holds it in its global configuration (shared-params.xml): the approved
// certification authorities and time-stamping authorities.
type Trust struct {
	Instances []string            // instance identifiers found
	Roots     *x509.CertPool      // approved CAs' top certificates
	Inter     *x509.CertPool      // approved CAs' intermediate certificates
	TSAs      []*x509.Certificate // approved TSAs' certificates
	CAs       int                 // number of approved CA certificates
}

// LoadTrust reads every shared-params.xml under dir (a security server's
// /etc/xroad/globalconf, or a copy of it; --verificationconf).
func LoadTrust(dir string) (*Trust, error) {
	t := &Trust{Roots: x509.NewCertPool(), Inter: x509.NewCertPool()}
	found := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "shared-params.xml" {
			return nil
		}
		found++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := t.addSharedParams(b); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: loading trust material: %w", err)
	}
	if found == 0 {
		return nil, fmt.Errorf("verify: no shared-params.xml under %s (give the security server's globalconf directory)", dir)
	}
	return t, nil
}

func (t *Trust) addSharedParams(b []byte) error {
	if err := xmlguard.Check(b, xmlguard.Limits{}); err != nil {
		return err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return err
	}
	for _, tok := range doc.Child {
		if _, ok := tok.(*etree.Directive); ok {
			return fmt.Errorf("DTD not allowed")
		}
	}
	root := doc.Root()
	if root == nil {
		return fmt.Errorf("empty document")
	}
	if id := root.FindElement("./instanceIdentifier"); id != nil {
		t.Instances = append(t.Instances, strings.TrimSpace(id.Text()))
	}
	for _, ca := range root.FindElements("./approvedCA") {
		for _, c := range ca.FindElements("./topCA/cert") {
			cert, err := parseConfCert(c.Text())
			if err != nil {
				return fmt.Errorf("approvedCA: %w", err)
			}
			t.Roots.AddCert(cert)
			t.CAs++
		}
		for _, c := range ca.FindElements("./intermediateCA/cert") {
			cert, err := parseConfCert(c.Text())
			if err != nil {
				return fmt.Errorf("intermediateCA: %w", err)
			}
			t.Inter.AddCert(cert)
		}
	}
	for _, c := range root.FindElements("./approvedTSA/cert") {
		cert, err := parseConfCert(c.Text())
		if err != nil {
			return fmt.Errorf("approvedTSA: %w", err)
		}
		t.TSAs = append(t.TSAs, cert)
	}
	return nil
}

// parseConfCert decodes a global-configuration certificate: base64 of DER,
// or base64 of a PEM block (what newer central servers write).
func parseConfCert(text string) (*x509.Certificate, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("-----BEGIN")) {
		blk, _ := pem.Decode(raw)
		if blk == nil {
			return nil, fmt.Errorf("bad PEM certificate")
		}
		raw = blk.Bytes
	}
	return x509.ParseCertificate(raw)
}

// ReadCertFile reads a certificate in PEM, DER or bare base64 DER (as
// X-Road's test tsp.pem is).
func ReadCertFile(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		return x509.ParseCertificate(blk.Bytes)
	}
	if c, err := x509.ParseCertificate(b); err == nil {
		return c, nil
	}
	return parseConfCert(string(b))
}
