package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// sealerLockKey is the pg_advisory_lock key of the sealer lease (advisory
// locks are per database, so several logs need several databases).
const sealerLockKey int64 = 0x74756e64756b02 // "tunduk" 02

// leaseProbe is how often the lease's connection is checked; a failed
// check ends the lease.
const leaseProbe = time.Second

// Lead tries to take the sealer lease on a connection of its own. It
// returns nil, nil when another instance holds it.
func (s *Store) Lead(ctx context.Context) (msglog.Lease, error) {
	cc := s.cfg.ConnConfig.Copy()
	// The server ends the session (and frees the lease) about 30 s after
	// this host stops answering keepalives.
	cc.RuntimeParams["tcp_keepalives_idle"] = "10"
	cc.RuntimeParams["tcp_keepalives_interval"] = "5"
	cc.RuntimeParams["tcp_keepalives_count"] = "4"
	cc.RuntimeParams["application_name"] = "tunduk msglog sealer"
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cc)
	if err != nil {
		return nil, fmt.Errorf("pgstore: lease: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(cctx, "SELECT pg_try_advisory_lock($1)", sealerLockKey).Scan(&ok); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("pgstore: lease: %w", err)
	}
	if !ok {
		conn.Close(context.Background())
		return nil, nil
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	l := &lease{s: s, conn: conn, id: hex.EncodeToString(id[:]), lost: make(chan struct{}), stop: make(chan struct{})}
	go l.watch()
	return l, nil
}

// lease is the sealer lease: a session advisory lock on conn. Every fenced
// write runs on conn, so it can only commit while the lock is held.
type lease struct {
	s    *Store
	id   string
	mu   sync.Mutex // guards conn (a pgx.Conn is not concurrency-safe)
	conn *pgx.Conn

	lostOnce sync.Once
	lost     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
}

func (l *lease) ID() string            { return l.id }
func (l *lease) Lost() <-chan struct{} { return l.lost }

var errLeaseLost = errors.New("pgstore: the sealer lease was lost; another instance seals now")

// watch probes the connection; a failed probe ends the lease.
func (l *lease) watch() {
	t := time.NewTicker(leaseProbe)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-l.lost:
			return
		case <-t.C:
		}
		l.mu.Lock()
		ctx, cancel := context.WithTimeout(context.Background(), 3*leaseProbe)
		err := l.conn.Ping(ctx)
		cancel()
		l.mu.Unlock()
		if err != nil {
			l.s.opts.Logger.Warn("msglog pgstore: sealer lease connection failed", zap.Error(err))
			l.end()
			return
		}
	}
}

// end marks the lease lost and closes its connection (which frees the
// lock on the server if it still held it).
func (l *lease) end() {
	l.lostOnce.Do(func() {
		close(l.lost)
		l.mu.Lock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = l.conn.Close(ctx)
		cancel()
		l.mu.Unlock()
	})
}

// do runs fn on the lease's connection, ending the lease when the
// connection broke.
func (l *lease) do(fn func(conn *pgx.Conn) error) error {
	select {
	case <-l.lost:
		return errLeaseLost
	default:
	}
	l.mu.Lock()
	err := fn(l.conn)
	broken := l.conn.IsClosed()
	l.mu.Unlock()
	if broken {
		l.end()
	}
	if err != nil && broken {
		return fmt.Errorf("%w: %w", errLeaseLost, err)
	}
	return err
}

func (l *lease) Append(ctx context.Context, payload []byte) (uint64, error) {
	var seq uint64
	err := l.do(func(conn *pgx.Conn) error {
		var err error
		seq, err = l.s.insert(ctx, conn, [][]byte{payload})
		return err
	})
	return seq, err
}

func (l *lease) State(ctx context.Context) ([]byte, error) {
	var st []byte
	err := l.do(func(conn *pgx.Conn) error {
		err := conn.QueryRow(ctx, "SELECT state FROM msglog_state WHERE id = 1").Scan(&st)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: read sealing state: %w", err)
	}
	return st, nil
}

func (l *lease) SaveState(ctx context.Context, state []byte) error {
	return l.do(func(conn *pgx.Conn) error {
		ctx, cancel := context.WithTimeout(ctx, l.s.opts.CommitTimeout)
		defer cancel()
		_, err := conn.Exec(ctx, `INSERT INTO msglog_state (id, state, holder, saved_at) VALUES (1, $1, $2, now())
			ON CONFLICT (id) DO UPDATE SET state = excluded.state, holder = excluded.holder, saved_at = excluded.saved_at`,
			state, l.s.opts.Instance)
		if err != nil {
			return fmt.Errorf("pgstore: save sealing state: %w", err)
		}
		return nil
	})
}

// Release gives the lease up by closing its connection.
func (l *lease) Release() error {
	l.stopOnce.Do(func() { close(l.stop) })
	l.end()
	return nil
}
