// Package evidencetest opens, for tests, the signed message log with its
// evidence hook (statements, receipts, checkpoints) wired as `tunduk serve`
// wires them, under a throwaway directory and key.
package evidencetest

import (
	"crypto"
	"crypto/x509"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// Origin is the log's identity in the checkpoints the fixture signs.
const Origin = "tunduk.test/mlog"

// Options says what to open; every field may be left zero.
type Options struct {
	// Dir holds the log (Dir/log), its archives (Dir/archive) and the
	// evidence (Dir/evidence); default t.TempDir(). Opening the same Dir
	// again reopens what an earlier fixture wrote.
	Dir string
	// Signer and Certificate sign the log and, unless EvidenceSigner is
	// set, the evidence; default a fresh certstest.Signing key.
	Signer      crypto.Signer
	Certificate *x509.Certificate
	// EvidenceSigner, when set, signs the evidence instead of Signer.
	EvidenceSigner crypto.Signer
	// Witnesses receive every new checkpoint.
	Witnesses []string
	// GroupBy groups the archives and the checkpoints.
	GroupBy msglog.GroupBy
	// NoEvidence opens the log alone (Fixture.Evidence is nil).
	NoEvidence bool
	// Hook, when set, is what the log calls instead of the evidence log
	// itself (e.g. a wrapper that records the sealed batches).
	Hook func(*evidence.Log) msglog.Evidence
	// Log, when set, adjusts the log's options before Open. By default the
	// log seals and rotates only when a test asks (intervals of an hour).
	Log func(*msglog.Options)
}

// Fixture is an open log and its evidence; both close when the test ends.
type Fixture struct {
	Log         *msglog.Log
	Evidence    *evidence.Log
	Signer      crypto.Signer
	Certificate *x509.Certificate
	Dir         string
	Archive     string // the log's archive directory
	close       sync.Once
}

// Open opens the fixture o describes and closes it at the end of t.
func Open(t testing.TB, o Options) *Fixture {
	t.Helper()
	f := &Fixture{Signer: o.Signer, Certificate: o.Certificate, Dir: o.Dir}
	if f.Dir == "" {
		f.Dir = t.TempDir()
	}
	if f.Signer == nil {
		f.Signer, f.Certificate = certstest.Signing(t)
	}
	f.Archive = filepath.Join(f.Dir, "archive")
	lo := msglog.Options{Dir: filepath.Join(f.Dir, "log"), ArchiveDir: f.Archive, Signer: f.Signer, Certificate: f.Certificate,
		BatchInterval: time.Hour, RotateInterval: time.Hour, GroupBy: o.GroupBy}
	if !o.NoEvidence {
		signer := o.EvidenceSigner
		if signer == nil {
			signer = f.Signer
		}
		ev, err := evidence.Open(evidence.Options{Dir: filepath.Join(f.Dir, "evidence"), Origin: Origin, Signer: signer,
			Certificate: f.Certificate, Witnesses: o.Witnesses})
		if err != nil {
			t.Fatal(err)
		}
		f.Evidence, lo.Evidence = ev, ev
		if o.Hook != nil {
			lo.Evidence = o.Hook(ev)
		}
	}
	if o.Log != nil {
		o.Log(&lo)
	}
	l, err := msglog.Open(lo)
	if err != nil {
		if f.Evidence != nil {
			f.Evidence.Close()
		}
		t.Fatal(err)
	}
	f.Log = l
	t.Cleanup(f.Close)
	return f
}

// Close closes the log, then its evidence; later calls do nothing.
func (f *Fixture) Close() {
	f.close.Do(func() {
		f.Log.Close()
		if f.Evidence != nil {
			f.Evidence.Close()
		}
	})
}
