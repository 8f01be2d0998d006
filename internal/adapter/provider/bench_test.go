package provider_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder/recordertest"
	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

// BenchmarkProviderVsReverseProxy measures the CPU a provider round trip
// costs (SOAP request in: parse, header checks, typed input decoding, the
// backend's JSON to the described XML, the echoed response) against a bare
// httputil.ReverseProxy relaying the same request to the same backend, in
// the same run, as CPU per request of the whole process (client, server
// and backend included for both). It reports cpu-ratio (no journal; the
// target is at most 2) and cpu-ratio-journalled (each exchange written to
// the JSON-lines journal and fsynced first, as in production).
func BenchmarkProviderVsReverseProxy(b *testing.B) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"found":true,"name":"ОсОО Ала-Тоо Курулуш","ignored":{"a":[1,2,3]}}`))
	}))
	defer be.Close()
	prov, _ := soap.ParseClientID(providerID)
	newProvider := func(rec exchange.Recorder) *httptest.Server {
		h, err := provider.New(provider.Options{Provider: prov, Recorder: rec, Services: []provider.Service{{
			Code: "getSupplier", Version: "v1", Backend: be.URL + "/s/{inn}", Description: describedService(), Timeout: 5 * time.Second}}})
		if err != nil {
			b.Fatal(err)
		}
		return httptest.NewServer(h)
	}
	provSrv := newProvider(nil)
	defer provSrv.Close()
	mlog, err := recordertest.OpenLog(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer mlog.Close()
	journSrv := newProvider(&recorder.Recorder{Log: mlog, Member: providerID, Direction: "provider"}) // every exchange signed and fsynced before the answer
	defer journSrv.Close()
	target, _ := url.Parse(be.URL)
	proxySrv := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer proxySrv.Close()

	req := xroadtest.NewRequest(consumerID, providerID+"/getSupplier/v1", "<inn>02207200800561</inn>")
	body, ctype := req.Bytes(), req.ContentType()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	post := func(u string) {
		resp, err := client.Post(u, ctype, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: HTTP %d", u, resp.StatusCode)
		}
	}
	measure := func(u string, n int) time.Duration {
		post(u) // warm the connection
		runtime.GC()
		c0 := cputime.Process()
		for i := 0; i < n; i++ {
			post(u)
		}
		return (cputime.Process() - c0) / time.Duration(n)
	}
	n := b.N
	if n < 200 {
		n = 200
	}
	b.ResetTimer()
	// Alternate rounds so background load hits both alike.
	var prox, provd, journ time.Duration
	for round := 0; round < 3; round++ {
		prox += measure(proxySrv.URL, n)
		provd += measure(provSrv.URL, n)
		journ += measure(journSrv.URL, n)
	}
	b.ReportMetric(float64(provd)/3, "provider-cpu-ns/req")
	b.ReportMetric(float64(prox)/3, "proxy-cpu-ns/req")
	b.ReportMetric(float64(provd)/float64(prox), "cpu-ratio")
	b.ReportMetric(float64(journ)/float64(prox), "cpu-ratio-journalled")
}
