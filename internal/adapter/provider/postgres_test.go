package provider_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/internal/testkit"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// postgresPool connects to the test PostgreSQL named by
// TUNDUK_TEST_POSTGRES_URL (.ci/run starts one), skipping without it and
// failing under TUNDUK_REQUIRE_TOOLS=1.
func postgresPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	dsn := os.Getenv("TUNDUK_TEST_POSTGRES_URL")
	if dsn == "" {
		msg := "TUNDUK_TEST_POSTGRES_URL not set; start PostgreSQL (apt-get install postgresql) and set it, as .ci/run does"
		corpus.Missing(t, msg)
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TestPostgresBackendAnswersFromTheDescription serves the shipped
// getSupplierInfo from a real PostgreSQL table: the row becomes the
// described answer, no row the declared not-found answer, and the query
// runs read-only with the service's timeout.
func TestPostgresBackendAnswersFromTheDescription(t *testing.T) {
	pool := postgresPool(t)
	ctx := context.Background()
	schema := fmt.Sprintf("tunduk_test_%d", time.Now().UnixNano())
	for _, q := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".suppliers (inn text PRIMARY KEY, name text NOT NULL, registered date, status text NOT NULL, debt numeric)",
		"INSERT INTO " + schema + ".suppliers VALUES ('02207200800561', 'ОсОО \"Ала-Тоо\" & <Co>', '2019-04-01', 'active', 1250.50), ('02207200800562', 'Дубль', NULL, 'active', 0)",
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })

	cat := testkit.ExampleCatalog(t)
	d := testkit.Service(t, cat, "getSupplierInfo")
	prov := cat.Organisation.SubsystemID(d.Subsystem)
	query := `SELECT true AS found, json_build_object('inn', inn, 'name', name, 'registrationDate', registered, 'status', status) AS supplier
		FROM ` + schema + `.suppliers WHERE inn = $1`
	h, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{
		{Code: d.Code, Version: d.Version, Description: d, Timeout: 2 * time.Second, Postgres: &provider.Postgres{Pool: pool, Query: query, Args: []string{"inn"}}},
		{Code: "slow", Version: "v1", Timeout: 200 * time.Millisecond, Postgres: &provider.Postgres{Pool: pool, Query: "SELECT pg_sleep(2) AS s"}},
		{Code: "writes", Version: "v1", Timeout: 2 * time.Second, Postgres: &provider.Postgres{Pool: pool, Query: "WITH d AS (DELETE FROM " + schema + ".suppliers RETURNING inn) SELECT count(*) AS n FROM d"}},
		{Code: "many", Version: "v1", Timeout: 2 * time.Second, Postgres: &provider.Postgres{Pool: pool, Query: "SELECT inn FROM " + schema + ".suppliers"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	call := func(code, version, body string) *soap.Message {
		t.Helper()
		id := soap.ServiceID{ClientID: prov, ServiceCode: code, ServiceVersion: version}
		req := xroadtest.NewRequest(consumerID, id.String(), body)
		rec := xroadtest.NewRecorder()
		hr := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(req.Bytes()))
		hr.Header.Set("Content-Type", req.ContentType())
		h.ServeHTTP(rec, hr)
		resp, fault := xroadtest.Check(req, rec, soap.Limits{})
		if fault != nil {
			return mustFaultMessage(t, fault)
		}
		return resp
	}
	got := string(call(d.Code, d.Version, "<inn>02207200800561</inn>").BodyElement())
	for _, want := range []string{"<tns:found>true</tns:found>", "<tns:name>ОсОО &#34;Ала-Тоо&#34; &amp; &lt;Co&gt;</tns:name>", "<tns:registrationDate>2019-04-01</tns:registrationDate>", "<tns:status>active</tns:status>"} {
		if !strings.Contains(got, want) {
			t.Errorf("found: body lacks %s:\n%s", want, got)
		}
	}
	if got := string(call(d.Code, d.Version, "<inn>02207200800569</inn>").BodyElement()); !strings.Contains(got, "<tns:found>false</tns:found>") || strings.Contains(got, "<tns:supplier>") {
		t.Errorf("not found: %s", got)
	}
	for code, want := range map[string]string{"slow": "Server.ServiceFailed.Timeout", "writes": "Server.ServiceFailed", "many": "Server.ServiceFailed"} {
		f, ok := call(code, "v1", "").Fault()
		if !ok || f.Code != want {
			t.Errorf("%s: fault %+v, want %s", code, f, want)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+schema+".suppliers").Scan(&n); err != nil || n != 2 {
		t.Errorf("the read-only transaction let rows be deleted: %d left (%v)", n, err)
	}
}

// mustFaultMessage wraps a fault the emulator would send as a message.
func mustFaultMessage(t *testing.T, f *soap.Fault) *soap.Message {
	t.Helper()
	m, err := soap.ParseBytes(soap.NewFault(*f), "text/xml; charset=UTF-8", soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPostgresServiceChecks(t *testing.T) {
	prov, _ := soap.ParseClientID(providerID)
	pool := &pgxpool.Pool{}
	for _, p := range []*provider.Postgres{
		{Pool: pool, Query: "SELECT 1; DROP TABLE x"},
		{Pool: pool, Query: "SELECT $1, $2", Args: []string{"inn"}},
		{Pool: nil, Query: "SELECT 1"},
	} {
		if _, err := provider.New(provider.Options{Provider: prov, Services: []provider.Service{{Code: "a", Postgres: p}}}); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}
