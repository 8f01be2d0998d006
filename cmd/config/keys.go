package config

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/signing/kms"
)

// Keys names the signing keys, each with where the private key lives (a
// kms URI), its certificate file and where its PIN comes from. Other
// sections refer to a key by name (e.g. the message log's signing key).
//
//	keys:
//	  mlog:
//	    uri: pkcs11:token=tunduk;object=mlog-2026?module-path=/usr/lib/librtpkcs11ecp.so
//	    certificate: /etc/tunduk/keys/mlog-2026.crt
//	    pinFile: /etc/tunduk/pin          # or pinEnv: TUNDUK_TOKEN_PIN, or pin: "…"
//	  dev:
//	    uri: file:/etc/tunduk/keys/dev.pem
//	    certificate: /etc/tunduk/keys/dev.crt
//
// The PIN is never taken from the command line. A pin-value inside the URI
// is refused: URIs end up in logs and process listings.
type Keys map[string]Key

// Key is one named signing key.
type Key struct {
	// URI names the private key: file:PATH or an RFC 7512 pkcs11: URI.
	URI string `yaml:"uri"`
	// Certificate is the PEM file holding the key's certificate (written by
	// tunduk keys import-cert); optional until the CA has issued it.
	Certificate string `yaml:"certificate"`
	// PINFile, PINEnv or PIN give the token PIN (pkcs11 keys only); at
	// most one, or none when the URI has pin-source.
	PINFile string `yaml:"pinFile"`
	PINEnv  string `yaml:"pinEnv"`
	PIN     Secret `yaml:"pin"`
}

// DefaultKeys returns the section's defaults: no keys.
func DefaultKeys() Keys { return Keys{} }

var keyNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Names returns the key names, sorted.
func (c Keys) Names() []string {
	out := make([]string, 0, len(c))
	for n := range c {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Validate reports problems in the section.
func (c *Keys) Validate(is *Issues) {
	for _, name := range c.Names() {
		k := (*c)[name]
		p := "keys." + name
		if !keyNameRE.MatchString(name) {
			is.Addf(p, "key name %q: use lower-case letters, digits, '-' and '_'", name)
		}
		if k.URI == "" {
			is.Addf(p+".uri", "empty; name the key, e.g. pkcs11:token=tunduk;object=%s?module-path=… or file:/etc/tunduk/keys/%s.pem", name, name)
			continue
		}
		u, err := kms.ParseURI(k.URI)
		if err != nil {
			is.Addf(p+".uri", "%v", err)
			continue
		}
		pins := 0
		for _, set := range []bool{k.PINFile != "", k.PINEnv != "", k.PIN != "", u.Query("pin-source") != ""} {
			if set {
				pins++
			}
		}
		switch u.Scheme {
		case "file":
			if u.Opaque == "" {
				is.Addf(p+".uri", "file: URI without a path")
			}
			if pins > 0 {
				is.Addf(p, "pinFile/pinEnv/pin apply to pkcs11 keys only; a file key has no PIN")
			}
		case "pkcs11":
			if u.Query("pin-value") != "" {
				is.Addf(p+".uri", "pin-value puts the PIN in the URI, which ends up in logs and process lists; use pinFile or pinEnv instead")
			}
			if u.Query("module-path") == "" {
				is.Addf(p+".uri", "no module-path; add ?module-path=/usr/lib/librtpkcs11ecp.so (Rutoken) or /usr/lib/softhsm/libsofthsm2.so")
			}
			if u.Path("object") == "" && u.Path("id") == "" {
				is.Addf(p+".uri", "names no object= or id= on the token")
			}
			if pins == 0 && u.Query("pin-value") == "" {
				is.Addf(p, "no PIN source; set pinFile (mode 0600) or pinEnv")
			}
			if pins > 1 {
				is.Addf(p, "more than one PIN source (pinFile, pinEnv, pin, pin-source); keep one")
			}
		default:
			is.Addf(p+".uri", "scheme %q: use file: or pkcs11:", u.Scheme)
		}
		if k.PINEnv != "" && strings.ContainsAny(k.PINEnv, "= $") {
			is.Addf(p+".pinEnv", "%q is not an environment variable name", k.PINEnv)
		}
	}
}

// KMSOptions converts a key into kms.Options, reading its PIN now. The PIN
// never appears in errors.
func (k Key) KMSOptions(log *zap.Logger) (kms.Options, error) {
	o := kms.Options{URI: k.URI, Logger: log}
	switch {
	case k.PINFile != "":
		pin, err := kms.ReadPINFile(k.PINFile)
		if err != nil {
			return o, fmt.Errorf("config: key PIN: %w", err)
		}
		o.PIN = pin
	case k.PINEnv != "":
		pin, ok := os.LookupEnv(k.PINEnv)
		if !ok || pin == "" {
			return o, fmt.Errorf("config: key PIN: environment variable %s is not set", k.PINEnv)
		}
		o.PIN = pin
	case k.PIN != "":
		o.PIN = k.PIN.Value()
	}
	return o, nil
}
