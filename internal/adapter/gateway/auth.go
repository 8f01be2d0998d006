package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/adapter"
)

// Caller is a portal system allowed to call the gateway.
type Caller struct {
	// Name appears in logs, metrics and the journal.
	Name string
	// APIKey authenticates with "Authorization: Bearer KEY" or
	// "X-API-Key: KEY"; empty disables key authentication for the caller.
	APIKey string
	// CertSubject authenticates with a verified TLS client certificate whose
	// subject (RFC 2253 form, as x509 Name.String prints it) is equal.
	CertSubject string
	// Checks this caller may run; "*" allows every check.
	Checks []string
	// RequestsPerSecond and Burst rate-limit the caller's check requests
	// (token bucket); 0 means no rate limit. Burst defaults to
	// ceil(RequestsPerSecond).
	RequestsPerSecond float64
	Burst             int
	// MaxConcurrentChecks bounds the caller's checks in flight; 0 means
	// only the gateway-wide MaxInFlight applies.
	MaxConcurrentChecks int
}

func (c *Caller) allowed(check string) bool {
	for _, a := range c.Checks {
		if a == check || a == "*" {
			return true
		}
	}
	return false
}

type authenticator struct {
	callers   []*Caller
	byKey     map[[32]byte]*Caller
	bySubject map[string]*Caller
}

func newAuthenticator(callers []Caller) (*authenticator, error) {
	a := &authenticator{byKey: map[[32]byte]*Caller{}, bySubject: map[string]*Caller{}}
	for i := range callers {
		c := &callers[i]
		a.callers = append(a.callers, c)
		if c.Name == "" {
			return nil, errors.New("gateway: a caller has no name")
		}
		if c.APIKey == "" && c.CertSubject == "" {
			return nil, fmt.Errorf("gateway: caller %q has no credential", c.Name)
		}
		if c.APIKey != "" {
			h := sha256.Sum256([]byte(c.APIKey))
			if _, dup := a.byKey[h]; dup {
				return nil, fmt.Errorf("gateway: caller %q shares an API key with another caller", c.Name)
			}
			a.byKey[h] = c
		}
		if c.CertSubject != "" {
			a.bySubject[c.CertSubject] = c
		}
	}
	return a, nil
}

var errUnauthenticated = &adapter.RequestError{Status: http.StatusUnauthorized, Code: "unauthenticated",
	Message: "authenticate with Authorization: Bearer <API key>, X-API-Key, or a TLS client certificate"}

// authenticate finds the caller by API key, then by verified client
// certificate. Keys are compared by SHA-256 digest in a map and then in
// constant time, so timing reveals nothing about a key's prefix.
func (a *authenticator) authenticate(r *http.Request) (*Caller, error) {
	key := r.Header.Get("X-API-Key")
	if auth := r.Header.Get("Authorization"); key == "" && auth != "" {
		scheme, rest, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, errUnauthenticated
		}
		key = strings.TrimSpace(rest)
	}
	if key != "" {
		h := sha256.Sum256([]byte(key))
		c, ok := a.byKey[h]
		if !ok || subtle.ConstantTimeCompare([]byte(c.APIKey), []byte(key)) != 1 {
			return nil, errUnauthenticated
		}
		return c, nil
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		if c, ok := a.bySubject[r.TLS.VerifiedChains[0][0].Subject.String()]; ok {
			return c, nil
		}
	}
	return nil, errUnauthenticated
}

func forbidden(caller *Caller, checks []string) error {
	return (&adapter.RequestError{Status: http.StatusForbidden, Code: "forbidden",
		Message: fmt.Sprintf("caller %q may not run %s", caller.Name, strings.Join(checks, ", "))}).With(strings.Join(checks, ", "))
}
