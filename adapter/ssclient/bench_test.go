package ssclient_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// BenchmarkDoVsBareHTTP measures a Do call (concurrency slot, breaker,
// parse, echo and requestHash checks) against a bare net/http POST of the
// same request with only a parse of the answer, both through the emulator
// to the tax-debt fixture, alternating in the same run. It reports the
// ratio of the mean latencies as "x-bare" (1.0 = no overhead).
func BenchmarkDoVsBareHTTP(b *testing.B) {
	ss := fixtures.StartDemo(b, fixtures.DemoOptions{})
	c, err := ssclient.New(ssclient.Options{URL: ss.URL, Client: fixtures.PortalClient})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	bare := ss.Client()
	req, err := soap.NewRequest(soap.Request{Client: fixtures.PortalClient, Service: fixtures.TaxDebtService, UserID: "KG21504197800123",
		BodyNamespace: fixtures.TaxNamespace, Body: []byte("<request><INN>" + fixtures.Default().INNWithTaxDebt() + "</INN></request>")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var tClient, tBare time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		resp, err := bare.Post(ss.URL, req.ContentType(), bytes.NewReader(req.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if _, err := soap.ParseBytes(body, resp.Header.Get("Content-Type"), soap.Limits{}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := c.Do(ctx, req, ssclient.CallOptions{}); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		tBare += t1.Sub(t0)
		tClient += t2.Sub(t1)
	}
	b.ReportMetric(float64(tClient)/float64(tBare), "x-bare")
	b.ReportMetric(float64(tClient.Microseconds())/float64(b.N), "µs/Do")
	b.ReportMetric(float64(tBare.Microseconds())/float64(b.N), "µs/bare")
}
