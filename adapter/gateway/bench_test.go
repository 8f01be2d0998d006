package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// BenchmarkGatewayVsReverseProxy drives the same chain (client → X →
// emulated security server → fixture provider) with X = the gateway (JSON
// in, SOAP built, answer checked and parsed, exchange fsynced to the
// journal, JSON out) and X = a bare httputil.ReverseProxy forwarding a
// prebuilt SOAP request, and reports:
//
//   - ratio: gateway throughput / proxy throughput (closed loop, 32 clients);
//   - p99-added-ms: gateway p99 − proxy p99 at 500 req/s (open loop), or
//     at half the proxy's capacity when the chain cannot carry 500 req/s;
//   - rss-peak-MB: peak RSS of the whole test process (gateway, emulator,
//     providers and clients) after 1000 concurrent gateway requests, next
//     to rss-before-burst-MB.
func BenchmarkGatewayVsReverseProxy(b *testing.B) {
	s := newStack(b, stackOptions{})
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		u, _ := url.Parse(s.ss.URL)
		r.SetURL(u)
	}})
	defer proxy.Close()
	msg, err := soap.NewRequest(soap.Request{Client: fixtures.PortalClient, Service: fixtures.TaxDebtService, UserID: "KG" + officer,
		BodyNamespace: fixtures.TaxNamespace, Body: []byte(`<request><INN>02207200800561</INN><RepresentativePIN/></request>`)})
	if err != nil {
		b.Fatal(err)
	}
	body, ctype := msg.Bytes(), msg.ContentType()
	tr := &http.Transport{MaxIdleConnsPerHost: 2048, MaxConnsPerHost: 0}
	client := &http.Client{Transport: tr}
	gwReq := func() error {
		req, _ := http.NewRequest("GET", s.api.URL+"/v1/suppliers/02207200800561/tax-debt", nil)
		req.Header.Set("Authorization", "Bearer "+portalKey)
		req.Header.Set("X-User-Id", officer)
		return send(client, req)
	}
	pxReq := func() error {
		req, _ := http.NewRequest("POST", proxy.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		return send(client, req)
	}
	for b.Loop() {
		// Warm up both paths (connections, JIT-free but caches).
		closedLoop(b, gwReq, 8, 300*time.Millisecond)
		closedLoop(b, pxReq, 8, 300*time.Millisecond)
		px := closedLoop(b, pxReq, 32, 2*time.Second)
		gw := closedLoop(b, gwReq, 32, 2*time.Second)
		b.ReportMetric(gw, "gateway-req/s")
		b.ReportMetric(px, "proxy-req/s")
		b.ReportMetric(gw/px, "ratio")
		// 500 req/s as asked, unless the chain itself cannot carry it on
		// this machine: then half the bare proxy's capacity, so latency is
		// measured below saturation rather than as queueing.
		rate := 500
		if px < 1000 {
			rate = int(px / 2)
		}
		b.ReportMetric(float64(rate), "open-loop-req/s")
		pxP99 := openLoop(b, pxReq, rate, 2*time.Second)
		gwP99 := openLoop(b, gwReq, rate, 2*time.Second)
		b.ReportMetric(float64(gwP99.Microseconds())/1000, "gateway-p99-ms")
		b.ReportMetric(float64(pxP99.Microseconds())/1000, "proxy-p99-ms")
		b.ReportMetric(float64((gwP99-pxP99).Microseconds())/1000, "p99-added-ms")
		b.ReportMetric(rssMB("VmRSS:"), "rss-before-burst-MB")
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 1000 {
			wg.Go(func() {
				if gwReq() != nil {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		if failed.Load() > 0 {
			b.Errorf("%d of 1000 concurrent requests failed", failed.Load())
		}
		b.ReportMetric(rssMB("VmHWM:"), "rss-peak-MB")
	}
	tr.CloseIdleConnections()
}

func send(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return &statusErr{resp.StatusCode}
	}
	return nil
}

type statusErr struct{ code int }

func (e *statusErr) Error() string { return "status " + strconv.Itoa(e.code) }

// closedLoop runs n clients back to back for d and returns requests/s.
func closedLoop(b *testing.B, do func() error, n int, d time.Duration) float64 {
	var count, errs atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				if do() != nil {
					errs.Add(1)
				}
				count.Add(1)
			}
		})
	}
	wg.Wait()
	if errs.Load() > 0 {
		b.Fatalf("%d of %d requests failed", errs.Load(), count.Load())
	}
	return float64(count.Load()) / time.Since(start).Seconds()
}

// openLoop sends rate requests/s for d regardless of answers and returns
// the p99 latency.
func openLoop(b *testing.B, do func() error, rate int, d time.Duration) time.Duration {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	var errs atomic.Int64
	for time.Now().Before(end) {
		<-tick.C
		wg.Go(func() {
			t0 := time.Now()
			if do() != nil {
				errs.Add(1)
			}
			el := time.Since(t0)
			mu.Lock()
			lat = append(lat, el)
			mu.Unlock()
		})
	}
	wg.Wait()
	if errs.Load() > 0 {
		b.Fatalf("%d requests failed", errs.Load())
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)*99/100]
}

// rssMB reads VmRSS (current) or VmHWM (peak resident set) of this
// process.
func rssMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
