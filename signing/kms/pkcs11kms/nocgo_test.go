//go:build !cgo

package pkcs11kms

import (
	"errors"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/signing/kms"
)

// Without cgo the scheme is still known, and says why it cannot work.
func TestNoCgo(t *testing.T) {
	_, err := kms.New(t.Context(), kms.Options{URI: "pkcs11:object=k?module-path=/m.so&pin-value=1"})
	if !errors.Is(err, kms.ErrUnsupported) || !strings.Contains(err.Error(), "CGO_ENABLED=1") {
		t.Fatalf("New without cgo = %v", err)
	}
}
