// Package recordertest opens the signed message log with a throwaway key,
// as `tunduk demo` does, for tests and benchmarks that must run the
// shipped configuration (every exchange signed and fsynced) rather than a
// stand-in.
package recordertest

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// OpenLog opens a signed message log under dir (dir/mlog, dir/archive)
// with a new P-256 key and a self-signed trial certificate (as
// `tunduk keys generate --self-signed` makes). mod, when set,
// adjusts the options before Open.
func OpenLog(dir string, mod func(*msglog.Options)) (*msglog.Log, error) {
	key, cert, err := certs.NewThrowaway(certs.Subject{Organization: "tunduk test (not a real signing certificate)", MemberCode: "70000099"}, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	o := msglog.Options{Dir: filepath.Join(dir, "mlog"), ArchiveDir: filepath.Join(dir, "archive"), Signer: key, Certificate: cert}
	if mod != nil {
		mod(&o)
	}
	l, err := msglog.Open(o)
	if err != nil {
		return nil, fmt.Errorf("test message log: %w", err)
	}
	return l, nil
}
