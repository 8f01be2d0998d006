package opmon_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

// clock is a fake clock in whole seconds shared by the emulator and the
// collector, so record timestamps and query bounds are deterministic.
type clock struct{ sec atomic.Int64 }

func (c *clock) Now() time.Time   { return time.Unix(c.sec.Load(), 0) }
func (c *clock) Advance(s int64)  { c.sec.Add(s) }
func newClock(start int64) *clock { c := &clock{}; c.sec.Store(start); return c }

// collected records what observers saw.
type collected struct {
	mu     sync.Mutex
	byID   map[string]int
	faults map[string]string
	health *opmon.Health
}

func newCollected() *collected {
	return &collected{byID: map[string]int{}, faults: map[string]string{}}
}

func (c *collected) Observe(r *opmon.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID[r.MessageID]++
	if !r.Succeeded {
		c.faults[r.MessageID] = r.FaultCode()
	}
}

func (c *collected) ObserveHealth(h *opmon.Health) { c.mu.Lock(); c.health = h; c.mu.Unlock() }

var (
	monClient = "TEST/GOV/70000001/monitor"
	echoID    = "TEST/GOV/70000002/gns-service/echo/v1"
	serverID  = soap.SecurityServerID{Instance: "TEST", MemberClass: "GOV", MemberCode: "70000001", ServerCode: "ss1"}
	echoBody  = `<tns:x>1</tns:x>`
)

type loop struct {
	t     *testing.T
	clk   *clock
	ss    *xroadtest.SecurityServer
	cl    *ssclient.Client
	sent  []string // message ids of the echo calls
	fault map[string]bool
}

