package msglog_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
)

// TestRepairQuarantinesDamagedTail: a journal damaged in the middle keeps
// the log down (fail closed); Repair quarantines the damaged tail (bytes
// kept), never reuses the lost records' numbers, and the repair itself is a
// signed record in the archives.
func TestRepairQuarantinesDamagedTail(t *testing.T) {
	dir := t.TempDir()
	small := func(o *msglog.Options) { o.SegmentSize = 4096 }
	l := openLog(t, dir, small)
	ctx := context.Background()
	var last uint64
	for i := 0; i < 40; i++ {
		seq, err := l.Append(ctx, exchange(i, "central-server/GOV/70000001/portal"))
		if err != nil {
			t.Fatal(err)
		}
		last = seq
	}
	l.Close()
	journal := filepath.Join(dir, "log", "journal")
	segs, _ := filepath.Glob(filepath.Join(journal, "*.seg"))
	sort.Strings(segs)
	if len(segs) < 3 {
		t.Fatalf("want several segments, got %v", segs)
	}
	// Damage the second segment in its middle: not a torn tail.
	b, _ := os.ReadFile(segs[1])
	b[len(b)/2] ^= 0xff
	os.WriteFile(segs[1], b, 0o600)
	signer, cert := certstest.Signing(t)
	opts := msglog.Options{Dir: filepath.Join(dir, "log"), ArchiveDir: filepath.Join(dir, "archive"), Signer: signer, Certificate: cert, SegmentSize: 4096}
	if _, err := msglog.Open(opts); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("damaged journal opened: %v", err)
	}
	rep, err := msglog.Repair(ctx, opts, "operator-1")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Damaged || rep.Segment != filepath.Base(segs[1]) || rep.LostTo < last || rep.KeptUpTo >= rep.LostTo || rep.RecordID == "" {
		t.Fatalf("report %+v (last appended %d)", rep, last)
	}
	if len(rep.Files) < 2 {
		t.Fatalf("quarantine holds %v", rep.Files)
	}
	for _, f := range rep.Files {
		if _, err := os.Stat(filepath.Join(rep.Quarantine, f)); err != nil {
			t.Errorf("quarantined file %s: %v", f, err)
		}
	}
	// A second repair finds nothing to do.
	if again, err := msglog.Repair(ctx, opts, "operator-1"); err != nil || again.Damaged {
		t.Fatalf("second repair: %+v %v", again, err)
	}
	l, err = msglog.Open(opts)
	if err != nil {
		t.Fatalf("repaired journal does not open: %v", err)
	}
	seq, err := l.Append(ctx, exchange(99, "central-server/GOV/70000001/portal"))
	if err != nil || seq <= last {
		t.Fatalf("new record got seq %d (lost records held up to %d): %v", seq, last, err)
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	as, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
	found := false
	for _, a := range as {
		msglog.ReadArchive(a.Path, nil, func(_ string, _ []byte, r *msglog.Record) error {
			if r != nil && r.Type == msglog.TypeRepair && r.Event.Actor == "operator-1" && msglog.ID(r.Seq) == rep.RecordID {
				for _, f := range r.Event.Fields {
					if f.Name == "quarantine" && strings.Contains(f.Value, "quarantine-") {
						found = true
					}
				}
			}
			return nil
		})
	}
	if !found {
		t.Fatal("the repair is not a signed record in the archives")
	}
}
