package xroadtest_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

// expectation is a row of the corpus's soap/expectations.tsv.
type expectation struct {
	file, role, contentType, extras, outcome, code, scope, verdict, detect string
}

func expectations(t *testing.T, dir string) []expectation {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "expectations.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectation
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 14 {
			t.Fatalf("short row %q", sc.Text())
		}
		out = append(out, expectation{file: c[0], role: c[1], contentType: c[2], extras: c[3], outcome: c[5], code: c[6], scope: c[9], verdict: c[11], detect: c[12]})
	}
	return out
}

// TestCorpusRequestsRejected sends every request the X-Road proxy suite
// expects a security server to reject (and an adapter to detect) and checks
// the emulator answers with the same fault code.
func TestCorpusRequestsRejected(t *testing.T) {
	dir := corpusDir(t)
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	n := 0
	for _, e := range expectations(t, dir) {
		if e.role != "request" || e.scope != "proxy-suite" || e.verdict != "reject" || e.detect != "yes" || e.outcome != "fault" {
			continue
		}
		n++
		t.Run(e.file+" "+e.contentType+" "+e.extras, func(t *testing.T) {
			body := readFile(t, dir, e.file)
			method := http.MethodPost
			req, _ := http.NewRequest(method, ss.URL, bytes.NewReader(body))
			switch {
			case e.extras == "HTTP GET":
				req.Method = http.MethodGet
			case strings.HasPrefix(e.extras, "HTTP header SOAPAction: "):
				req.Header.Set("SOAPAction", strings.TrimPrefix(e.extras, "HTTP header SOAPAction: "))
			case e.extras != "-":
				t.Skipf("harness extra %q not reproduced", e.extras)
			}
			req.Header.Set("Content-Type", e.contentType)
			resp, err := ss.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			m, err := soap.ParseBytes(b, resp.Header.Get("Content-Type"), soap.Limits{})
			if err != nil {
				t.Fatalf("answer is not SOAP: %v", err)
			}
			f, ok := m.Fault()
			if !ok || f.Code != e.code {
				t.Errorf("got %+v, want fault %s", f, e.code)
			}
		})
	}
	if n < 15 {
		t.Errorf("only %d request rows selected; has the corpus changed?", n)
	}
}

// TestCorpusServiceAnswersChecked lets a provider answer with each corpus
// file the proxy suite uses as a service response, and checks the emulator
// reports the same fault (or passes a service fault through verbatim).
func TestCorpusServiceAnswersChecked(t *testing.T) {
	dir := corpusDir(t)
	request := readFile(t, dir, "xml.query")
	svc := soap.ServiceID{ClientID: soap.ClientID{Instance: "EE", MemberClass: "BUSINESS", MemberCode: "producer"}, ServiceCode: "test"}
	n := 0
	for _, e := range expectations(t, dir) {
		if e.role != "response" || e.scope != "proxy-suite" || e.detect != "yes" || e.outcome != "fault" || e.code == "?" {
			continue
		}
		n++
		t.Run(e.file+" "+e.contentType, func(t *testing.T) {
			answer := readFile(t, dir, e.file)
			status := http.StatusOK
			if e.extras == "HTTP 500" {
				status = http.StatusInternalServerError
			} else if e.extras != "-" {
				t.Skipf("harness extra %q not reproduced", e.extras)
			}
			ss := xroadtest.NewSecurityServer(xroadtest.Options{})
			defer ss.Close()
			ss.Handle(svc, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", e.contentType)
				w.WriteHeader(status)
				w.Write(answer)
			}))
			resp, err := ss.Client().Post(ss.URL, "text/xml; charset=UTF-8", bytes.NewReader(request))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			m, err := soap.ParseBytes(b, resp.Header.Get("Content-Type"), soap.Limits{})
			if err != nil {
				t.Fatalf("answer is not SOAP: %v\n%s", err, b)
			}
			f, ok := m.Fault()
			if !ok || f.Code != e.code {
				t.Errorf("got %+v, want fault %s", f, e.code)
			}
		})
	}
	if n < 12 {
		t.Errorf("only %d response rows selected; has the corpus changed?", n)
	}
}
