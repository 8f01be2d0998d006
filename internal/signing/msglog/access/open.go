package access

import (
	"errors"
	"fmt"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
)

// Options open a Reader with its own access journal.
type Options struct {
	Policy     Policy
	ArchiveDir string
	// Key decrypts archives encrypted at rest.
	Key []byte
	// Journal configures the signed log the reads are recorded in (its own
	// directory and archive directory, apart from the exchange log's
	// journal, which the running service holds).
	Journal msglog.Options
	// LockWait is how long to wait for another reader holding the journal
	// (default 10s).
	LockWait time.Duration
}

// Open opens the access journal and returns a Reader on the archives.
// Close the Reader to seal its records.
func Open(o Options) (*Reader, error) {
	if o.LockWait <= 0 {
		o.LockWait = 10 * time.Second
	}
	deadline := time.Now().Add(o.LockWait)
	for {
		l, err := msglog.Open(o.Journal)
		if err == nil {
			return &Reader{Policy: o.Policy, ArchiveDir: o.ArchiveDir, Key: o.Key, Journal: l, owned: l}, nil
		}
		if !errors.Is(err, store.ErrLocked) || time.Now().After(deadline) {
			return nil, fmt.Errorf("access: open journal: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Close seals and closes the journal Open opened.
func (rd *Reader) Close() error {
	if rd.owned == nil {
		return nil
	}
	return rd.owned.Close()
}
