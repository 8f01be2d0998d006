package msglog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/atrest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/tombstone"
)

// Retention says how long archives are kept: Default for every group,
// Groups overriding it by group identifier (as grouped: member or
// subsystem id, "local", or "" for the ungrouped root). A zero Default
// keeps everything.
type Retention struct {
	Default time.Duration
	Groups  map[string]time.Duration
}

// For returns the retention of the group whose directory name is dir.
func (r *Retention) For(dir string) time.Duration {
	for g, d := range r.Groups {
		if filepath.Base(GroupDir("", g)) == dir || g == dir {
			return d
		}
	}
	return r.Default
}

// archiveLastTime parses the last-record time out of an archive name
// (mlog-<first>-<last>-<16hex>.zip…).
func archiveLastTime(name string) (time.Time, bool) {
	f := strings.Split(name, "-")
	if len(f) < 4 || f[0] != "mlog" {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405", f[2])
	return t, err == nil
}

// ApplyRetention removes, in each group, the archives whose last record is
// older than the group's retention, oldest first, never the group's newest
// archive and never out of order. Each removed archive is replaced by a
// signed tombstone (see package tombstone) and a retention record is
// appended to the log. It returns the removed archives' paths.
func (l *Log) ApplyRetention(ctx context.Context, r Retention) ([]string, error) {
	l.rotateMu.Lock()
	defer l.rotateMu.Unlock()
	if !l.leading() {
		return nil, nil // the sealer applies it
	}
	archives, err := ListArchives(l.opts.ArchiveDir)
	if err != nil {
		return nil, err
	}
	byGroup := map[string][]Archive{}
	var order []string
	for _, a := range archives {
		if a.Tombstone {
			continue
		}
		if _, ok := byGroup[a.Group]; !ok {
			order = append(order, a.Group)
		}
		byGroup[a.Group] = append(byGroup[a.Group], a)
	}
	now := l.opts.Now()
	var removed []string
	for _, g := range order {
		keep := r.For(g)
		if keep <= 0 {
			continue
		}
		as := byGroup[g]
		for _, a := range as[:len(as)-1] {
			last, ok := archiveLastTime(a.Name)
			if !ok || !last.Before(now.Add(-keep)) {
				break
			}
			if err := l.removeArchive(ctx, a, keep, now); err != nil {
				return removed, err
			}
			removed = append(removed, a.Path)
		}
	}
	return removed, nil
}

func (l *Log) removeArchive(ctx context.Context, a Archive, keep time.Duration, now time.Time) error {
	raw, err := os.ReadFile(a.Path)
	if err != nil {
		return fmt.Errorf("msglog: retention: %w", err)
	}
	plain := raw
	if atrest.IsEncrypted(raw) {
		if plain, err = atrest.Decrypt(bytes.NewReader(raw), l.opts.EncryptionKey); err != nil {
			return fmt.Errorf("msglog: retention: %s: %w", a.Name, err)
		}
	}
	ar, err := asic.OpenArchive(bytes.NewReader(plain), int64(len(plain)), asic.Limits{})
	if err != nil {
		return fmt.Errorf("msglog: retention: %s: %w", a.Name, err)
	}
	li := ar.Linking
	if len(li.Entries) == 0 {
		return fmt.Errorf("msglog: retention: %s has an empty linkinginfo", a.Name)
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	ts := &tombstone.Tombstone{
		Archive: a.Name, Group: a.Group,
		PrevDigest: dash(li.PrevDigest), PrevArchive: dash(li.PrevName),
		LastDigest: li.Entries[len(li.Entries)-1].Digest, Containers: len(li.Entries),
		FileSHA512: tombstone.FileDigest(raw), Retention: formatPeriod(keep), Removed: now.UTC(),
	}
	c, err := tombstone.Build(ts, l.opts.Signer, l.opts.Certificate, l.opts.Now)
	if err != nil {
		return err
	}
	// The tombstone is durable before the archive goes, and the removal is
	// in the signed log before either.
	_, err = l.Append(ctx, &Record{Type: TypeRetention, Member: a.Group, Event: &Event{
		Actor: "retention", Action: "remove-archive", Outcome: "ok",
		Fields: []Field{
			{Name: "archive", Value: a.Name}, {Name: "group", Value: a.Group},
			{Name: "lastDigest", Value: ts.LastDigest}, {Name: "containers", Value: strconv.Itoa(ts.Containers)},
			{Name: "fileSha512", Value: ts.FileSHA512}, {Name: "retention", Value: ts.Retention},
		}}})
	if err != nil {
		return fmt.Errorf("msglog: retention: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(filepath.Dir(a.Path), ts.Name()), c, 0o640); err != nil {
		return fmt.Errorf("msglog: retention: %w", err)
	}
	if err := atomicfile.Remove(a.Path); err != nil {
		return fmt.Errorf("msglog: retention: %w", err)
	}
	l.metrics.removed.Inc()
	l.opts.Logger.Info("msglog: archive removed under retention policy",
		zap.String("archive", a.Path), zap.String("retention", ts.Retention), zap.String("tombstone", ts.Name()))
	return nil
}

func formatPeriod(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d%(365*day) == 0:
		return strconv.Itoa(int(d/(365*day))) + "y"
	case d%day == 0:
		return strconv.Itoa(int(d/day)) + "d"
	}
	return d.String()
}

// ReadTombstone reads a tombstone file (for listings).
func ReadTombstone(path string) (*tombstone.Tombstone, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	return tombstone.Parse(data)
}
