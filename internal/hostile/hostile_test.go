package hostile_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/cmd/root"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange/exchangetest"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
	"github.com/tunduk-kg/tunduk/internal/testkit/zipbomb"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

const (
	dir       = "../../testdata/hostile"
	portalKey = "hostile-portal-key-0123456789abcdef0123456789"
	cliEnv    = "TUNDUK_HOSTILE_CLI"
	rssEnv    = "TUNDUK_HOSTILE_RSS" // where the child writes its peak RSS

	providerID = "central-server/GOV/70000099/zakupki-registry"
	consumerID = "central-server/GOV/70000001/zakupki-portal"
)

// TestMain doubles as the tunduk command: the CLI cases re-execute this
// binary with TUNDUK_HOSTILE_CLI=1, so each runs in its own process whose
// CPU time and peak RSS the kernel reports exactly.
func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		code := root.Main(os.Args[1:])
		writePeakRSS(os.Getenv(rssEnv))
		os.Exit(int(code))
	}
	os.Exit(m.Run())
}

// writePeakRSS writes the process's peak resident set (VmHWM, kB) to
// path. The kernel's ru_maxrss of a child started with vfork+exec still
// holds the parent's peak, so the child reports its own.
func writePeakRSS(path string) {
	if path == "" {
		return
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			_ = os.WriteFile(path, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))), 0o600)
		}
	}
}

// hostileCase is one row of cases.tsv.
type hostileCase struct {
	name, entry, input string
	want               int
	cpu                time.Duration
	memMB              int
	checks             map[string]string
	pending            string // "http", "provider": the fix lands on that branch
}

func loadCases(t *testing.T) []hostileCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []hostileCase
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if i == 0 || strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 6 {
			t.Fatalf("cases.tsv:%d: %d columns, want case, entry, input, want, cpu_ms, mem_mb[, check[, note]]", i+1, len(f))
		}
		for len(f) < 8 {
			f = append(f, "")
		}
		c := hostileCase{name: f[0], entry: f[1], input: f[2], checks: map[string]string{}}
		var err1, err2, err3 error
		var cpu int
		c.want, err1 = strconv.Atoi(f[3])
		cpu, err2 = strconv.Atoi(f[4])
		c.memMB, err3 = strconv.Atoi(f[5])
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("cases.tsv:%d: want, cpu_ms and mem_mb must be integers", i+1)
		}
		c.cpu = time.Duration(cpu) * time.Millisecond
		for _, kv := range strings.Fields(f[6]) {
			k, v, _ := strings.Cut(kv, "=")
			c.checks[k] = v
		}
		if p, ok := strings.CutPrefix(f[7], "pending:"); ok {
			c.pending, _, _ = strings.Cut(p, " ")
		}
		out = append(out, c)
	}
	return out
}

// outcome is what a case produced and what it cost.
type outcome struct {
	status  int    // HTTP status or exit code
	code    string // portal: error.code
	fault   string // provider: the SOAP fault code
	cpu     time.Duration
	memMB   float64 // in-process: MB allocated; CLI: peak RSS
	ssCalls int     // portal/ssanswer: requests that reached the security server
	backend int     // provider: backend calls
	detail  string
}

// TestHostileInputs runs testdata/hostile/cases.tsv: every case must end
// with its status or exit code within its CPU and memory budget (CPU time
// of the process, or of the child for CLI cases; memory as bytes allocated
// in-process, or peak RSS of the child). Cases marked pending:BRANCH are
// run, and skipped with that reason when they fail.
func TestHostileInputs(t *testing.T) {
	cases := loadCases(t)
	env := newEnv(t)
	failed := 0
	for _, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) {
			in, err := input(c)
			if err != nil {
				t.Fatal(err)
			}
			var o outcome
			switch c.entry {
			case "portal":
				o = env.portal(t, in)
			case "provider":
				o = env.provider(t, in)
			case "ssanswer":
				o = env.ssAnswer(t, in)
			case "validate":
				o = runCLI(t, in, "soap", "validate")
			case "verify":
				o = runCLI(t, in, "archive", "verify", "-f")
			default:
				t.Fatalf("unknown entry point %q", c.entry)
			}
			problems := judge(c, o)
			t.Logf("%s: status %d, %v CPU, %.1f MB (budget %v, %d MB) %s", c.name, o.status, o.cpu.Round(time.Millisecond), o.memMB, c.cpu, c.memMB, o.detail)
			if len(problems) == 0 {
				if c.pending != "" {
					t.Logf("passes now: remove pending:%s from cases.tsv", c.pending)
				}
				return
			}
			if c.pending != "" {
				t.Skipf("pending:%s (the fix belongs to branch %s): %s", c.pending, c.pending, strings.Join(problems, "; "))
			}
			t.Error(strings.Join(problems, "; "))
		})
		if !ok {
			failed++
		}
	}
	if failed > 0 {
		t.Logf("%d of %d hostile cases failed", failed, len(cases))
	}
}