func newLoop(t *testing.T, pageSize int) *loop {
	clk := newClock(1_800_000_000)
	ss := xroadtest.NewSecurityServer(xroadtest.Options{OpmonPageSize: pageSize, Now: clk.Now})
	t.Cleanup(ss.Close)
	svc, _ := soap.ParseServiceID(echoID)
	ss.HandleFunc(svc, func(_ context.Context, req *soap.Message) (*soap.Message, error) {
		return soap.NewResponse(req, xroadtest.TestNamespace, []byte("<ok/>"))
	})
	client, _ := soap.ParseClientID(monClient)
	cl, err := ssclient.New(ssclient.Options{URL: ss.URL, Client: client, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &loop{t: t, clk: clk, ss: ss, cl: cl, fault: map[string]bool{}}
}

// traffic makes n echo calls, perSecond of them in each second; every
// faultEvery-th is answered with an injected X-Road fault.
func (l *loop) traffic(n, perSecond, faultEvery int) {
	svc, _ := soap.ParseServiceID(echoID)
	for i := range n {
		if i > 0 && i%perSecond == 0 {
			l.clk.Advance(1)
		}
		failing := faultEvery > 0 && (len(l.sent)+1)%faultEvery == 0
		if failing {
			l.ss.Inject(svc, xroadtest.Injection{Times: 1, FaultCode: "server.serverproxy.service_failed.network_error"})
		}
		req := xroadtest.NewRequest(monClient, echoID, echoBody)
		id := req.Header().ID
		_, err := l.cl.Do(context.Background(), req, ssclient.CallOptions{})
		if failing != (err != nil) {
			l.t.Fatalf("call %d: failing=%v err=%v", i, failing, err)
		}
		l.sent = append(l.sent, id)
		l.fault[id] = failing
	}
	l.clk.Advance(1)
}

func (l *loop) collector(state string, obs opmon.Observer) *opmon.Collector {
	c, err := opmon.New(opmon.Options{Querier: &opmon.Querier{SS: l.cl, Server: serverID}, StateFile: state,
		RecordsToOffset: time.Second, Lookback: time.Hour, Observers: []opmon.Observer{obs}, Now: l.clk.Now})
	if err != nil {
		l.t.Fatal(err)
	}
	return c
}

// TestCollectorLoopRestart runs the whole loop over loopback: traffic
// through the emulator, collection in pages of 7 records, a restart from
// the state file, more traffic, collection again. Every call's record is
// seen exactly once, with its fault code; nothing is read twice.
func TestCollectorLoopRestart(t *testing.T) {
	l := newLoop(t, 7)
	state := filepath.Join(t.TempDir(), "opmon.json")
	seen := newCollected()

	// traffic ends one second after its last call: with RecordsToOffset 1s
	// the last second's records are left for the next round.
	l.traffic(40, 3, 5)
	r1, err := l.collector(state, seen).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r1.Pages < 6 || r1.Records >= 40 || r1.Records < 30 || !r1.Complete {
		t.Fatalf("round 1 = %+v, want ≥6 pages of ≤7 records holding back the last second's records, complete", r1)
	}

	// Restart: a new collector from the same state file, after more traffic.
	l.traffic(25, 4, 4)
	c2 := l.collector(state, seen)
	if c2.Position() != r1.Next {
		t.Fatalf("restarted at %d, saved %d", c2.Position(), r1.Next)
	}
	r2, err := c2.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A round with nothing new reads nothing.
	l.clk.Advance(2)
	r3, err := c2.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	for id, n := range seen.byID {
		if n != 1 {
			t.Errorf("record %s seen %d times", id, n)
		}
	}
	faults := 0
	for _, id := range l.sent {
		if seen.byID[id] != 1 {
			t.Errorf("call %s: record seen %d times, want 1", id, seen.byID[id])
		}
		if l.fault[id] {
			faults++
			if seen.faults[id] != "server.serverproxy.service_failed.network_error" {
				t.Errorf("call %s: fault code %q", id, seen.faults[id])
			}
		} else if _, bad := seen.faults[id]; bad {
			t.Errorf("call %s recorded as failed", id)
		}
	}
	if total := r1.Records + r2.Records + r3.Records; total != len(seen.byID) || total != l.ss.OperationalRecords()-r3.Pages-1 {
		// every record the emulator holds was collected, except those the
		// last round's own queries added (one per page plus its health query)
		t.Errorf("collected %d (%d distinct), emulator holds %d", total, len(seen.byID), l.ss.OperationalRecords())
	}
	if seen.health == nil {
		t.Fatal("no health data observed")
	}
	var echo *opmon.ServiceEvents
	for i := range seen.health.Services {
		if seen.health.Services[i].Service.ID().String() == echoID {
			echo = &seen.health.Services[i]
		}
	}
	if echo == nil || echo.Stats.Successful != len(l.sent)-faults || echo.Stats.Unsuccessful != faults || echo.LastSuccessful == 0 || echo.LastFailed == 0 {
		t.Fatalf("health of echo = %+v, want %d ok / %d failed", echo, len(l.sent)-faults, faults)
	}
}

// TestCollectorLoopSSFaults: the security server refuses the monitoring
// queries over loopback, in both fault-code styles. A refused round keeps
// its position (nothing skipped), names the code in its error and in
// tunduk_ss_opmon_errors_total; a refused health query after the pages
// were read keeps their position (nothing read twice); once the SS
// answers again every record is seen exactly once.
func TestCollectorLoopSSFaults(t *testing.T) {
	l := newLoop(t, 5)
	state := filepath.Join(t.TempDir(), "opmon.json")
	seen := newCollected()
	m, reg := newMetrics(t, opmon.MetricsOptions{})
	c, err := opmon.New(opmon.Options{Querier: &opmon.Querier{SS: l.cl, Server: serverID}, StateFile: state, RecordsToOffset: time.Second,
		Lookback: time.Hour, Observers: []opmon.Observer{seen, m}, Now: l.clk.Now, OnRound: m.ObserveRound})
	if err != nil {
		t.Fatal(err)
	}
	owner := soap.ClientID{Instance: serverID.Instance, MemberClass: serverID.MemberClass, MemberCode: serverID.MemberCode}
	opData := soap.ServiceID{ClientID: owner, ServiceCode: xroadtest.MetaOperationalData}
	health := soap.ServiceID{ClientID: owner, ServiceCode: xroadtest.MetaHealthData}
	l.traffic(20, 4, 0)
	start := c.Position()

	// Both styles are one code in errors and metrics (ssclient normalises
	// them); the raw code is kept.
	const canonical = "Server.ServerProxy.AccessDenied"
	for i, code := range []string{canonical, "server.serverproxy.access_denied"} {
		l.ss.Inject(opData, xroadtest.Injection{Times: 1, FaultCode: code, FaultString: "Request is not allowed: monitoring"})
		r, err := c.Collect(context.Background())
		var qe *opmon.QueryError
		var fe *ssclient.FaultError
		if !errors.As(err, &qe) || !errors.As(err, &fe) || fe.Code != canonical || fe.RawCode != code || !strings.Contains(err.Error(), "Code: "+canonical) ||
			!strings.Contains(err.Error(), "Request is not allowed: monitoring") {
			t.Fatalf("refused round (%s): err = %v", code, err)
		}
		if r.Records != 0 || c.Position() != start {
			t.Fatalf("refused round (%s) moved: %+v, position %d, want %d", code, r, c.Position(), start)
		}
		if v, _ := mustCounter(reg, "tunduk_ss_opmon_errors_total", []string{canonical}); v != float64(i+1) {
			t.Errorf("tunduk_ss_opmon_errors_total{fault_code=%q} = %v, want %d", canonical, v, i+1)
		}
	}
	if len(seen.byID) != 0 {
		t.Fatalf("records observed from refused rounds: %d", len(seen.byID))
	}

	// The pages are read, then the health query is refused: the round
	// fails, but the pages' position is kept.
	l.ss.Inject(health, xroadtest.Injection{Times: 1, FaultCode: "Server.ServerProxy.ServiceFailed.NetworkError"})
	r, err := c.Collect(context.Background())
	if err == nil || r.Records == 0 || c.Position() <= start {
		t.Fatalf("health refused after the pages: %+v, err %v, position %d", r, err, c.Position())
	}
	afterPages := c.Position()
	// Restart from the state file, more traffic, collect: nothing twice.
	l.traffic(10, 5, 0)
	c2, err := opmon.New(opmon.Options{Querier: &opmon.Querier{SS: l.cl, Server: serverID}, StateFile: state, RecordsToOffset: time.Second,
		Lookback: time.Hour, Observers: []opmon.Observer{seen}, Now: l.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Position() != afterPages {
		t.Fatalf("restart at %d, want %d", c2.Position(), afterPages)
	}
	l.clk.Advance(2) // past RecordsToOffset: the last second's records are due
	if _, err := c2.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range l.sent {
		if seen.byID[id] != 1 {
			t.Errorf("call %s: record seen %d times, want 1", id, seen.byID[id])
		}
	}
}
