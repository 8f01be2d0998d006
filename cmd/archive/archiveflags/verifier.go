package archiveflags

import (
	"github.com/spf13/pflag"

	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// Verifier are the verifier's inputs that archive verify and archive
// collect share: the global configuration for trust checks and the key of
// encrypted archives.
type Verifier struct {
	// VerificationConf is a directory with the instance's global
	// configuration (shared-params.xml); "" skips trust checks.
	VerificationConf string
	// GPGKey is a file with the OpenPGP private key that opens the
	// security server's encrypted archives (*.zip.gpg).
	GPGKey string
}

// Add registers --verificationconf and --gpg-key.
func (v *Verifier) Add(fs *pflag.FlagSet) {
	fs.StringVar(&v.VerificationConf, "verificationconf", "", "directory with the X-Road global configuration (shared-params.xml) for certificate and TSA checks")
	fs.StringVar(&v.GPGKey, "gpg-key", "", "OpenPGP private key (gpg --export-secret-keys) for encrypted archives (*.zip.gpg)")
}

// Options loads what the flags name into the verifier's options.
func (v *Verifier) Options() (verify.Options, error) {
	var o verify.Options
	if v.VerificationConf != "" {
		t, err := verify.LoadTrust(v.VerificationConf)
		if err != nil {
			return o, err
		}
		o.Trust = t
	}
	if v.GPGKey != "" {
		keys, err := verify.ReadKeyRing(v.GPGKey)
		if err != nil {
			return o, err
		}
		o.Decrypt = keys
	}
	return o, nil
}
