package serve

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/pgstore"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/pgstore/pgtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// gatewayProc is one `tunduk serve` process of the built binary.
type gatewayProc struct {
	t       *testing.T
	bin     string
	cfgPath string
	addr    string
	cmd     *exec.Cmd
	out     *clitest.SyncBuffer
}

func (g *gatewayProc) start() {
	g.t.Helper()
	g.out = &clitest.SyncBuffer{}
	g.cmd = exec.Command(g.bin, "serve", "--config", g.cfgPath)
	g.cmd.Env = append(os.Environ(), "TUNDUK_CONFIG=")
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if r, err := http.Get("http://" + g.addr + "/healthz"); err == nil {
			r.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("tunduk serve on %s did not come up:\n%s", g.addr, g.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (g *gatewayProc) kill() {
	g.cmd.Process.Kill() // SIGKILL: no shutdown, no final seal
	g.cmd.Wait()
}

func (g *gatewayProc) stop() {
	g.t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	if err := g.cmd.Wait(); err != nil {
		g.t.Errorf("tunduk serve on %s: %v\n%s", g.addr, err, g.out.String())
	}
}

// TestPostgresGatewaysSurviveKillsAndADatabaseRestart runs two `tunduk
// serve` processes (the binary built here) on one PostgreSQL message log
// and one archive directory, under continuous load through the emulated
// security server. One gateway is SIGKILLed and restarted 10 times (the
// first kill takes the sealer away mid-run, so the other takes over);
// PostgreSQL is stopped once mid-run and started again. Meanwhile checks
// fail closed (503 with Retry-After) and recover by themselves.
// Afterwards every acknowledged check is in the archives exactly once
// (nothing sealed twice) and each group's archives verify with the
// independent verifier as one chain from its first archive.
//
// The server is a cluster this test starts with initdb/pg_ctl from the
// installed PostgreSQL, since restarting the shared test server would
// break other tests; TUNDUK_TEST_POSTGRES_URL still gates the test with
// the other Postgres tests.
func TestPostgresGatewaysSurviveKillsAndADatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster and two gateways; not in -short")
	}
	pgtest.ServerURL(t)
	began := time.Now()
	cluster := pgtest.NewCluster(t)
	dbURL := pgtest.NewDatabase(t, cluster.URL())

	bin := filepath.Join(t.TempDir(), "tunduk")
	if out, err := exec.Command("go", "build", "-o", bin, "../tunduk").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("cluster and build: %v", time.Since(began).Round(time.Second))
	ss := fixtures.NewDemo(fixtures.DemoOptions{})
	defer ss.Close()

	dir := t.TempDir()
	dsnFile := filepath.Join(dir, "msglog-db.dsn")
	os.WriteFile(dsnFile, []byte(dbURL+"\n"), 0o600)
	// Both gateways share the database and the archive directory; each has
	// its own local directory (the administrative access log).
	var gws []*gatewayProc
	var cfgPath string
	for _, name := range []string{"a", "b"} {
		d, cp, api, _ := signedLogSetup(t, ss.URL, "  backend: postgres\n  postgres: {dsnFile: "+dsnFile+"}\n  batch: {interval: 200ms}\n  rotation: {size: 1MiB}\n")
		text, _ := os.ReadFile(cp)
		text = bytes.ReplaceAll(text, []byte("archiveDir: "+d+"/archive"), []byte("archiveDir: "+dir+"/archive"))
		os.WriteFile(cp, text, 0o600)
		os.WriteFile(filepath.Join(d, "portal.key"), []byte(strings.Repeat("k", 40)), 0o600)
		gws = append(gws, &gatewayProc{t: t, bin: bin, cfgPath: cp, addr: api})
		cfgPath = cp
		_ = name
	}
	apiKey := strings.Repeat("k", 40)
	// b first, so that b holds the sealer lease and its first kill moves it.
	gws[1].start()
	time.Sleep(300 * time.Millisecond)
	gws[0].start()
	defer func() {
		for _, g := range gws {
			if g.cmd.ProcessState == nil {
				g.kill()
			}
		}
	}()

	// Load: clients alternate between the gateways until stopped.
	var (
		mu         sync.Mutex
		acked      = map[uint64]string{} // seq → X-Road message id
		unavail    atomic.Int64          // 503 answers
		noRetry    atomic.Int64          // 503 answers without Retry-After
		other      atomic.Int64          // refused connections (a killed gateway) and other failures
		dbDown     atomic.Bool
		downOK     atomic.Int64 // 200 answers while the database was down (must stay 0)
		afterRstrt [2]atomic.Int64
		restarted  atomic.Bool
	)
	client := &http.Client{Timeout: 20 * time.Second}
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				gi := (w + i) % 2
				req, _ := http.NewRequest("GET", "http://"+gws[gi].addr+"/v1/suppliers/02207200800561/tax-debt", nil)
				req.Header.Set("X-API-Key", apiKey)
				req.Header.Set("X-User-Id", "21504197800123")
				down := dbDown.Load()
				resp, err := client.Do(req)
				if err != nil {
					other.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					var res struct {
						Evidence struct{ RecordID, MessageID string } `json:"evidence"`
					}
					if err := json.Unmarshal(body, &res); err != nil {
						t.Errorf("200 without evidence: %s", body)
						continue
					}
					seq, err := msglog.ParseID(res.Evidence.RecordID)
					if err != nil {
						t.Errorf("evidence: %v", err)
						continue
					}
					mu.Lock()
					if prev, dup := acked[seq]; dup {
						t.Errorf("record %d acknowledged for %s and %s", seq, prev, res.Evidence.MessageID)
					}
					acked[seq] = res.Evidence.MessageID
					mu.Unlock()
					if down && dbDown.Load() {
						downOK.Add(1)
					}
					if restarted.Load() {
						afterRstrt[gi].Add(1)
					}
				case 503:
					unavail.Add(1)
					if resp.Header.Get("Retry-After") == "" {
						noRetry.Add(1)
					}
					time.Sleep(20 * time.Millisecond)
				default:
					if other.Add(1) < 5 {
						t.Errorf("gateway %d answered %d %s", gi, resp.StatusCode, body)
					}
				}
			}
		}()
	}

	ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	for k := 1; k <= 10; k++ {
		time.Sleep(1500 * time.Millisecond)
		gws[1].kill()
		time.Sleep(200 * time.Millisecond)
		gws[1].start()
		if k == 5 {
			// PostgreSQL goes away mid-run and comes back.
			time.Sleep(500 * time.Millisecond)
			// dbDown covers only the time the server is fully stopped: a
			// check that starts and ends inside it cannot have committed.
			cluster.Stop("fast")
			dbDown.Store(true)
			time.Sleep(2 * time.Second)
			dbDown.Store(false)
			cluster.Start()
			restarted.Store(true)
		}
		t.Logf("kill %d: %d checks acknowledged, %d answered 503, %d failed otherwise", k, ackedNow(), unavail.Load(), other.Load())
	}
	time.Sleep(2 * time.Second)
	close(stopLoad)
	wg.Wait()
	for _, g := range gws {
		g.stop()
	}
	t.Logf("load: %d acknowledged, %d answered 503 (%d without Retry-After), %d refused or failed; after the database restart: %d on a, %d on b",
		len(acked), unavail.Load(), noRetry.Load(), other.Load(), afterRstrt[0].Load(), afterRstrt[1].Load())
	if len(acked) < 100 {
		t.Fatalf("only %d checks acknowledged", len(acked))
	}
	if unavail.Load() == 0 {
		t.Error("no check answered 503 while the database was down")
	}
	if noRetry.Load() != 0 {
		t.Errorf("%d answers of 503 without Retry-After", noRetry.Load())
	}
	if downOK.Load() != 0 {
		t.Errorf("%d checks answered 200 while the database was down (acknowledged without a commit?)", downOK.Load())
	}
	if afterRstrt[0].Load() == 0 || afterRstrt[1].Load() == 0 {
		t.Error("a gateway did not recover by itself after the database came back")
	}

	t.Logf("load phase done at %v", time.Since(began).Round(time.Second))
	// Seal and archive what is left, as the next sealer would.
	archiveAll(t, cfgPath, dbURL)
	root := filepath.Join(dir, "archive")
	archives, err := msglog.ListArchives(root)
	if err != nil {
		t.Fatal(err)
	}
	// Every container once, every acknowledged seq archived; for a sample
	// of them, the archived container holds the check's X-Road message id
	// (reading all under -race would take minutes).
	sample := map[uint64]string{}
	for seq, id := range acked {
		if len(sample) == 300 {
			break
		}
		sample[seq] = id
	}
	inArchive := map[string]string{} // container entry → archive
	archived := map[uint64]bool{}
	idFound := map[uint64]bool{}
	for _, a := range archives {
		zr, err := zip.OpenReader(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			seq, ok := msglog.SeqOfEntry(f.Name)
			if !ok || filepath.Ext(f.Name) != ".asice" {
				continue
			}
			if prev, dup := inArchive[f.Name]; dup {
				t.Errorf("%s sealed twice: in %s and %s", f.Name, prev, a.Name)
			}
			inArchive[f.Name], archived[seq] = a.Name, true
			if id, ok := sample[seq]; ok && !idFound[seq] {
				idFound[seq] = containerHolds(t, f, id)
			}
		}
		zr.Close()
	}
	missing := 0
	for seq, id := range acked {
		if !archived[seq] {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged check mlog:%d (message %s) is not in the archives", seq, id)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged checks missing from the archives", missing, len(acked))
	}
	for seq, id := range sample {
		if archived[seq] && !idFound[seq] {
			t.Errorf("mlog:%d is archived but does not hold message %s", seq, id)
		}
	}
	t.Logf("archives read at %v", time.Since(began).Round(time.Second))
	// The independent verifier, as an auditor runs it (the built binary:
	// not slowed down by -race), over each group as one chain.
	groups := map[string]int{}
	for _, a := range archives {
		groups[a.Group]++
	}
	for g, n := range groups {
		out, err := exec.Command(bin, "archive", "verify", "--first", "--output", "json", filepath.Join(root, g)).CombinedOutput()
		var rep struct {
			Valid      bool `json:"valid"`
			Containers int  `json:"containers"`
			Files      []struct{ Path string }
		}
		if jerr := json.Unmarshal(out, &rep); err != nil || jerr != nil || !rep.Valid || len(rep.Files) != n {
			t.Errorf("group %q: %d archives do not verify as one chain (%v):\n%s", g, n, err, out)
			continue
		}
		t.Logf("group %q: %d archives, %d containers: one valid chain (tunduk archive verify --first)", g, n, rep.Containers)
	}
}

