package msglog

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
)

// TypeRepair records that a damaged journal tail was quarantined by
// `tunduk msglog repair`.
const TypeRepair Type = "journal-repair"

// kindVoid is a journal entry that holds a sequence number a quarantined
// record had, so that numbers once handed out (mlog:<seq> in the portal's
// evidence) are never given to another record. It is not archived.
const kindVoid byte = 3

// RepairReport is what Repair did.
type RepairReport struct {
	store.RepairReport
	// RecordID is the signed TypeRepair record that documents the repair
	// ("" when nothing was damaged).
	RecordID string `json:"recordId,omitempty"`
}

// Repair gives the operator a documented way out when the journal is
// damaged (Open fails with store.ErrCorrupt; the daemon stays down, fail
// closed): it quarantines the damaged tail with store.Repair (nothing is
// deleted), reserves the sequence numbers the cut-off records held, and
// appends a signed record of type journal-repair naming the actor, the
// damaged segment and offset, the records lost and the quarantine
// directory. The daemon must be stopped (the journal is locked).
func Repair(ctx context.Context, opts Options, actor string) (*RepairReport, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("msglog: repair: Options.Dir is empty")
	}
	sr, err := store.Repair(filepath.Join(opts.Dir, "journal"), now(opts))
	if err != nil {
		return nil, fmt.Errorf("msglog: repair: %w", err)
	}
	rep := &RepairReport{RepairReport: *sr}
	if !sr.Damaged {
		return rep, nil
	}
	l, err := Open(opts)
	if err != nil {
		return rep, fmt.Errorf("msglog: repair: the journal was repaired but does not open: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			l.Close()
		}
	}()
	for {
		seq, err := l.store.Append(ctx, encodeParts(kindVoid, []byte("quarantined")))
		if err != nil {
			return rep, fmt.Errorf("msglog: repair: reserving lost sequence numbers: %w", err)
		}
		if seq >= sr.LostTo {
			break
		}
	}
	fields := []Field{
		{Name: "segment", Value: sr.Segment},
		{Name: "offset", Value: strconv.FormatInt(sr.Offset, 10)},
		{Name: "reason", Value: sr.Reason},
		{Name: "keptUpTo", Value: ID(sr.KeptUpTo)},
		{Name: "lost", Value: ID(sr.KeptUpTo+1) + ".." + ID(sr.LostTo)},
		{Name: "quarantine", Value: sr.Quarantine},
		{Name: "files", Value: strings.Join(sr.Files, " ")},
		{Name: "bytes", Value: strconv.FormatInt(sr.Bytes, 10)},
	}
	seq, err := l.Append(ctx, &Record{Type: TypeRepair, Event: &Event{Actor: actor, Action: "quarantine-journal-tail", Outcome: "ok", Fields: fields}})
	if err != nil {
		return rep, fmt.Errorf("msglog: repair: recording the repair: %w", err)
	}
	rep.RecordID = ID(seq)
	closed = true
	if err := l.Close(); err != nil {
		return rep, fmt.Errorf("msglog: repair: %w", err)
	}
	return rep, nil
}

func now(o Options) time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
