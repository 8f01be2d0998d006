package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
)

// BenchmarkTenderVsSingleCalls compares one POST /v1/tender-checks of 40
// suppliers × 4 checks with the same 160 checks made as single GET calls
// on the same chain (gateway → emulated security server → fixture
// providers, journal fsynced), the single calls with as many in flight as
// the tender check runs at once (tenderConcurrency) — the fairest portal
// loop — and one after another. Rounds are interleaved so the shared
// machine's load affects both alike. Reported: tender/single-ratio
// (wall time of the tender check / of the concurrent single calls; below 1
// the tender check is faster) and tender/sequential-ratio.
func BenchmarkTenderVsSingleCalls(b *testing.B) {
	const suppliers, conc = 40, 16
	s := newStack(b, stackOptions{gateway: func(o *gateway.Options) { o.TenderConcurrency = conc; o.MaxSuppliers = suppliers }})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	names := checks.Names()
	type sup struct {
		INN    string   `json:"inn"`
		PIN    string   `json:"representativePin"`
		Checks []string `json:"checks"`
	}
	body := struct {
		Issue     string `json:"issue"`
		Suppliers []sup  `json:"suppliers"`
	}{Issue: "tender-2026-117/lot-3"}
	var paths []string
	for i := range suppliers {
		inn := fmt.Sprintf("015032010%05d", 10234+i)
		body.Suppliers = append(body.Suppliers, sup{INN: inn, PIN: officer, Checks: names})
		for _, n := range names {
			c, _ := checks.Lookup(n)
			paths = append(paths, strings.NewReplacer("{inn}", inn, "{pin}", officer).Replace(c.Route))
		}
	}
	tenderBody, _ := json.Marshal(body)
	do := func(method, path string, payload []byte) {
		req, _ := http.NewRequest(method, s.api.URL+path, bytes.NewReader(payload))
		req.Header.Set("Authorization", "Bearer "+portalKey)
		req.Header.Set("X-User-Id", officer)
		req.Header.Set("X-Issue", "tender-2026-117/lot-3")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	singles := func(workers int) {
		next := make(chan string)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for p := range next {
					do("GET", p, nil)
				}
			})
		}
		for _, p := range paths {
			next <- p
		}
		close(next)
		wg.Wait()
	}
	do("POST", "/v1/tender-checks", tenderBody) // warm up connections and caches
	singles(conc)
	var tender, single, sequential time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		do("POST", "/v1/tender-checks", tenderBody)
		t1 := time.Now()
		singles(conc)
		t2 := time.Now()
		singles(1)
		t3 := time.Now()
		tender, single, sequential = tender+t1.Sub(t0), single+t2.Sub(t1), sequential+t3.Sub(t2)
	}
	b.ReportMetric(tender.Seconds()/single.Seconds(), "tender/single-ratio")
	b.ReportMetric(tender.Seconds()/sequential.Seconds(), "tender/sequential-ratio")
	b.ReportMetric(float64(tender.Milliseconds())/float64(b.N), "tender-ms/op")
}
