// Package certs handles the X.509 side of tunduk's signing keys: the
// certificate signing request (CSR) a participant sends to the Kyrgyz
// (Tunduk) CA, importing the issued certificate and matching it to its key,
// and the expiry of what is installed, also as Prometheus metrics.
//
// Subject profile. The Tunduk CA's sign-certificate profile is a Kyrgyz
// patch of X-Road's that is not public. X-Road ships two shapes: the
// default EJBCA profile (C=instance, O=member class, CN=member code) and
// the country profile used by FI (C=country, O=organisation name,
// serialNumber=instance/serverCode/memberClass, CN=member code). The
// product brief asks for C=KG and the organisation, so this package follows
// the country shape: C=KG, O=<organisation>, CN=<member code>, and
// serialNumber=<instance>/<server code>/<member class> when a security
// server code is given. X-Road's decoder for that shape reads the member
// back from CN and serialNumber (see Subject.FromName). If the CA asks for
// a different layout, only Subject.Name changes.
//
// Non-goals: talking to the CA (the CSR is handed over by the operator),
// revocation (the security server does OCSP), authentication certificates.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Tunduk defaults (DOMAIN.md §1).
const (
	DefaultCountry  = "KG"
	DefaultInstance = "central-server"
)

// Subject is a Tunduk member as it appears in a sign certificate.
type Subject struct {
	Country      string // "KG" when empty
	Organization string // the member's registered name
	Instance     string // X-Road instance, "central-server" when empty
	MemberClass  string // GOV or COM; derived from the code when empty
	MemberCode   string // 8 digits: 7000xxxx (GOV), 6000xxxx (COM)
	ServerCode   string // the security server's code, optional
}

var memberCodeRE = regexp.MustCompile(`^[0-9]{8}$`)

// SubjectError is an invalid Subject field.
type SubjectError struct {
	Field string // Organization, MemberCode, MemberClass, …
	Msg   string
}

func (e *SubjectError) Error() string { return "certs: " + e.Field + ": " + e.Msg }

// Normalize fills defaults and checks the fields.
func (s Subject) Normalize() (Subject, error) {
	if s.Country == "" {
		s.Country = DefaultCountry
	}
	if s.Instance == "" {
		s.Instance = DefaultInstance
	}
	s.Organization = strings.TrimSpace(s.Organization)
	if s.Organization == "" {
		return s, &SubjectError{"Organization", "the organisation's registered name is required"}
	}
	if len(s.Organization) > 64 {
		return s, &SubjectError{"Organization", "longer than the 64 characters X.520 allows for O"}
	}
	if !memberCodeRE.MatchString(s.MemberCode) {
		return s, &SubjectError{"MemberCode", fmt.Sprintf("%q is not an 8-digit Tunduk member code (e.g. 70000002)", s.MemberCode)}
	}
	if s.MemberClass == "" {
		switch {
		case strings.HasPrefix(s.MemberCode, "7"):
			s.MemberClass = "GOV"
		case strings.HasPrefix(s.MemberCode, "6"):
			s.MemberClass = "COM"
		default:
			return s, &SubjectError{"MemberClass", fmt.Sprintf("cannot tell GOV or COM from code %s; give the class", s.MemberCode)}
		}
	}
	if s.MemberClass != "GOV" && s.MemberClass != "COM" {
		return s, &SubjectError{"MemberClass", fmt.Sprintf("%q: Tunduk member classes are GOV and COM", s.MemberClass)}
	}
	if len(s.Country) != 2 {
		return s, &SubjectError{"Country", fmt.Sprintf("%q is not a two-letter country code", s.Country)}
	}
	if strings.Contains(s.Instance, "/") || strings.Contains(s.ServerCode, "/") {
		return s, &SubjectError{"Instance", "instance and server code must not contain '/'"}
	}
	return s, nil
}

// Name returns the distinguished name for the subject.
func (s Subject) Name() (pkix.Name, error) {
	s, err := s.Normalize()
	if err != nil {
		return pkix.Name{}, err
	}
	n := pkix.Name{Country: []string{s.Country}, Organization: []string{s.Organization}, CommonName: s.MemberCode}
	if s.ServerCode != "" {
		n.SerialNumber = s.Instance + "/" + s.ServerCode + "/" + s.MemberClass
	}
	return n, nil
}

// FromName reads a member back from a certificate subject of the shape
// Name writes. Missing parts stay empty.
func FromName(n pkix.Name) Subject {
	s := Subject{MemberCode: n.CommonName}
	if len(n.Country) > 0 {
		s.Country = n.Country[0]
	}
	if len(n.Organization) > 0 {
		s.Organization = n.Organization[0]
	}
	if parts := strings.Split(n.SerialNumber, "/"); len(parts) == 3 {
		s.Instance, s.ServerCode, s.MemberClass = parts[0], parts[1], parts[2]
	}
	return s
}

