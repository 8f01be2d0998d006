package ssclient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// TestAnswerLimitDeclared: an answer whose Content-Length exceeds the
// call's limit fails with *AnswerTooLargeError (matching soap.ErrTooLarge)
// without being read, and the error says which limit to raise.
func TestAnswerLimitDeclared(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	c := newClient(t, ss, nil)
	big := append([]byte("<x>"), bytes.Repeat([]byte("a"), 2<<20)...)
	ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Malformed: true, MalformedBody: big, MalformedContentType: "text/xml"})
	_, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{MaxAnswerBytes: 1 << 20})
	var tl *ssclient.AnswerTooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<20 || !errors.Is(err, soap.ErrTooLarge) {
		t.Fatalf("err = %v, want AnswerTooLargeError at 1 MiB", err)
	}
	if !strings.Contains(err.Error(), "maxAnswerBytes") {
		t.Errorf("error %q does not say what to raise", err)
	}
	// The same answer within a larger limit is read (and found malformed).
	ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Malformed: true, MalformedBody: big, MalformedContentType: "text/xml"})
	_, err = c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{MaxAnswerBytes: 4 << 20})
	if errors.As(err, &tl) {
		t.Fatalf("within the limit: %v", err)
	}
}

// TestAnswerLimitStreamed: an answer without Content-Length that never
// ends fails as soon as it passes the limit, not at the call's timeout.
func TestAnswerLimitStreamed(t *testing.T) {
	var wrote atomic.Int64
	url := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for r.Context().Err() == nil && wrote.Load() < 256<<20 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			wrote.Add(int64(len(chunk)))
			w.(http.Flusher).Flush()
		}
	}))
	c, err := ssclient.New(ssclient.Options{URL: url, Client: fixtures.PortalClient, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{MaxAnswerBytes: 1 << 20})
	var tl *ssclient.AnswerTooLargeError
	if !errors.As(err, &tl) || tl.ContentLength != -1 {
		t.Fatalf("err = %v, want AnswerTooLargeError without Content-Length", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusal took %v: it must come at the limit, not the timeout", d)
	}
	if n := wrote.Load(); n > 64<<20 {
		t.Errorf("server wrote %d bytes before the client gave up", n)
	}
}

// TestInFlightBytesBounded: with a budget of two answers' limits and six
// calls whose answers trickle in, the bytes held never exceed the budget,
// the budget is used, and every call still completes.
func TestInFlightBytesBounded(t *testing.T) {
	url := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		time.Sleep(100 * time.Millisecond)
		fmt.Fprint(w, "<notsoap/>")
	}))
	const limit = 64 << 10
	c, err := ssclient.New(ssclient.Options{URL: url, Client: fixtures.PortalClient, Timeout: 20 * time.Second, MaxInFlightBytes: 2 * limit})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	var done atomic.Int32
	for range 6 {
		wg.Go(func() {
			_, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{MaxAnswerBytes: limit})
			var me *ssclient.MalformedResponseError
			if errors.As(err, &me) {
				done.Add(1)
			}
		})
	}
	var most int64
	stop := make(chan struct{})
	go func() { wg.Wait(); close(stop) }()
	for running := true; running; {
		select {
		case <-stop:
			running = false
		case <-time.After(time.Millisecond):
		}
		most = max(most, c.InFlightBytes())
	}
	if most > 2*limit {
		t.Errorf("%d answer bytes held at once; the budget is %d", most, 2*limit)
	}
	if most < 2*limit {
		t.Errorf("at most %d bytes held: six concurrent calls should have filled the budget of %d", most, 2*limit)
	}
	if done.Load() != 6 || c.InFlightBytes() != 0 {
		t.Errorf("%d of 6 calls completed with their answer read; %d bytes still held", done.Load(), c.InFlightBytes())
	}
}

// TestParseStopsAtCallTimeout: a hostile answer that would take long to
// parse (150,000 attributes within a raised limit) ends at the call's
// timeout as ErrTimeout, rather than being parsed past it.
func TestParseStopsAtCallTimeout(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	c := newClient(t, ss, func(o *ssclient.Options) { o.Limits = soap.Limits{MaxAttrs: 1 << 20} })
	var b bytes.Buffer
	b.WriteString(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><r`)
	for i := range 150000 {
		fmt.Fprintf(&b, ` a%d="v"`, i)
	}
	b.WriteString(`/></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
	ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, Malformed: true, MalformedBody: b.Bytes(), MalformedContentType: "text/xml"})
	_, err := c.Do(context.Background(), taxRequest(t, fixtures.Default().INNClean()), ssclient.CallOptions{Timeout: 1500 * time.Millisecond})
	// Linear now, the parse may finish first: then the answer is malformed
	// (not a valid X-Road response); never a success, never a hang.
	var me *ssclient.MalformedResponseError
	var ve *soap.ValidationError
	if err == nil || !(errors.Is(err, ssclient.ErrTimeout) || errors.As(err, &me) || errors.As(err, &ve)) {
		t.Fatalf("err = %v", err)
	}
}
