package seal

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSPClient fetches the OCSP response of a signing certificate from its
// responder (RFC 6960 over HTTP POST) and keeps it until shortly before
// its nextUpdate (or for MaxAge when the responder gives none), so a busy
// log asks once per validity period, not once per batch. Its Response
// method fits Options.OCSP. The response is checked before it is used:
// signed by the issuer or a responder the issuer delegated to, about this
// certificate, status good.
type OCSPClient struct {
	URL    string            // the responder
	Issuer *x509.Certificate // the signing certificate's issuer
	// Client is the HTTP client; default one with a 10 s timeout.
	Client *http.Client
	// MaxAge bounds how long a response without nextUpdate is reused
	// (default 1 h).
	MaxAge time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time

	mu     sync.Mutex
	der    []byte
	serial string
	until  time.Time
}

// maxOCSPResponse bounds a responder's answer.
const maxOCSPResponse = 1 << 20

// Response returns a good OCSP response for cert (DER).
func (c *OCSPClient) Response(cert *x509.Certificate) ([]byte, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.der != nil && c.serial == cert.SerialNumber.String() && now().Before(c.until) {
		return c.der, nil
	}
	req, err := ocsp.CreateRequest(cert, c.Issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, fmt.Errorf("seal: OCSP request: %w", err)
	}
	hc := c.Client
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("seal: OCSP responder %s: %w", c.URL, err)
	}
	hreq.Header.Set("Content-Type", "application/ocsp-request")
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("seal: OCSP responder %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("seal: OCSP responder %s: HTTP %s", c.URL, resp.Status)
	}
	der, err := io.ReadAll(io.LimitReader(resp.Body, maxOCSPResponse+1))
	if err != nil {
		return nil, fmt.Errorf("seal: OCSP responder %s: %w", c.URL, err)
	}
	if len(der) > maxOCSPResponse {
		return nil, fmt.Errorf("seal: OCSP responder %s: response over %d bytes", c.URL, maxOCSPResponse)
	}
	r, err := CheckOCSP(der, cert, c.Issuer, now())
	if err != nil {
		return nil, err
	}
	maxAge := c.MaxAge
	if maxAge <= 0 {
		maxAge = time.Hour
	}
	c.until = now().Add(maxAge)
	if !r.NextUpdate.IsZero() {
		// Refresh a little before the response expires.
		c.until = r.NextUpdate.Add(-r.NextUpdate.Sub(r.ThisUpdate) / 10)
	}
	c.der, c.serial = der, cert.SerialNumber.String()
	return der, nil
}

// CheckOCSP parses an OCSP response and checks that it is about cert
// (issued by issuer), signed by the issuer or by a responder certificate
// the issuer issued for OCSP signing, that the status is good and that it
// was valid at atDate (thisUpdate ≤ atDate, and atDate before nextUpdate
// when given). Failures are CertValidation errors.
func CheckOCSP(der []byte, cert, issuer *x509.Certificate, atDate time.Time) (*ocsp.Response, error) {
	r, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		return nil, errf(CodeCertValidation, err, "OCSP response for the signing certificate is invalid")
	}
	if rc := r.Certificate; rc != nil && !rc.Equal(issuer) && !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		// A delegated responder must be issued for OCSP signing (RFC 6960 §4.2.2.2).
		return nil, errf(CodeCertValidation, nil, "OCSP responder certificate %s is not authorized for OCSP signing", rc.Subject)
	}
	switch r.Status {
	case ocsp.Good:
	case ocsp.Revoked:
		if r.RevokedAt.After(atDate) {
			break // revoked after signing: the signature stands
		}
		return nil, errf(CodeCertValidation, nil, "signing certificate was revoked at %s (OCSP)", r.RevokedAt.UTC().Format(time.RFC3339))
	default:
		return nil, errf(CodeCertValidation, nil, "OCSP status of the signing certificate is unknown")
	}
	if r.ThisUpdate.After(atDate.Add(time.Minute)) {
		return nil, errf(CodeCertValidation, nil, "OCSP response thisUpdate %s is after the signing time %s",
			r.ThisUpdate.UTC().Format(time.RFC3339), atDate.UTC().Format(time.RFC3339))
	}
	if !r.NextUpdate.IsZero() && !atDate.Before(r.NextUpdate) {
		return nil, errf(CodeCertValidation, nil, "OCSP response expired (nextUpdate %s) before the signing time %s",
			r.NextUpdate.UTC().Format(time.RFC3339), atDate.UTC().Format(time.RFC3339))
	}
	return r, nil
}
