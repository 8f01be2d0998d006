package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RepairReport says what Repair quarantined.
type RepairReport struct {
	// Damaged is false when the store was sound and nothing was moved.
	Damaged bool `json:"damaged"`
	// Segment and Offset locate the first damaged frame.
	Segment string `json:"segment,omitempty"`
	Offset  int64  `json:"offset,omitempty"`
	// Reason is what was wrong there.
	Reason string `json:"reason,omitempty"`
	// KeptUpTo is the last sequence number left in the store; records
	// after it were cut off (their bytes are in Quarantine).
	KeptUpTo uint64 `json:"keptUpTo"`
	// LostTo is the highest sequence number found intact in the
	// quarantined bytes (at least KeptUpTo+1 when damaged): numbers up to
	// it were handed out and must not be reused.
	LostTo uint64 `json:"lostTo,omitempty"`
	// Quarantine is the directory holding the cut-off bytes; Files the
	// files in it.
	Quarantine string   `json:"quarantine,omitempty"`
	Files      []string `json:"files,omitempty"`
	Bytes      int64    `json:"bytes,omitempty"`
}

// Repair is the operator's way out of ErrCorrupt: it finds the first
// damaged frame, moves everything from there on (the rest of that segment
// and every later segment) into a new quarantine-<time> directory inside
// dir, and truncates the damaged segment before it, so that Open succeeds
// again. Nothing is deleted: the quarantined bytes stay for forensic
// recovery. Records after the damage are no longer in the journal; the
// report names the last one kept. It takes the store's lock, so it fails
// with ErrLocked while the daemon runs. A sound store is left alone.
func Repair(dir string, now time.Time) (*RepairReport, error) {
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("store: repair %s: %w", dir, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("store: repair %s: stop the daemon first: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("store: repair: lock %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: repair: %w", err)
	}
	var segs []segment
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, segSuffix) {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil || first == 0 {
			continue // not ours; Open reports it
		}
		segs = append(segs, segment{first: first, path: filepath.Join(dir, name)})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].first < segs[j].first })
	rep := &RepairReport{}
	next := uint64(0)
	if len(segs) > 0 {
		next = segs[0].first
	}
	rep.KeptUpTo = next - min(next, 1)
	bad, badOff := -1, int64(0)
	for i := range segs {
		sg := &segs[i]
		if sg.first != next {
			bad, badOff = i, 0
			rep.Reason = fmt.Sprintf("segment starts at %d, want %d", sg.first, next)
			break
		}
		data, err := os.ReadFile(sg.path)
		if err != nil {
			return nil, fmt.Errorf("store: repair: %w", err)
		}
		var off int64
		seq := sg.first
		for int(off) < len(data) {
			size, ok := frameAt(data[off:], seq)
			if !ok {
				break
			}
			off += int64(size)
			seq++
		}
		if int(off) < len(data) && (i < len(segs)-1 || findFrameAfter(data[off:], seq) >= 0) {
			// Damage that is not a torn tail (Open truncates those itself).
			bad, badOff = i, off
			rep.Reason = fmt.Sprintf("bad frame for seq %d", seq)
			rep.KeptUpTo = seq - 1
			break
		}
		next = seq
		rep.KeptUpTo = seq - 1
	}
	if bad < 0 {
		return rep, nil
	}
	rep.Damaged = true
	rep.LostTo = rep.KeptUpTo + 1
	// The highest intact frame after the damage: in the damaged
	// segment's tail, then in every later segment.
	for i := bad; i < len(segs); i++ {
		data, err := os.ReadFile(segs[i].path)
		if err != nil {
			return nil, fmt.Errorf("store: repair: %w", err)
		}
		if i == bad {
			data = data[badOff:]
		}
		for off, seq := 0, rep.KeptUpTo; off < len(data); {
			at := -1
			if i > bad && off == 0 {
				if _, ok := frameAt(data, segs[i].first); ok {
					at = 0 // a later segment's first frame
				}
			} else if _, ok := frameAt(data[off:], seq+1); ok && off > 0 {
				at = 0 // the next frame in order
			}
			if at < 0 {
				at = findFrameAfter(data[off:], seq) // searches from off+1
			}
			if at < 0 {
				break
			}
			got := binary.BigEndian.Uint64(data[off+at+8 : off+at+16])
			size, _ := frameAt(data[off+at:], got)
			rep.LostTo = max(rep.LostTo, got)
			seq = got
			off += at + size
		}
	}
	rep.Segment = filepath.Base(segs[bad].path)
	rep.Offset = badOff
	q := filepath.Join(dir, "quarantine-"+now.UTC().Format("20060102T150405Z"))
	if err := os.Mkdir(q, 0o750); err != nil {
		return nil, fmt.Errorf("store: repair: %w", err)
	}
	rep.Quarantine = q
	// The damaged segment's tail: copy it out, fsync, then truncate.
	src := segs[bad].path
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("store: repair: %w", err)
	}
	tailName := fmt.Sprintf("%s.from-%d", filepath.Base(src), badOff)
	if err := writeSynced(filepath.Join(q, tailName), data[badOff:]); err != nil {
		return nil, err
	}
	rep.Files = append(rep.Files, tailName)
	rep.Bytes += int64(len(data)) - badOff
	// Later segments move whole.
	for _, sg := range segs[bad+1:] {
		st, err := os.Stat(sg.path)
		if err != nil {
			return nil, fmt.Errorf("store: repair: %w", err)
		}
		if err := os.Rename(sg.path, filepath.Join(q, filepath.Base(sg.path))); err != nil {
			return nil, fmt.Errorf("store: repair: %w", err)
		}
		rep.Files = append(rep.Files, filepath.Base(sg.path))
		rep.Bytes += st.Size()
	}
	if err := syncDirectory(q); err != nil {
		return nil, err
	}
	if badOff == 0 {
		if err := os.Rename(src, filepath.Join(q, filepath.Base(src))); err != nil {
			return nil, fmt.Errorf("store: repair: %w", err)
		}
		rep.Files[0] = filepath.Base(src)
		os.Remove(filepath.Join(q, tailName))
	} else if err := truncateSynced(src, badOff); err != nil {
		return nil, err
	}
	if err := syncDirectory(dir); err != nil {
		return nil, err
	}
	return rep, nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("store: repair: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("store: repair: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store: repair: %w", err)
	}
	return f.Close()
}

func truncateSynced(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: repair: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("store: repair: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: repair: %w", err)
	}
	return nil
}

func syncDirectory(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: repair: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: repair: sync %s: %w", dir, err)
	}
	return nil
}