func judge(c hostileCase, o outcome) []string {
	var p []string
	if o.status != c.want {
		p = append(p, fmt.Sprintf("status %d, want %d", o.status, c.want))
	}
	if o.cpu > c.cpu {
		p = append(p, fmt.Sprintf("%v of CPU, budget %v", o.cpu.Round(time.Millisecond), c.cpu))
	}
	if o.memMB > float64(c.memMB) {
		p = append(p, fmt.Sprintf("%.1f MB, budget %d MB", o.memMB, c.memMB))
	}
	for k, v := range c.checks {
		switch k {
		case "code":
			if o.code != v {
				p = append(p, fmt.Sprintf("error code %q, want %q", o.code, v))
			}
		case "fault":
			if !strings.HasPrefix(o.fault, v) {
				p = append(p, fmt.Sprintf("fault %q, want %s…", o.fault, v))
			}
		case "ss":
			if n, _ := strconv.Atoi(v); o.ssCalls != n {
				p = append(p, fmt.Sprintf("%d calls reached the security server, want %d", o.ssCalls, n))
			}
		case "backend":
			if n, _ := strconv.Atoi(v); o.backend != n {
				p = append(p, fmt.Sprintf("%d backend calls, want %d", o.backend, n))
			}
		default:
			p = append(p, "unknown check "+k)
		}
	}
	return p
}

// measure runs f in-process and reports its CPU time (the whole process:
// client, gateway, emulator and providers are all this process) and the
// bytes it allocated.
func measure(f func()) (time.Duration, float64) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0 := cputime.Process()
	f()
	c1 := cputime.Process()
	runtime.ReadMemStats(&m1)
	return c1 - c0, float64(m1.TotalAlloc-m0.TotalAlloc) / (1 << 20)
}