// CSRRequest asks for a certificate signing request.
type CSRRequest struct {
	Subject Subject
	// Signer holds the key the certificate will be for (a kms signer).
	Signer crypto.Signer
	// Logger gets one line per CSR (subject and key fingerprint, never key
	// material).
	Logger *zap.Logger
}

var oidKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// CreateCSR builds and signs a PKCS#10 request. It asks for the key usage
// X-Road requires of sign certificates: non-repudiation (contentCommitment),
// marked critical. RSA keys sign it with SHA-256, ECDSA keys with the hash
// matching the curve.
func CreateCSR(req CSRRequest) ([]byte, error) {
	if req.Signer == nil {
		return nil, errors.New("certs: CreateCSR needs a signer")
	}
	name, err := req.Subject.Name()
	if err != nil {
		return nil, err
	}
	alg, err := signatureAlgorithm(req.Signer.Public())
	if err != nil {
		return nil, err
	}
	// KeyUsage BIT STRING with bit 1 (nonRepudiation) set.
	ku, err := asn1.Marshal(asn1.BitString{Bytes: []byte{0x40}, BitLength: 2})
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:            name,
		SignatureAlgorithm: alg,
		ExtraExtensions:    []pkix.Extension{{Id: oidKeyUsage, Critical: true, Value: ku}},
	}, req.Signer)
	if err != nil {
		return nil, fmt.Errorf("certs: signing CSR: %w", err)
	}
	if req.Logger != nil {
		req.Logger.Info("CSR created", zap.String("subject", name.String()), zap.String("algorithm", alg.String()))
	}
	return der, nil
}

func signatureAlgorithm(pub crypto.PublicKey) (x509.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return x509.SHA256WithRSA, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return x509.ECDSAWithSHA256, nil
		case elliptic.P384():
			return x509.ECDSAWithSHA384, nil
		}
	}
	return 0, fmt.Errorf("certs: no signature algorithm for key type %T", pub)
}

// EncodeCSR gives a CSR in PEM ("CERTIFICATE REQUEST"), the form CAs take.
func EncodeCSR(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// ParseCertificates reads certificates in PEM (any number of CERTIFICATE
// blocks), DER, or bare base64 DER without armour (as X-Road's test
// certificates and some CA portals deliver them).
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	if strings.Contains(string(data), "-----BEGIN") {
		var out []*x509.Certificate
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certs: %w", err)
			}
			out = append(out, c)
		}
		if len(out) == 0 {
			return nil, errors.New("certs: no CERTIFICATE block in PEM input")
		}
		return out, nil
	}
	der := data
	if len(data) > 0 && data[0] != 0x30 {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), ""))
		if err != nil {
			return nil, errors.New("certs: input is neither PEM, DER nor base64 DER")
		}
		der = b
	}
	cs, err := x509.ParseCertificates(der)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	if len(cs) == 0 {
		return nil, errors.New("certs: no certificate in input")
	}
	return cs, nil
}

// ReadFile reads the certificates of a file (PEM, DER or base64 DER; see
// ParseCertificates); a file without one is an error naming it.
func ReadFile(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}

// MismatchError says a certificate is not for the key.
type MismatchError struct {
	Subject      string
	CertKey, Key string // SPKI SHA-256 fingerprints
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("certs: certificate %q is for key %s, not for this key (%s); was it issued for another CSR?", e.Subject, e.CertKey[:16], e.Key[:16])
}

// Match checks that a certificate carries the public key.
func Match(c *x509.Certificate, pub crypto.PublicKey) error {
	k, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if ok && k.Equal(c.PublicKey) {
		return nil
	}
	return &MismatchError{Subject: c.Subject.String(), CertKey: fingerprint(c.PublicKey), Key: fingerprint(pub)}
}

// Select returns the certificate among cs that carries pub (a chain file
// may list the CA certificates too).
func Select(cs []*x509.Certificate, pub crypto.PublicKey) (*x509.Certificate, error) {
	var first error
	for _, c := range cs {
		err := Match(c, pub)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = errors.New("certs: no certificate given")
	}
	return nil, first
}

// Status is what an operator needs to know about an installed certificate.
type Status struct {
	Subject   string
	Issuer    string
	Serial    string // hex
	NotBefore time.Time
	NotAfter  time.Time
	DaysLeft  int // whole days until NotAfter; negative once expired
	Expired   bool
	NotYet    bool // NotBefore is in the future
	Member    Subject
}

// StatusOf describes a certificate at time now.
func StatusOf(c *x509.Certificate, now time.Time) Status {
	left := c.NotAfter.Sub(now)
	days := int(left / (24 * time.Hour))
	if left < 0 && left%(24*time.Hour) != 0 {
		days-- // floor, so an hour past expiry is day -1
	}
	return Status{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: c.SerialNumber.Text(16),
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, DaysLeft: days,
		Expired: now.After(c.NotAfter), NotYet: now.Before(c.NotBefore), Member: FromName(c.Subject),
	}
}
