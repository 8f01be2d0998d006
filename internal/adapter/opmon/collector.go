package opmon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
)

// Observer receives records and health data as they are collected. The
// *Record is reused after Observe returns: copy what you keep.
type Observer interface {
	Observe(r *Record)
	ObserveHealth(h *Health)
}

// Options configure a Collector.
type Options struct {
	// Querier reaches the security server.
	Querier *Querier
	// StateFile keeps the position (the next recordsFrom) across
	// restarts; written atomically after each page. Required.
	StateFile string
	// Interval between collection rounds in Run (default 1m).
	Interval time.Duration
	// RecordsToOffset keeps the query's recordsTo this far behind now, so
	// records the security server is still writing for the current seconds
	// are read in a later round (default 1m, as X-Road Metrics does).
	RecordsToOffset time.Duration
	// Lookback is where the first round starts when there is no state file
	// (default 1h).
	Lookback time.Duration
	// MaxPages bounds the pages of one round (default 100).
	MaxPages int
	// Observers get every record and each health answer.
	Observers []Observer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger gets one line per round and every failure (default nop).
	Logger *zap.Logger
	// OnRound, when set, is called after each round with its result.
	OnRound func(Round, error)
}

// Round is what one collection round did.
type Round struct {
	Pages   int
	Records int
	// From is the position the round started at, Next the one it saved.
	From, Next int64
	// Complete is true when the security server had nothing more up to
	// recordsTo (X-Road Metrics' ALL_COLLECTED).
	Complete bool
}

// Collector reads the operational and health data of one security server.
type Collector struct {
	o   Options
	pos int64
}

type state struct {
	RecordsFrom int64 `json:"recordsFrom"`
}

// New opens the collector's state (or starts Lookback ago).
func New(o Options) (*Collector, error) {
	if o.Querier == nil {
		return nil, errors.New("opmon: Options.Querier is required")
	}
	if o.StateFile == "" {
		return nil, errors.New("opmon: Options.StateFile is required: the position must survive restarts")
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.RecordsToOffset < 0 {
		return nil, fmt.Errorf("opmon: RecordsToOffset %v is negative", o.RecordsToOffset)
	}
	if o.RecordsToOffset == 0 {
		o.RecordsToOffset = time.Minute
	}
	if o.Lookback <= 0 {
		o.Lookback = time.Hour
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	c := &Collector{o: o}
	b, err := os.ReadFile(o.StateFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.pos = o.Now().Add(-o.Lookback).Unix()
	case err != nil:
		return nil, fmt.Errorf("opmon: reading the position: %w", err)
	default:
		var s state
		if err := json.Unmarshal(b, &s); err != nil || s.RecordsFrom <= 0 {
			return nil, fmt.Errorf("opmon: position file %s is damaged (%v); remove it to restart %v back", o.StateFile, err, o.Lookback)
		}
		c.pos = s.RecordsFrom
	}
	return c, nil
}

// Position is the recordsFrom of the next query (Unix seconds).
func (c *Collector) Position() int64 { return c.pos }

func (c *Collector) save(pos int64) error {
	b, _ := json.Marshal(state{RecordsFrom: pos})
	if err := atomicfile.WriteFile(c.o.StateFile, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("opmon: saving the position: %w", err)
	}
	c.pos = pos
	return nil
}

// Collect runs one round: the operational data from the saved position up
// to now − RecordsToOffset, page by page, then the health data. The
// position is saved after each page's records reached the observers. The
// recordsTo of a round is now − RecordsToOffset − 1 and a complete round
// moves the position to now − RecordsToOffset: bounds are inclusive, so no
// second is read twice.
func (c *Collector) Collect(ctx context.Context) (Round, error) {
	r, err := c.collect(ctx)
	if c.o.OnRound != nil {
		c.o.OnRound(r, err)
	}
	return r, err
}

func (c *Collector) collect(ctx context.Context) (Round, error) {
	end := c.o.Now().Add(-c.o.RecordsToOffset).Unix()
	to := end - 1
	r := Round{From: c.pos, Next: c.pos}
	observe := func(rec *Record) error {
		for _, o := range c.o.Observers {
			o.Observe(rec)
		}
		return nil
	}
	for r.Pages < c.o.MaxPages && c.pos <= to {
		p, err := c.o.Querier.OperationalData(ctx, c.pos, to, observe)
		if err != nil {
			return r, err
		}
		r.Pages++
		r.Records += p.RecordsCount
		next := end
		if p.HasNext {
			if p.NextRecordsFrom <= c.pos {
				return r, fmt.Errorf("opmon: the security server's nextRecordsFrom %d does not advance past %d", p.NextRecordsFrom, c.pos)
			}
			next = min(p.NextRecordsFrom, end)
		}
		if err := c.save(next); err != nil {
			return r, err
		}
		r.Next = next
		if !p.HasNext || next >= end {
			r.Complete = true
			break
		}
	}
	h, err := c.o.Querier.HealthData(ctx)
	if err != nil {
		return r, err
	}
	for _, o := range c.o.Observers {
		o.ObserveHealth(h)
	}
	return r, nil
}

// Run collects every Interval until ctx ends. Failed rounds are logged and
// retried at the next tick; the position only moves on success.
func (c *Collector) Run(ctx context.Context) error {
	t := time.NewTicker(c.o.Interval)
	defer t.Stop()
	for {
		r, err := c.Collect(ctx)
		if err != nil && ctx.Err() == nil {
			c.o.Logger.Warn("opmon: collection round failed", zap.Error(err), zap.Int64("recordsFrom", c.pos))
		} else if err == nil {
			c.o.Logger.Debug("opmon: collected", zap.Int("records", r.Records), zap.Int("pages", r.Pages), zap.Int64("next", r.Next))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
