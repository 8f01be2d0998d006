package pgstore_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/pgstore"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/pgstore/pgtest"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

func open(t *testing.T, url, instance string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), pgstore.Options{URL: url, Instance: instance})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPostgresAppendIsGaplessAcrossInstances appends from two stores (two
// gateways) at once and checks that every acknowledged number is unique,
// that Scan sees 1..N with no gap and each payload where its number says,
// and that concurrent appends shared commits.
func TestPostgresAppendIsGaplessAcrossInstances(t *testing.T) {
	url := pgtest.NewDatabase(t, pgtest.ServerURL(t))
	stores := []*pgstore.Store{open(t, url, "a"), open(t, url, "b")}
	var mu sync.Mutex
	got := map[uint64]string{}
	var wg sync.WaitGroup
	for si, s := range stores {
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 40; i++ {
					p := fmt.Sprintf("s%d-w%d-%d", si, w, i)
					seq, err := s.Append(context.Background(), []byte(p))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if prev, dup := got[seq]; dup {
						t.Errorf("seq %d acknowledged twice: %s and %s", seq, prev, p)
					}
					got[seq] = p
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(got) != 2*16*40 {
		t.Fatalf("%d acknowledged, want %d", len(got), 2*16*40)
	}
	next := uint64(1)
	err := stores[1].Scan(1, func(seq uint64, payload []byte) error {
		if seq != next {
			return fmt.Errorf("scan: seq %d, want %d", seq, next)
		}
		if got[seq] != string(payload) {
			return fmt.Errorf("seq %d holds %q, acknowledged as %q", seq, payload, got[seq])
		}
		next++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next-1 != uint64(len(got)) {
		t.Fatalf("scan saw %d entries, want %d", next-1, len(got))
	}
	var groups, records uint64
	for _, s := range stores {
		g, r := s.Stats()
		groups, records = groups+g, records+r
	}
	t.Logf("%d records in %d commits (%.1f per commit)", records, groups, float64(records)/float64(groups))
	if groups >= records {
		t.Errorf("%d commits for %d records: concurrent appends did not share commits", groups, records)
	}
}

// TestPostgresLeaseIsExclusiveAndFenced: one instance holds the sealer
// lease, another cannot take it; when the holder's session dies the lease
// ends, the other instance takes it, and the old lease can no longer
// append a seal or save state.
func TestPostgresLeaseIsExclusiveAndFenced(t *testing.T) {
	url := pgtest.NewDatabase(t, pgtest.ServerURL(t))
	a, b := open(t, url, "a"), open(t, url, "b")
	ctx := context.Background()
	la, err := a.Lead(ctx)
	if err != nil || la == nil {
		t.Fatalf("first Lead: %v, %v", la, err)
	}
	if err := la.SaveState(ctx, []byte(`{"scanFrom":1}`)); err != nil {
		t.Fatal(err)
	}
	if lb, err := b.Lead(ctx); err != nil || lb != nil {
		t.Fatalf("second Lead while held: %v, %v; want nil, nil", lb, err)
	}
	// The holder dies: its session is terminated on the server.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tunduk msglog sealer' AND datname = current_database()"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-la.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("the lease did not notice its session ended")
	}
	if _, err := la.Append(ctx, []byte("seal")); err == nil {
		t.Fatal("a lost lease appended a seal")
	}
	if err := la.SaveState(ctx, []byte(`{"scanFrom":99}`)); err == nil {
		t.Fatal("a lost lease saved state")
	}
	lb, err := b.Lead(ctx)
	if err != nil || lb == nil {
		t.Fatalf("Lead after the holder died: %v, %v", lb, err)
	}
	defer lb.Release()
	st, err := lb.State(ctx)
	if err != nil || string(st) != `{"scanFrom":1}` {
		t.Fatalf("state = %q, %v; want what the first holder saved", st, err)
	}
}

// TestPostgresRefusesNewerSchema: a database migrated by a newer build is
// refused with a message saying what to do; the current one reopens.
func TestPostgresRefusesNewerSchema(t *testing.T) {
	url := pgtest.NewDatabase(t, pgtest.ServerURL(t))
	ctx := context.Background()
	s := open(t, url, "a")
	s.Close()
	s = open(t, url, "a") // idempotent
	s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil || v != pgstore.SchemaVersion() {
		t.Fatalf("schema_migrations at %d (%v), want %d", v, err, pgstore.SchemaVersion())
	}
	if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, 'from-the-future.sql')", v+1); err != nil {
		t.Fatal(err)
	}
	_, err = pgstore.Open(ctx, pgstore.Options{URL: url})
	if !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: %v; want ErrSchemaTooNew", err)
	}
	t.Log(err)
}

// TestPostgresURLNeverInErrors: a URL that does not parse is refused
// without repeating it (it holds the password).
func TestPostgresURLNeverInErrors(t *testing.T) {
	_, err := pgstore.Open(context.Background(), pgstore.Options{URL: "postgres://u:s3cret@[::1:5432/db"})
	if err == nil || bytes.Contains([]byte(err.Error()), []byte("s3cret")) {
		t.Fatalf("err = %v", err)
	}
}

// TestPostgresLogsShareOneChain runs two message logs (two gateways) on one
// database and one archive directory. Both append; the sealer closes
// mid-run and the other takes over; afterwards every acknowledged record
// is archived exactly once and the archives verify as one chain per group.
func TestPostgresLogsShareOneChain(t *testing.T) {
	url := pgtest.NewDatabase(t, pgtest.ServerURL(t))
	archive := t.TempDir()
	signer, cert := certstest.Signing(t)
	regs := map[*msglog.Log]*prometheus.Registry{}
	openLog := func(name string) *msglog.Log {
		s, err := pgstore.Open(context.Background(), pgstore.Options{URL: url, Instance: name})
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		l, err := msglog.Open(msglog.Options{Shared: s, ArchiveDir: archive, Signer: signer, Certificate: cert, Registerer: reg,
			BatchInterval: 20 * time.Millisecond, BatchSize: 50, RotateInterval: time.Hour, GroupBy: msglog.GroupMember})
		regs[l] = reg
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	members := []string{"central-server/GOV/70000001/portal", "central-server/COM/70000009/shop"}
	logs := []*msglog.Log{openLog("a"), openLog("b")}
	if a, b := sealerGauge(t, regs[logs[0]]), sealerGauge(t, regs[logs[1]]); a != 1 || b != 0 {
		t.Errorf("tunduk_msglog_sealer: first log %v, second %v; want 1 and 0", a, b)
	}
	acked := map[uint64]bool{}
	var mu sync.Mutex
	ctx := context.Background()
	appendSome := func(l *msglog.Log, n, base int) {
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < n; i++ {
					k := base + w*n + i
					seq, err := l.Append(ctx, exchange(k, members[k%2]))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					acked[seq] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	var wg sync.WaitGroup
	for i, l := range logs {
		wg.Add(1)
		go func() { defer wg.Done(); appendSome(l, 30, i*1000) }()
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // some batches sealed by the first sealer
	if err := logs[0].Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := logs[1].Rotate(ctx); err != nil { // not the sealer: nothing to do
		t.Fatal(err)
	}
	// The sealer goes away; the other instance takes over and continues
	// both chains.
	if err := logs[0].Close(); err != nil {
		t.Fatal(err)
	}
	appendSome(logs[1], 20, 5000)
	logs[0] = openLog("a2")
	appendSome(logs[0], 20, 7000)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Rotate on whichever leads until nothing is left in the store.
		for _, l := range logs {
			if err := l.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if archivedSeqs(t, archive, nil) >= len(acked) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, l := range logs {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint64]int{}
	archivedSeqs(t, archive, seen)
	for seq := range acked {
		if seen[seq] == 0 {
			t.Errorf("acknowledged record %d is in no archive", seq)
		}
	}
	for seq, n := range seen {
		if n != 2 { // format 2: an exchange is two containers
			t.Errorf("record %d archived as %d containers, want 2", seq, n)
		}
	}
	checkChains(t, archive, len(members))
}

func sealerGauge(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "tunduk_msglog_sealer" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no tunduk_msglog_sealer")
	return 0
}

// archivedSeqs counts the containers of each record seq in every archive
// under root (into seen when not nil) and returns how many records.
func archivedSeqs(t *testing.T, root string, seen map[uint64]int) int {
	t.Helper()
	if seen == nil {
		seen = map[uint64]int{}
	}
	archives, err := msglog.ListArchives(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range archives {
		zr, err := zip.OpenReader(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if seq, ok := msglog.SeqOfEntry(f.Name); ok && filepath.Ext(f.Name) == ".asice" {
				seen[seq]++
			}
		}
		zr.Close()
	}
	return len(seen)
}

// checkChains runs the independent verifier over each group directory as
// one chain from its first archive.
func checkChains(t *testing.T, root string, groups int) {
	t.Helper()
	archives, err := msglog.ListArchives(root)
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{}
	for _, a := range archives {
		dirs[filepath.Join(root, a.Group)] = true
	}
	if len(dirs) != groups {
		t.Fatalf("archives in %d group directories, want %d", len(dirs), groups)
	}
	for d := range dirs {
		rep, err := verify.New(verify.Options{}).Paths([]string{d}, verify.ChainOptions{First: true})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Valid() {
			var b bytes.Buffer
			rep.WriteText(&b)
			t.Fatalf("%s does not verify as one chain:\n%s", d, b.String())
		}
		t.Logf("%s: %d archives, %d containers, one chain", filepath.Base(d), len(rep.Files), rep.Containers)
	}
}

func exchange(i int, member string) *msglog.Record {
	return &msglog.Record{
		Type: msglog.TypeExchange, Member: member,
		Exchange: &msglog.Exchange{
			Direction: "consumer", Protocol: "soap", MessageID: fmt.Sprintf("msg-%05d", i), Client: member,
			Service: "central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1", Outcome: "ok",
			Request:  msglog.Message{ContentType: "text/xml", Body: []byte(fmt.Sprintf("<req n='%d'/>", i))},
			Response: msglog.Message{ContentType: "text/xml", Body: []byte(fmt.Sprintf("<resp n='%d'/>", i))},
		},
	}
}
