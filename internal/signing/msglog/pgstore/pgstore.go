// Package pgstore is the message log's store on PostgreSQL, for several
// gateways writing one log (msglog.SharedStore).
//
// A record is durable when the transaction that inserts it commits; the
// commit is synchronous (synchronous_commit is never off on our
// connections). Concurrent Appends share one commit: a single writer per
// process takes everything waiting (up to MaxGroupBytes) and inserts it in
// one statement, so under load many records wait for one WAL flush, and
// Append never returns before that commit. Sequence numbers come from the
// one row of msglog_head, updated in the same statement: its row lock is
// held until commit, so numbers are gapless across every instance and
// commit in order — a reader that sees seq N sees every seq below it, which
// is what lets the sealer scan the log like the file journal.
//
// Exactly one process seals and rotates: the one holding the sealer lease,
// a session-level pg_advisory_lock taken on a dedicated connection. When
// that process dies its session ends and the lock is free for the next
// instance (at once after a crash; after TCP keepalive — about 30 s, set
// on the lease's connection — when its host vanishes). Every write the
// sealer makes as sealer (batch seals, the sealing state, which holds each
// archive group's chain head) goes through that same connection, so once
// the lease is lost they fail: a deposed sealer never seals twice.
//
// The schema is versioned by embedded migrations recorded in
// schema_migrations; a database migrated by a newer build is refused
// (ErrSchemaTooNew).
//
// When the database is unreachable Append fails (the gateway answers 503
// with Retry-After, fail closed) and the next Append tries again: the store
// recovers by itself once PostgreSQL is back.
//
// Non-goals: the store does not interpret payloads; archives are files
// (Options.ArchiveDir of msglog), never rows.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/groupcommit"
)

// ErrTooLarge means a payload exceeds MaxRecordSize.
var ErrTooLarge = errors.New("pgstore: record too large")

// Options configure a Store.
type Options struct {
	// URL is the connection string (postgres://…). It is a secret: it is
	// never logged, and errors never repeat it.
	URL string
	// Instance names this process in msglog_entries.instance and in the
	// sealing state (default hostname/pid).
	Instance string
	// QueueSize bounds the appends waiting for a commit (default 65536);
	// beyond it Append fails at once with msglog.ErrBackpressure.
	QueueSize int
	// MaxGroupBytes bounds the bytes of one commit (default 8 MiB).
	MaxGroupBytes int
	// MaxRecordSize bounds one payload (default 64 MiB).
	MaxRecordSize int
	// CommitTimeout bounds one commit (default 10s).
	CommitTimeout time.Duration
	// MaxConns bounds the pool (default 4).
	MaxConns int32
	// Logger (default zap.NewNop()).
	Logger *zap.Logger
}

// Store is an open PostgreSQL store. Its methods are safe for concurrent use.
type Store struct {
	opts    Options
	cfg     *pgxpool.Config
	pool    *pgxpool.Pool
	queue   chan *request
	closeMu sync.RWMutex
	stopped bool
	stop    chan struct{}
	done    chan struct{}

	last    atomic.Uint64 // highest seq known durable
	first   atomic.Uint64
	groups  atomic.Uint64
	records atomic.Uint64
}

type request struct {
	data []byte
	seq  uint64
	err  error
	done chan struct{}
}

var _ msglog.SharedStore = (*Store)(nil)

// Open connects, migrates the schema and starts the writer. It fails when
// the database cannot be reached: a gateway does not start without its log.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.URL == "" {
		return nil, errors.New("pgstore: Options.URL is empty")
	}
	if opts.Instance == "" {
		h, _ := os.Hostname()
		opts.Instance = h + "/" + strconv.Itoa(os.Getpid())
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 65536
	}
	if opts.MaxGroupBytes <= 0 {
		opts.MaxGroupBytes = 8 << 20
	}
	if opts.MaxRecordSize <= 0 {
		opts.MaxRecordSize = 64 << 20
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 10 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 4
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		// pgx's parse errors quote the URL, password included: say less.
		return nil, errors.New("pgstore: the PostgreSQL URL does not parse; want postgres://user:password@host:port/database?sslmode=…")
	}
	cfg.MaxConns = opts.MaxConns
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	rp := cfg.ConnConfig.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = "tunduk msglog"
	}
	// A record is acknowledged only once its commit is durable.
	if v := rp["synchronous_commit"]; v == "" || v == "off" {
		rp["synchronous_commit"] = "on"
	}
	s := &Store{opts: opts, cfg: cfg, queue: make(chan *request, opts.QueueSize), stop: make(chan struct{}), done: make(chan struct{})}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if _, err := migrate(ctx, s.pool); err != nil {
		s.pool.Close()
		return nil, err
	}
	var first, next int64
	err = s.pool.QueryRow(ctx, "SELECT coalesce((SELECT min(seq) FROM msglog_entries), h.next_seq), h.next_seq FROM msglog_head h WHERE id = 1").Scan(&first, &next)
	if err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("pgstore: read head: %w", err)
	}
	s.first.Store(uint64(first))
	s.last.Store(uint64(next - 1))
	go s.writer()
	return s, nil
}

