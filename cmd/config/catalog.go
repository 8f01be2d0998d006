package config

import (
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
)

// Catalog is the service catalog and its registration on the security
// server through the SS Management REST API (tunduk catalog plan, apply,
// diff).
//
//	catalog:
//	  dir: /etc/tunduk/catalog
//	  descriptionBaseURL: http://adapter.internal:8080/descriptions
//	  owner: central-server:GOV:70000041
//	  appliedBy: n.osmonov
//	  applyLog: /var/lib/tunduk/catalog-applies.jsonl
//	  managementAPI:
//	    url: https://ss.example.kg:4000/api/v1
//	    apiKeyFile: /etc/tunduk/ss-api-key
//	    pinnedCertFile: /etc/tunduk/tls/ss-ui.crt
//	    timeout: 60s
type Catalog struct {
	// Dir is the catalog directory (YAML files in version control).
	Dir string `yaml:"dir"`
	// DescriptionBaseURL is where the security server downloads the
	// generated WSDL and OpenAPI files of the catalog's services.
	DescriptionBaseURL string `yaml:"descriptionBaseURL"`
	// Owner is the security server's owner member, INSTANCE:CLASS:MEMBER
	// as the management API writes it; the catalog's organisation must be
	// this member.
	Owner string `yaml:"owner"`
	// AppliedBy is the default authorised person (catalog id) who applies;
	// --as overrides it.
	AppliedBy string `yaml:"appliedBy"`
	// ApplyLog is the JSON-lines file every apply is recorded in.
	ApplyLog string `yaml:"applyLog"`
	// ManagementAPI is how the SS's management API is reached.
	ManagementAPI ManagementAPI `yaml:"managementAPI"`
}

// ManagementAPI locates the SS Management REST API and its credentials.
// The API key is read from a file or an environment variable, never from
// the command line or this file.
type ManagementAPI struct {
	// URL is the API base, https://SS:4000/api/v1.
	URL string `yaml:"url"`
	// APIKeyFile holds the API key (mode 0600); or APIKeyEnv names the
	// environment variable holding it. Exactly one.
	APIKeyFile string `yaml:"apiKeyFile"`
	APIKeyEnv  string `yaml:"apiKeyEnv"`
	// PinnedCertSHA256 is the SHA-256 fingerprint of the SS's TLS
	// certificate (openssl x509 -noout -fingerprint -sha256), or
	// PinnedCertFile the certificate itself (PEM). Exactly one.
	PinnedCertSHA256 string `yaml:"pinnedCertSHA256"`
	PinnedCertFile   string `yaml:"pinnedCertFile"`
	// Timeout bounds each API call.
	Timeout time.Duration `yaml:"timeout"`
	// MaxRetries bounds resends after HTTP 429.
	MaxRetries int `yaml:"maxRetries"`
}

// DefaultCatalog returns the section's defaults.
func DefaultCatalog() Catalog {
	return Catalog{
		Dir:           "/etc/tunduk/catalog",
		ApplyLog:      "/var/lib/tunduk/catalog-applies.jsonl",
		ManagementAPI: ManagementAPI{Timeout: 60 * time.Second, MaxRetries: 5},
	}
}

// Validate reports problems in the section. The management API settings
// are checked only when a URL is set (registration is optional).
func (c *Catalog) Validate(is *Issues) {
	if c.Dir == "" {
		is.Addf("catalog.dir", "empty; name the catalog directory")
	}
	if c.Owner != "" {
		if id, err := ssapi.ParseClientID(c.Owner); err != nil || id.SubsystemCode != "" {
			is.Addf("catalog.owner", "%q is not INSTANCE:CLASS:MEMBER (e.g. central-server:GOV:70000041)", c.Owner)
		}
	}
	m := &c.ManagementAPI
	if m.URL == "" {
		return
	}
	if u, err := url.Parse(m.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		is.Addf("catalog.managementAPI.url", "%q: use https://SS:4000/api/v1 (the API is only reached over TLS)", m.URL)
	}
	switch {
	case m.APIKeyFile == "" && m.APIKeyEnv == "":
		is.Addf("catalog.managementAPI", "no API key: set apiKeyFile or apiKeyEnv (keys are never taken from the command line)")
	case m.APIKeyFile != "" && m.APIKeyEnv != "":
		is.Addf("catalog.managementAPI.apiKeyEnv", "set apiKeyFile or apiKeyEnv, not both")
	}
	switch {
	case m.PinnedCertSHA256 == "" && m.PinnedCertFile == "":
		is.Addf("catalog.managementAPI", "no pinned certificate: set pinnedCertSHA256 or pinnedCertFile (the SS's TLS certificate is self-signed)")
	case m.PinnedCertSHA256 != "" && m.PinnedCertFile != "":
		is.Addf("catalog.managementAPI.pinnedCertFile", "set pinnedCertSHA256 or pinnedCertFile, not both")
	case m.PinnedCertSHA256 != "":
		if _, err := ssapi.ParsePin(m.PinnedCertSHA256); err != nil {
			is.Addf("catalog.managementAPI.pinnedCertSHA256", "not a SHA-256 fingerprint: give 64 hex digits, colons allowed")
		}
	}
	if m.Timeout <= 0 {
		is.Addf("catalog.managementAPI.timeout", "must be positive, e.g. 60s")
	}
	if m.MaxRetries < 0 {
		is.Addf("catalog.managementAPI.maxRetries", "must not be negative")
	}
	if c.DescriptionBaseURL == "" {
		is.Addf("catalog.descriptionBaseURL", "empty; name where the SS downloads the generated WSDL/OpenAPI files")
	} else if u, err := url.Parse(c.DescriptionBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		is.Addf("catalog.descriptionBaseURL", "%q: the SS accepts only http and https URLs", c.DescriptionBaseURL)
	}
}

// ClientOptions turns the section into internal/catalog/ssapi options, reading the
// API key and the pinned certificate. acceptWarnings comes from the
// command line.
func (c *Catalog) ClientOptions(acceptWarnings bool) (ssapi.Options, error) {
	m := c.ManagementAPI
	key, err := ssapi.LoadAPIKey(m.APIKeyFile, m.APIKeyEnv)
	if err != nil {
		return ssapi.Options{}, err
	}
	var pin []byte
	if m.PinnedCertFile != "" {
		pem, err := os.ReadFile(m.PinnedCertFile)
		if err != nil {
			return ssapi.Options{}, err
		}
		pin, err = ssapi.PinFromPEM(pem)
		if err != nil {
			return ssapi.Options{}, err
		}
	} else if pin, err = ssapi.ParsePin(m.PinnedCertSHA256); err != nil {
		return ssapi.Options{}, err
	}
	return ssapi.Options{
		BaseURL:        strings.TrimRight(m.URL, "/"),
		APIKey:         key,
		PinSHA256:      pin,
		AcceptWarnings: acceptWarnings,
		MaxRetries:     m.MaxRetries,
		Timeout:        m.Timeout,
	}, nil
}
