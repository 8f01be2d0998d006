//go:build !cgo

package pkcs11kms

import (
	"context"
	"fmt"

	"github.com/tunduk-kg/tunduk/signing/kms"
)

func init() {
	kms.Register("pkcs11", func(context.Context, kms.Options) (kms.KeyManager, error) {
		return nil, fmt.Errorf("pkcs11kms: this tunduk binary was built without cgo (CGO_ENABLED=0), so it cannot load a PKCS#11 module; rebuild with CGO_ENABLED=1 and a C compiler: %w", kms.ErrUnsupported)
	})
}