// Append stores payload and returns its sequence number once the commit
// holding it is durable. An error means the record was not acknowledged;
// it may still be in the log (a commit whose answer was lost).
func (s *Store) Append(ctx context.Context, payload []byte) (uint64, error) {
	if len(payload) > s.opts.MaxRecordSize {
		return 0, fmt.Errorf("pgstore: %d bytes: %w", len(payload), ErrTooLarge)
	}
	r := &request{data: payload, done: make(chan struct{})}
	s.closeMu.RLock()
	if s.stopped {
		s.closeMu.RUnlock()
		return 0, msglog.ErrClosed
	}
	select {
	case s.queue <- r:
		s.closeMu.RUnlock()
	default:
		s.closeMu.RUnlock()
		return 0, fmt.Errorf("pgstore: commit queue %w", msglog.ErrBackpressure)
	}
	select {
	case <-r.done:
		return r.seq, r.err
	case <-ctx.Done():
		return 0, fmt.Errorf("pgstore: append: %w", ctx.Err())
	}
}

// insertGroup is one commit: take len(payloads) numbers from the head (its
// row lock serialises commits of every instance) and insert the payloads.
const insertGroup = `WITH h AS (
	UPDATE msglog_head SET next_seq = next_seq + $1 WHERE id = 1 RETURNING next_seq - $1 AS first
), ins AS (
	INSERT INTO msglog_entries (seq, instance, payload)
	SELECT h.first + p.ord - 1, $3, p.payload FROM h, unnest($2::bytea[]) WITH ORDINALITY AS p(payload, ord)
)
SELECT first FROM h`

// querier is what insert needs of a pool or a connection.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) insert(ctx context.Context, q querier, payloads [][]byte) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CommitTimeout)
	defer cancel()
	var first int64
	if err := q.QueryRow(ctx, insertGroup, len(payloads), payloads, s.opts.Instance).Scan(&first); err != nil {
		return 0, fmt.Errorf("pgstore: commit %d records: %w", len(payloads), err)
	}
	last := uint64(first) + uint64(len(payloads)) - 1
	for {
		cur := s.last.Load()
		if cur >= last || s.last.CompareAndSwap(cur, last) {
			break
		}
	}
	s.groups.Add(1)
	s.records.Add(uint64(len(payloads)))
	return uint64(first), nil
}

// requestSize is a request's bytes in a group.
func requestSize(r *request) int { return len(r.data) }

// writer is the one goroutine that commits groups of records.
func (s *Store) writer() {
	defer close(s.done)
	group := make([]*request, 0, 1024)
	payloads := make([][]byte, 0, 1024)
	for {
		var ok bool
		group, _, ok = groupcommit.Next(s.queue, s.stop, group, requestSize, s.opts.MaxGroupBytes)
		if !ok {
			return
		}
		payloads = payloads[:0]
		for _, r := range group {
			payloads = append(payloads, r.data)
		}
		seq, err := s.insert(context.Background(), s.pool, payloads)
		if err != nil {
			s.opts.Logger.Warn("msglog pgstore: commit failed; the waiting checks fail closed", zap.Int("records", len(group)), zap.Error(err))
		}
		for i, r := range group {
			if err != nil {
				r.err = err
			} else {
				r.seq = seq + uint64(i)
			}
			close(r.done)
		}
	}
}

// scanPage bounds how many entries one Scan query reads.
const scanPage = 500

// Scan calls fn for each entry with seq ≥ from, in order, until fn returns
// an error or no later entry is committed.
func (s *Store) Scan(from uint64, fn func(seq uint64, payload []byte) error) error {
	ctx := context.Background()
	from = max(from, 1)
	started := false
	for {
		qctx, cancel := context.WithTimeout(ctx, time.Minute)
		rows, err := s.pool.Query(qctx, "SELECT seq, payload FROM msglog_entries WHERE seq >= $1 ORDER BY seq LIMIT $2", int64(from), scanPage)
		if err != nil {
			cancel()
			return fmt.Errorf("pgstore: scan: %w", err)
		}
		type entry struct {
			seq     int64
			payload []byte
		}
		var page []entry
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.seq, &e.payload); err != nil {
				rows.Close()
				cancel()
				return fmt.Errorf("pgstore: scan: %w", err)
			}
			page = append(page, e)
		}
		rows.Close()
		cancel()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: scan: %w", err)
		}
		for _, e := range page {
			if !started && uint64(e.seq) > from {
				from = uint64(e.seq) // entries below were released
			}
			started = true
			if uint64(e.seq) != from {
				return fmt.Errorf("pgstore: scan: seq %d where %d expected (entries deleted under the sealer?)", e.seq, from)
			}
			if err := fn(uint64(e.seq), e.payload); err != nil {
				return err
			}
			from++
		}
		if len(page) < scanPage {
			return nil
		}
	}
}

// Release deletes the entries below seq (archived by the sealer).
func (s *Store) Release(seq uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.pool.Exec(ctx, "DELETE FROM msglog_entries WHERE seq < $1", int64(seq)); err != nil {
		return fmt.Errorf("pgstore: release: %w", err)
	}
	if seq > s.first.Load() {
		s.first.Store(seq)
	}
	return nil
}

// LastSeq is the highest sequence number this process knows durable.
func (s *Store) LastSeq() uint64 { return s.last.Load() }

// FirstSeq is the lowest sequence number still held, as of the last Open
// or Release.
func (s *Store) FirstSeq() uint64 { return s.first.Load() }

// Stats reports this process's commits and records since Open.
func (s *Store) Stats() (groups, records uint64) { return s.groups.Load(), s.records.Load() }

// Close waits for queued appends, then closes the pool.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
	s.closeMu.Unlock()
	<-s.done
	s.pool.Close()
	return nil
}
