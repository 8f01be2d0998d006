package xroadtest_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestCorpusRequestsRejected sends every request the X-Road proxy suite
// expects a security server to reject (and an adapter to detect) and checks
// the emulator answers with the same fault code.
func TestCorpusRequestsRejected(t *testing.T) {
	dir := corpusDir(t)
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	n := 0
	for _, e := range corpus.Expectations(t, dir) {
		if e.Role != "request" || e.Scope != "proxy-suite" || e.Verdict != "reject" || e.Detect != "yes" || e.Outcome != "fault" {
			continue
		}
		n++
		t.Run(e.File+" "+e.ContentType+" "+e.HTTPExtras, func(t *testing.T) {
			body := readFile(t, dir, e.File)
			method := http.MethodPost
			req, _ := http.NewRequest(method, ss.URL, bytes.NewReader(body))
			switch {
			case e.HTTPExtras == "HTTP GET":
				req.Method = http.MethodGet
			case strings.HasPrefix(e.HTTPExtras, "HTTP header SOAPAction: "):
				req.Header.Set("SOAPAction", strings.TrimPrefix(e.HTTPExtras, "HTTP header SOAPAction: "))
			case e.HTTPExtras != "-":
				t.Skipf("harness extra %q not reproduced", e.HTTPExtras)
			}
			req.Header.Set("Content-Type", e.ContentType)
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
			if !ok || f.Code != e.FaultCodeOld {
				t.Errorf("got %+v, want fault %s", f, e.FaultCodeOld)
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
	for _, e := range corpus.Expectations(t, dir) {
		if e.Role != "response" || e.Scope != "proxy-suite" || e.Detect != "yes" || e.Outcome != "fault" || e.FaultCodeOld == "?" {
			continue
		}
		n++
		t.Run(e.File+" "+e.ContentType, func(t *testing.T) {
			answer := readFile(t, dir, e.File)
			status := http.StatusOK
			if e.HTTPExtras == "HTTP 500" {
				status = http.StatusInternalServerError
			} else if e.HTTPExtras != "-" {
				t.Skipf("harness extra %q not reproduced", e.HTTPExtras)
			}
			ss := xroadtest.NewSecurityServer(xroadtest.Options{})
			defer ss.Close()
			ss.Handle(svc, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", e.ContentType)
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
			if !ok || f.Code != e.FaultCodeOld {
				t.Errorf("got %+v, want fault %s", f, e.FaultCodeOld)
			}
		})
	}
	if n < 12 {
		t.Errorf("only %d response rows selected; has the corpus changed?", n)
	}
}