// containerHolds reports whether the archived container f (an ASiC-E zip)
// holds id in one of its entries.
func containerHolds(t *testing.T, f *zip.File, id string) bool {
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(b, []byte(id)) {
			return true
		}
	}
	return false
}

// archiveAll opens the configured log on the database as a third instance
// (the gateways are stopped, so it takes the sealer lease), seals what is
// pending and rotates everything into archives.
func archiveAll(t *testing.T, cfgPath, dbURL string) {
	t.Helper()
	f := cli.New(cli.IOStreams{})
	f.ConfigFlag = cfgPath
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	closeAll, err := f.WithLogKey(ctx, zap.NewNop(), func(signer crypto.Signer, cert *x509.Certificate) (io.Closer, error) {
		lo, err := cfg.MessageLog.LogOptions(signer, cert, zap.NewNop())
		if err != nil {
			return nil, err
		}
		if lo.Shared, err = pgstore.Open(ctx, pgstore.Options{URL: dbURL, Instance: "test"}); err != nil {
			return nil, err
		}
		l, err := msglog.Open(lo)
		if err != nil {
			return nil, err
		}
		if err := l.Rotate(ctx); err != nil {
			l.Close()
			return nil, fmt.Errorf("rotate: %w", err)
		}
		return l, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := closeAll(); err != nil {
		t.Fatal(err)
	}
}