// env is the chain every in-process case runs against, on loopback: the
// portal API (gateway → runner → ssclient) in front of an emulated
// security server with the fixture providers, and a provider listener
// with its own backend.
type env struct {
	ss       *xroadtest.SecurityServer
	api      string
	prov     string
	backends atomic.Int32
	provSvc  soap.ServiceID
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{}
	e.ss = fixtures.NewDemo(fixtures.DemoOptions{})
	t.Cleanup(e.ss.Close)
	sc, err := ssclient.New(ssclient.Options{URL: e.ss.URL, Client: fixtures.PortalClient, Timeout: 20 * time.Second,
		Retry: ssclient.RetryOptions{MaxAttempts: 1}, Breaker: ssclient.BreakerOptions{FailureThreshold: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Close)
	ms, err := mapping.LoadDir("../../configs/mappings")
	if err != nil {
		t.Fatal(err)
	}
	j := &exchangetest.Memory{}
	metrics, err := observe.NewMetrics(observe.MetricsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := adapter.NewRunner(adapter.RunnerOptions{Mappings: ms, Transport: sc, Journal: j, Client: fixtures.PortalClient,
		UserIDPrefix: "KG", SecurityServerURL: e.ss.URL, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(gateway.Options{Checker: r, Metrics: metrics, Callers: []gateway.Caller{{Name: "portal", APIKey: portalKey, Checks: []string{"*"}}}})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(g)
	t.Cleanup(api.Close)
	e.api = api.Listener.Addr().String()

	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.backends.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"name":"ОсОО Ала-Тоо","registered":true}`))
	}))
	t.Cleanup(be.Close)
	prov, _ := soap.ParseClientID(providerID)
	pj := &exchangetest.Memory{}
	h, err := provider.New(provider.Options{Provider: prov, Recorder: pj, Services: []provider.Service{{
		Code: "getSupplier", Version: "v1", Backend: be.URL + "/suppliers/{inn}", Required: []string{"inn"}, Timeout: 5 * time.Second,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(h)
	t.Cleanup(ps.Close)
	e.prov = ps.URL
	e.provSvc, _ = soap.ParseServiceID(providerID + "/getSupplier/v1")
	return e
}

// portal sends the raw request bytes to the portal API over a plain TCP
// connection (so duplicate headers and invalid bytes reach the server
// as written) and reads the answer.
func (e *env) portal(t *testing.T, raw []byte) outcome {
	t.Helper()
	before := e.ss.Received(fixtures.TaxDebtService) + e.ss.Received(fixtures.FoundersService)
	var o outcome
	o.cpu, o.memMB = measure(func() {
		conn, err := net.Dial("tcp", e.api)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
		go func() { _, _ = conn.Write(raw) }()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no HTTP answer: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		o.status = resp.StatusCode
		var eb struct {
			Code  string                `json:"code"` // application/problem+json
			Error struct{ Code string } `json:"error"`
		}
		if json.Unmarshal(body, &eb) == nil {
			o.code = eb.Code
			if o.code == "" {
				o.code = eb.Error.Code
			}
		}
		o.detail = truncate(string(body), 160)
	})
	o.ssCalls = e.ss.Received(fixtures.TaxDebtService) + e.ss.Received(fixtures.FoundersService) - before
	return o
}

// provider posts a SOAP request to the provider listener, as the security
// server would.
func (e *env) provider(t *testing.T, body []byte) outcome {
	t.Helper()
	before := e.backends.Load()
	var o outcome
	o.cpu, o.memMB = measure(func() {
		resp, err := http.Post(e.prov, "text/xml; charset=UTF-8", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		o.status = resp.StatusCode
		m, err := soap.Parse(resp.Body, resp.Header.Get("Content-Type"), soap.Limits{})
		if err != nil {
			o.detail = "answer unparsable: " + err.Error()
			return
		}
		if f, ok := m.Fault(); ok {
			o.fault = f.Code
			o.detail = f.Code + ": " + truncate(f.String, 120)
		}
	})
	o.backend = int(e.backends.Load() - before)
	return o
}

// ssAnswer makes the emulated security server answer the next tax-debt
// call with body, and asks the portal API for that check.
func (e *env) ssAnswer(t *testing.T, body []byte) outcome {
	t.Helper()
	e.ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Malformed: true, MalformedBody: body, MalformedContentType: "text/xml; charset=UTF-8"})
	defer e.ss.ClearInjections(fixtures.TaxDebtService)
	req := "GET /v1/suppliers/" + fixtures.Default().INNClean() + "/tax-debt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + portalKey +
		"\r\nX-User-Id: 21504197800123\r\nConnection: close\r\n\r\n"
	return e.portal(t, []byte(req))
}

// runCLI runs `tunduk ARGS… FILE` in a child process (this test binary
// as the tunduk command) and reports its exit code, CPU time and peak RSS.
func runCLI(t *testing.T, in []byte, args ...string) outcome {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input")
	if strings.Contains(strings.Join(args, " "), "archive") {
		path += ".zip"
	}
	if err := os.WriteFile(path, in, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append(args, path)...)
	rss := filepath.Join(t.TempDir(), "rss")
	cmd.Env = append(os.Environ(), cliEnv+"=1", rssEnv+"="+rss)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("tunduk %s did not run: %v", strings.Join(args, " "), err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	o := outcome{
		status: cmd.ProcessState.ExitCode(),
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		detail: truncate(strings.TrimSpace(out.String()), 200),
	}
	kb, err := os.ReadFile(rss)
	if err != nil {
		t.Fatalf("the child did not report its peak RSS (Linux /proc needed): %v", err)
	}
	n, _ := strconv.Atoi(string(kb))
	o.memMB = float64(n) / 1024
	return o
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// input returns a case's bytes: a file under testdata/hostile, or a
// generated input (gen:NAME) too large to keep in the repository.
func input(c hostileCase) ([]byte, error) {
	name, ok := strings.CutPrefix(c.input, "gen:")
	if !ok {
		b, err := os.ReadFile(filepath.Join(dir, c.input))
		if err != nil {
			return nil, err
		}
		if c.entry == "portal" {
			return rawRequest(b), nil
		}
		return b, nil
	}
	return generate(name)
}

// rawRequest turns a request file (LF line ends, no Content-Length) into
// wire bytes: CRLF in the head, Content-Length computed, the connection
// closed after the answer.
func rawRequest(b []byte) []byte {
	head, body, _ := bytes.Cut(b, []byte("\n\n"))
	var out bytes.Buffer
	for _, l := range bytes.Split(head, []byte("\n")) {
		if bytes.HasPrefix(bytes.ToLower(l), []byte("content-length:")) {
			continue
		}
		out.Write(l)
		out.WriteString("\r\n")
	}
	if len(body) > 0 {
		fmt.Fprintf(&out, "Content-Length: %d\r\n", len(body))
	}
	out.WriteString("Connection: close\r\n\r\n")
	out.Write(body)
	return out.Bytes()
}

func generate(name string) ([]byte, error) {
	num := func(prefix string) int {
		s := strings.TrimPrefix(name, prefix)
		mult := 1
		if v, ok := strings.CutSuffix(s, "MiB"); ok {
			s, mult = v, 1<<20
		} else if v, ok := strings.CutSuffix(s, "KiB"); ok {
			s, mult = v, 1<<10
		}
		n, _ := strconv.Atoi(s)
		return n * mult
	}
	switch {
	case strings.HasPrefix(name, "portal-body-"):
		body := `{"inn":"` + strings.Repeat("0", num("portal-body-")) + `"}`
		return rawRequest([]byte("POST /v1/supplier-checks HTTP/1.1\nHost: x\nAuthorization: Bearer " + portalKey +
			"\nX-User-Id: 21504197800123\nContent-Type: application/json\n\n" + body)), nil
	case strings.HasPrefix(name, "portal-trailing-space-"):
		body := `{"inn":"01503201010234","checks":["founders"]}` + strings.Repeat(" ", num("portal-trailing-space-"))
		return rawRequest([]byte("POST /v1/supplier-checks HTTP/1.1\nHost: x\nAuthorization: Bearer " + portalKey +
			"\nX-User-Id: 21504197800123\nContent-Type: application/json\n\n" + body)), nil
	case name == "provider-ok":
		return providerRequest("<request><inn>01234567890123</inn></request>", ""), nil
	case strings.HasPrefix(name, "provider-body:"):
		b, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(name, "provider-body:")))
		return providerRequest(string(b), ""), err
	case strings.HasPrefix(name, "provider-attrs-"):
		return providerRequest("<request><inn>01234567890123</inn></request>", attrs(num("provider-attrs-"))), nil
	case strings.HasPrefix(name, "provider-deep-"):
		n := num("provider-deep-")
		return providerRequest("<request><inn>01234567890123</inn>"+strings.Repeat("<d>", n)+strings.Repeat("</d>", n)+"</request>", ""), nil
	case name == "provider-ns-flood":
		var ns strings.Builder
		for i := range 250 {
			fmt.Fprintf(&ns, ` xmlns:p%d="urn:p%d"`, i, i)
		}
		return providerRequest("<request><inn>01234567890123</inn>"+strings.Repeat("<a/>", 100000)+"</request>", ns.String()), nil
	case strings.HasPrefix(name, "answer-attrs-"):
		return envelope("<tpDataResponse" + attrs(num("answer-attrs-")) + "/>"), nil
	case strings.HasPrefix(name, "answer-size-"):
		return envelope("<r>" + strings.Repeat("a", num("answer-size-")) + "</r>"), nil
	case strings.HasPrefix(name, "soap-attrs-"):
		return envelope("<op" + attrs(num("soap-attrs-")) + "/>"), nil
	case strings.HasPrefix(name, "soap-deep-"):
		n := num("soap-deep-")
		return envelope(strings.Repeat("<d>", n) + strings.Repeat("</d>", n)), nil
	case name == "archive-bomb":
		// two 250 MiB entries in 500 KB: each under the old 256 MiB entry
		// limit, together under the old 512 MiB container limit
		return archive(bombContainer(250<<20, "message.xml", "attachment1")), nil
	case name == "archive-ratio":
		return archive(bombContainer(4<<20, "message.xml")), nil
	}
	return nil, fmt.Errorf("unknown generator %q", name)
}

func attrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` a%d="v"`, i)
	}
	return b.String()
}

func envelope(body string) []byte {
	return []byte(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>` + body + `</SOAP-ENV:Body></SOAP-ENV:Envelope>`)
}

// providerRequest is a valid X-Road request for getSupplier whose body is
// inner; extra (attributes) is spliced into the wrapper's start tag after
// the request is built, so the builder's own checks do not refuse it.
func providerRequest(inner, extra string) []byte {
	req := xroadtest.NewRequest(consumerID, providerID+"/getSupplier/v1", "<getSupplierBODY/>")
	b := req.Bytes()
	i := bytes.Index(b, []byte("<getSupplierBODY/>"))
	var out bytes.Buffer
	out.Write(b[:i])
	out.WriteString("<getSupplier" + extra + ">" + inner + "</getSupplier>")
	out.Write(b[i+len("<getSupplierBODY/>"):])
	return out.Bytes()
}

// bombContainer is an ASiC-E container whose named entries are each size
// bytes of spaces, deflated.
func bombContainer(size int, names ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range [][2]string{{"mimetype", "application/vnd.etsi.asic-e+zip"}, {"META-INF/signatures.xml", "<s/>"}} {
		w, _ := zw.Create(e[0])
		_, _ = w.Write([]byte(e[1]))
	}
	raw, crc := zipbomb.Deflate(size)
	for _, n := range names {
		w, _ := zw.CreateRaw(&zip.FileHeader{Name: n, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(size)})
		_, _ = w.Write(raw)
	}
	_ = zw.Close()
	return buf.Bytes()
}

// archive wraps a container into an mlog archive with a linkinginfo that
// names it (the digest does not matter: the container is refused first).
func archive(container []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mlog-1.asice", Method: zip.Store})
	_, _ = w.Write(container)
	w, _ = zw.Create("linkinginfo")
	_, _ = w.Write([]byte("- - SHA-512\n" + strings.Repeat("00", 64) + " mlog-1.asice\n"))
	_ = zw.Close()
	return buf.Bytes()
}
