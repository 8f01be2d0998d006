package msglog_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/tombstone"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// TestRetentionLeavesSignedTombstones writes four archives a "year" apart,
// applies a 2-year retention and checks that exactly the expired prefix is
// removed, each replaced by a signed tombstone whose last digest is what
// the next surviving archive links to, and that the removal is itself a
// record in the log.
func TestRetentionLeavesSignedTombstones(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2022, 1, 10, 12, 0, 0, 0, time.UTC)
	l := openLog(t, dir, nil)
	ctx := context.Background()
	for y := 0; y < 4; y++ {
		for i := 0; i < 3; i++ {
			r := exchange(y*10+i, "central-server/GOV/70000001/portal")
			r.Time = base.AddDate(y, 0, 0).Add(time.Duration(i) * time.Minute)
			if _, err := l.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(dir, "archive")
	before, _ := msglog.ListArchives(root)
	if len(before) != 4 {
		t.Fatalf("want 4 archives, got %d", len(before))
	}
	_, last1, _ := linkinginfoChain(t, before[1].Path)

	// "now" is 2026-01-01 (the test clock is real time; retention is relative).
	keep := time.Since(base.AddDate(1, 6, 0)) // archives 0 and 1 (2022, 2023) are older
	removed, err := l.ApplyRetention(ctx, msglog.Retention{Default: keep})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || removed[0] != before[0].Path || removed[1] != before[1].Path {
		t.Fatalf("removed %v, want the two oldest", removed)
	}
	after, _ := msglog.ListArchives(root)
	var tombs, live []msglog.Archive
	for _, a := range after {
		if a.Tombstone {
			tombs = append(tombs, a)
		} else {
			live = append(live, a)
		}
	}
	if len(tombs) != 2 || len(live) != 2 {
		t.Fatalf("after retention: %v", after)
	}
	ts, err := msglog.ReadTombstone(tombs[1].Path)
	if err != nil {
		t.Fatal(err)
	}
	prev2, _, _ := linkinginfoChain(t, live[0].Path)
	if ts.Archive != before[1].Name || ts.LastDigest != last1 || prev2 != ts.LastDigest || ts.Containers != 6 {
		t.Fatalf("tombstone %+v does not bridge to %s (prev %s)", ts, live[0].Name, prev2)
	}
	if !strings.HasSuffix(tombs[1].Name, tombstone.Suffix) {
		t.Fatalf("tombstone name %s", tombs[1].Name)
	}
	// The tombstones are signed containers the verifier accepts as such.
	data, _ := os.ReadFile(tombs[0].Path)
	if _, err := verify.New(verify.Options{}).Container(data); err != nil {
		t.Fatalf("tombstone does not verify as a signed container: %v", err)
	}
	// The removals are in the log.
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	final, _ := msglog.ListArchives(root)
	var retentionRecords int
	msglog.ReadArchive(final[len(final)-1].Path, nil, func(_ string, _ []byte, r *msglog.Record) error {
		if r.Type == msglog.TypeRetention {
			retentionRecords++
		}
		return nil
	})
	if retentionRecords != 2 {
		t.Fatalf("want 2 retention records in the newest archive, got %d", retentionRecords)
	}
}
