package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is a PostgreSQL backend: one parameterised query per service,
// run in a read-only transaction (use a read-only role as well). The
// query's row, as a JSON object (row_to_json: column names are the output
// field names; build nested objects with json_build_object and lists with
// json_agg), becomes the answer through the same mapping as an HTTP/JSON
// backend — the service description when there is one. No row is "not
// found"; more than one row is a technical error (aggregate them).
type Postgres struct {
	// Pool is the connection pool (pgxpool.New with the DSN).
	Pool *pgxpool.Pool
	// Query uses $1, $2, … for Args, e.g.
	// SELECT inn, name, status FROM suppliers WHERE inn = $1.
	Query string
	// Args names the request inputs passed as $1, $2, … (as text; cast in
	// SQL, e.g. $2::date, where the column is not text).
	Args []string
}

var pgParamRE = regexp.MustCompile(`\$([0-9]+)`)

func (p *Postgres) check() error {
	if p.Pool == nil {
		return errors.New("postgres backend: no connection pool")
	}
	if strings.TrimSpace(p.Query) == "" {
		return errors.New("postgres backend: no query")
	}
	if strings.Contains(p.Query, ";") {
		return errors.New("postgres backend: one statement only (no ';')")
	}
	max := 0
	for _, m := range pgParamRE.FindAllStringSubmatch(p.Query, -1) {
		n := 0
		fmt.Sscan(m[1], &n)
		if n > max {
			max = n
		}
	}
	if max != len(p.Args) {
		return fmt.Errorf("postgres backend: the query uses $1..$%d but args names %d input(s)", max, len(p.Args))
	}
	return nil
}

// queryPostgres runs the service's query and returns its one row as JSON.
func (h *Handler) queryPostgres(ctx context.Context, svc Service, in map[string]string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, svc.Timeout)
	defer cancel()
	args := make([]any, len(svc.Postgres.Args))
	for i, name := range svc.Postgres.Args {
		v, ok := in[name]
		if !ok {
			return nil, &backendError{business: true, code: "BAD_REQUEST", msg: "parameter " + name + " is required"}
		}
		args[i] = v
	}
	tx, err := svc.Postgres.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, pgErr(ctx, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, err := tx.Query(ctx, "SELECT row_to_json(q)::text FROM ("+svc.Postgres.Query+") AS q LIMIT 2", args...)
	if err != nil {
		return nil, pgErr(ctx, err)
	}
	defer rows.Close()
	var out []byte
	n := 0
	for rows.Next() {
		n++
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, pgErr(ctx, err)
		}
		if int64(len(s)) > h.opts.MaxBackendBytes {
			return nil, fmt.Errorf("postgres answer exceeds %d bytes", h.opts.MaxBackendBytes)
		}
		out = []byte(s)
	}
	if err := rows.Err(); err != nil {
		return nil, pgErr(ctx, err)
	}
	switch n {
	case 0:
		return nil, &backendError{business: true, code: "NOT_FOUND", msg: "no record matches the request"}
	case 1:
		return out, nil
	}
	return nil, errors.New("postgres backend: the query returned more than one row; aggregate rows with json_agg")
}

func pgErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("postgres backend: %w", err)
}
