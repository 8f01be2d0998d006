package opmon_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// fixture reads an X-Road Metrics response body; multipart bodies take the
// boundary from their first line, as EXPECTATIONS.md says.
func fixture(t testing.TB, name string) (body []byte, contentType string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus.Dir(t, "opmon"), "x-road-metrics", name))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte("--")) {
		line := b[2:bytes.IndexByte(b, '\r')]
		return b, `multipart/related; type="text/xml"; boundary=` + string(line)
	}
	return b, "text/xml; charset=UTF-8"
}

func readPage(t testing.TB, name string) (opmon.Page, []opmon.Record) {
	t.Helper()
	b, ct := fixture(t, name)
	m, err := soap.ParseBytes(b, ct, soap.Limits{})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	defer m.Close()
	var recs []opmon.Record
	p, err := opmon.ReadOperationalData(m, opmon.Limits{}, func(r *opmon.Record) error { recs = append(recs, *r); return nil })
	if err != nil {
		t.Fatalf("ReadOperationalData %s: %v", name, err)
	}
	return p, recs
}

// test_collector_worker.py: 5230 records collected, next timestamp 1604420300.
func TestXRoadMetricsFirstPage(t *testing.T) {
	p, recs := readPage(t, "metrics_response1.dat")
	if len(recs) != 5230 || p.RecordsCount != 5230 {
		t.Fatalf("records = %d (recordsCount %d), want 5230", len(recs), p.RecordsCount)
	}
	if !p.HasNext || p.NextRecordsFrom != 1604420300 {
		t.Fatalf("next = %d (has %v), want 1604420300", p.NextRecordsFrom, p.HasNext)
	}
	r := recs[0]
	if r.MonitoringDataTs != 1603802102 || r.SecurityServerType != "Client" || r.Service() != "DEV/ORG/1234567-8/getSecurityServerOperationalData" ||
		r.Client() != "DEV/ORG/1234567-8/TEST" || !r.Succeeded || r.DurationMillis() != 1603802102527-1603802102192 ||
		r.RequestBytes() != 1847 || r.ResponseBytes() != 2422 || r.MessageID != "54ae525b-c429-471f-97a2-7877233ab57e" {
		t.Fatalf("first record = %+v", r)
	}
	rest := 0
	for _, r := range recs {
		if r.ServiceCode == "RestTest" {
			rest++
			if r.RequestBytes() != r.RequestRestSize || r.StatusCode == 0 {
				t.Fatalf("REST record sizes/status not read: %+v", r)
			}
		}
	}
	if rest != 3810 {
		t.Fatalf("RestTest records = %d, want 3810", rest)
	}
}

// The empty second page: nothing more, no nextRecordsFrom.
func TestXRoadMetricsSecondPage(t *testing.T) {
	p, recs := readPage(t, "metrics_response2.dat")
	if len(recs) != 0 || p.RecordsCount != 0 || p.HasNext {
		t.Fatalf("page = %+v, %d records; want empty and complete", p, len(recs))
	}
}

// The two fault bodies: the error names the faultstring, "Code: …" and
// the detail, and is a *ssclient.FaultError — for the CamelCase codes of
// the fixtures and for X-Road 7.8's snake case.
func TestXRoadMetricsFaults(t *testing.T) {
	for _, tc := range []struct {
		file, code, snake, text, detail string
	}{
		{"metrics_client_proxy_ssl_auth_failed.dat", "Server.ClientProxy.SslAuthenticationFailed", "server.clientproxy.ssl_authentication_failed",
			"Client (SUBSYSTEM:PLAYGROUND/COM/1234567-8/TestClient) specifies HTTPS but did not supply TLS certificate", "b782c3a4-f279-43d1-8684-2af318ec2ca5"},
		{"metrics_server_proxy_access_denied_failed.dat", "Server.ServerProxy.AccessDenied", "server.serverproxy.access_denied",
			"Request is not allowed: SERVICE: instanceIdentifier/memberClass/memberCode/subsystemCode/serviceCode/serviceVersion", "132ff5d7-a6c7-4807-968e-430c515bf32a"},
	} {
		body, ct := fixture(t, tc.file)
		for _, style := range []string{"camel", "snake"} {
			t.Run(tc.file+"/"+style, func(t *testing.T) {
				b := body
				if style == "snake" {
					b = bytes.Replace(body, []byte(tc.code), []byte(tc.snake), 1)
				}
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", ct)
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = w.Write(b)
				}))
				defer srv.Close()
				q := querier(t, srv.URL)
				_, err := q.OperationalData(context.Background(), 1, 2, func(*opmon.Record) error { return nil })
				var qe *opmon.QueryError
				var fe *ssclient.FaultError
				if !errors.As(err, &qe) || !errors.As(err, &fe) {
					t.Fatalf("err = %v (%T), want *opmon.QueryError wrapping *ssclient.FaultError", err, err)
				}
				if fe.Code != tc.code {
					t.Errorf("Code = %q, want %q", fe.Code, tc.code)
				}
				for _, want := range []string{tc.text, "Code: " + tc.code, tc.detail} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
			})
		}
	}
}

func querier(t testing.TB, url string) *opmon.Querier {
	t.Helper()
	ss, err := ssclient.New(ssclient.Options{URL: url, Client: soap.ClientID{Instance: "TEST", MemberClass: "GOV", MemberCode: "70000001", SubsystemCode: "monitor"},
		Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ss.Close)
	return &opmon.Querier{SS: ss, Server: soap.SecurityServerID{Instance: "TEST", MemberClass: "GOV", MemberCode: "70000001", ServerCode: "ss1"}}
}
