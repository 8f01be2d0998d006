package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tunduk-kg/tunduk/adapter/portalapi"
	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange/exchangetest"
	"github.com/tunduk-kg/tunduk/internal/adapter/gateway"
	"github.com/tunduk-kg/tunduk/internal/adapter/mapping"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// styleMappings are the mappings that read every check in one body
// style: the shipped mapping where it has that style, otherwise the
// fixture variant's mapping in testdata/fixtures/mappings/STYLE.
func styleMappings(t *testing.T, style string) []*mapping.Mapping {
	t.Helper()
	var files []string
	for _, c := range checks.All() {
		shipped := filepath.Join("../../../configs/mappings", c.Name+".yaml")
		m, err := mapping.LoadFile(shipped)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Style) == style {
			files = append(files, shipped)
		} else {
			files = append(files, filepath.Join("../../../testdata/fixtures/mappings", style, c.Name+".yaml"))
		}
	}
	ms, err := mapping.LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if string(m.Style) != style {
			t.Fatalf("%s: style %s, want %s", m.File, m.Style, style)
		}
	}
	return ms
}

// newStyleStack is the whole chain on loopback (gateway → ssclient →
// emulated security server → fixture providers in every style, journal
// file) with the checks mapped in one body style.
//
// Its client validates every exchange against openapi.json.
func newStyleStack(t *testing.T, style string) (*httptest.Server, *http.Client) {
	ss := fixtures.NewDemo(fixtures.DemoOptions{AllStyles: true})
	t.Cleanup(ss.Close)
	sc, err := ssclient.New(ssclient.Options{URL: ss.URL, Client: fixtures.PortalClient, Timeout: 10 * time.Second,
		MaxConcurrent: 64, Breaker: ssclient.BreakerOptions{FailureThreshold: 1000}, Retry: ssclient.RetryOptions{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Close)
	j := &exchangetest.Memory{}
	r, err := adapter.NewRunner(adapter.RunnerOptions{Mappings: styleMappings(t, style), Transport: sc, Journal: j,
		Client: fixtures.PortalClient, UserIDPrefix: "KG", SecurityServerURL: ss.URL})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(gateway.Options{Checker: r, Callers: []gateway.Caller{{Name: "portal", APIKey: portalKey, Checks: []string{"*"}}}})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(g)
	t.Cleanup(api.Close)
	return api, &http.Client{Transport: newValidator(t, api.URL)}
}

// getExact GETs path and decodes the answer keeping numbers exact.
func getExact(t *testing.T, api *httptest.Server, client *http.Client, path string) (int, map[string]any, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, api.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+portalKey)
	req.Header.Set("X-User-Id", officer)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("GET %s: not JSON: %s", path, raw)
	}
	return resp.StatusCode, body, raw
}

// What the gateway's mappings promise for the register's wording.
var (
	wantCompanyStatus = map[string]string{
		fixtures.StatusActive: "active", fixtures.StatusLiquidating: "liquidating", fixtures.StatusLiquidated: "liquidated",
		fixtures.StatusBankrupt: "bankrupt", fixtures.StatusReorganising: "reorganising",
	}
	wantConvictionStatus = map[string]string{
		fixtures.ConvictionActive: "active", fixtures.ConvictionExpunged: "expunged", fixtures.ConvictionRemoved: "expunged",
	}
)

func money(v float64) json.Number { return json.Number(fmt.Sprintf("%.2f", v)) }

func wantDebt(d *fixtures.Data, c *fixtures.Company, debt float64, lines []fixtures.Arrear, kind bool) map[string]any {
	w := map[string]any{"hasDebt": debt > 0, "amount": money(debt), "currency": "KGS", "asOf": d.AsOf, "name": c.Name, "inn": c.INN}
	if len(lines) > 0 {
		var items []any
		for _, l := range lines {
			item := map[string]any{"periodFrom": l.From, "periodTo": l.To, "amount": money(l.Amount)}
			if kind {
				item["kind"] = l.Kind
			}
			items = append(items, item)
		}
		w["breakdown"] = items
	}
	return w
}

func wantParty(d *fixtures.Data, pin, inn string) map[string]any {
	if pin != "" {
		p, _ := d.Person(pin)
		return map[string]any{"type": "person", "id": pin, "name": p.FullName()}
	}
	o, _ := d.Company(inn)
	return map[string]any{"type": "organisation", "id": inn, "name": o.Name}
}

func wantFounders(d *fixtures.Data, c *fixtures.Company) map[string]any {
	status, ok := wantCompanyStatus[c.Status]
	if !ok {
		status = "unknown"
	}
	var founders []any
	for _, f := range c.Founders {
		p := wantParty(d, f.PIN, f.INN)
		p["share"] = json.Number(fmt.Sprint(f.Share))
		founders = append(founders, p)
	}
	return map[string]any{"name": c.Name, "inn": c.INN, "registrationDate": c.Registered, "companyStatus": status,
		"companyStatusRaw": c.Status, "address": c.Address, "director": wantParty(d, c.Director, ""), "founders": founders}
}

func wantCriminalRecord(p *fixtures.Person) map[string]any {
	records := []any{}
	active := false
	for _, r := range p.CriminalRecord {
		st := wantConvictionStatus[r.Status]
		active = active || st == "active"
		records = append(records, map[string]any{"article": r.Article, "convictionDate": r.Convicted, "court": r.Court,
			"sentence": r.Sentence, "status": st, "statusRaw": r.Status})
	}
	return map[string]any{"hasAnyRecord": len(p.CriminalRecord) > 0, "hasActiveRecord": active, "fullName": p.FullName(),
		"birthDate": p.BirthDate, "records": records}
}

// Every fixture subject goes through the API in all three body styles, and
// every fact the fixture provider returned comes back, typed, neither lost
// nor changed: the answer's data equals, field by field, what the data set
// says (with the register's wording mapped as the mappings promise), and
// conforms to the check's schema in the OpenAPI document. Unknown subjects
// are 404, provider failures 502, in every style.
func TestEveryFixtureSubjectInEveryStyle(t *testing.T) {
	d := fixtures.Default()
	schemas := map[string]string{"tax-debt": "DebtData", "social-fund-debt": "DebtData", "founders": "FoundersData", "criminal-record": "CriminalRecordData"}
	for _, style := range []string{fixtures.StyleLegacy, fixtures.StyleWCF, fixtures.StyleREST} {
		t.Run(style, func(t *testing.T) {
			api, client := newStyleStack(t, style)
			type probe struct {
				path, check, providerCheck string
				want                       map[string]any // nil: not found
				failing                    bool
			}
			var probes []probe
			for i := range d.Companies {
				c := &d.Companies[i]
				probes = append(probes,
					probe{"/v1/suppliers/" + c.INN + "/tax-debt", "tax-debt", fixtures.CheckTaxDebt, wantDebt(d, c, c.TaxDebt, c.TaxArrears, true), c.HasProviderError(fixtures.CheckTaxDebt)},
					probe{"/v1/suppliers/" + c.INN + "/social-fund-debt", "social-fund-debt", fixtures.CheckSocialFundDebt, wantDebt(d, c, c.SocialFundDebt, c.SocialFundArrears, false), c.HasProviderError(fixtures.CheckSocialFundDebt)},
					probe{"/v1/suppliers/" + c.INN + "/founders", "founders", fixtures.CheckFounders, wantFounders(d, c), c.HasProviderError(fixtures.CheckFounders)})
			}
			for i := range d.Persons {
				p := &d.Persons[i]
				probes = append(probes, probe{"/v1/persons/" + p.PIN + "/criminal-record", "criminal-record", fixtures.CheckCriminalRecord, wantCriminalRecord(p), p.HasProviderError(fixtures.CheckCriminalRecord)})
			}
			for _, c := range []string{"tax-debt", "social-fund-debt", "founders"} {
				probes = append(probes, probe{path: "/v1/suppliers/" + fixtures.UnknownINN + "/" + c, check: c})
			}
			probes = append(probes, probe{path: "/v1/persons/" + fixtures.UnknownPIN + "/criminal-record", check: "criminal-record"})

			var ok, notFound, failed int
			for _, p := range probes {
				status, body, raw := getExact(t, api, client, p.path)
				switch {
				case p.failing:
					failed++
					if status != 502 || field(body, "code") != "provider_error" {
						t.Errorf("%s: %d %s; want 502 provider_error", p.path, status, raw)
					}
				case p.want == nil:
					notFound++
					if status != 404 || field(body, "code") != "not_found" {
						t.Errorf("%s: %d %s; want 404 not_found", p.path, status, raw)
					}
				default:
					ok++
					if status != 200 {
						t.Errorf("%s: %d %s", p.path, status, raw)
						continue
					}
					got := body["data"].(map[string]any)
					for k, w := range p.want {
						if g := got[k]; !reflect.DeepEqual(normal(g), normal(w)) {
							t.Errorf("%s: %s = %v, want %v", p.path, k, g, w)
						}
					}
					for k := range got {
						if _, expected := p.want[k]; !expected {
							t.Errorf("%s: unexpected field %s = %v", p.path, k, got[k])
						}
					}
					var plain any
					json.Unmarshal(mustJSON(got), &plain)
					docOnce.Do(loadDoc(t))
					if err := doc.Components.Schemas[schemas[p.check]].Value.VisitJSON(plain); err != nil {
						t.Errorf("%s: data does not match OpenAPI %s: %v", p.path, schemas[p.check], err)
					}
				}
			}
			// The same facts come back inside a batch (all four checks of
			// each company, its director as the representative).
			for i := range d.Companies {
				c := &d.Companies[i]
				dir, _ := d.Person(c.Director)
				body := `{"inn":"` + c.INN + `","representativePin":"` + c.Director + `","checks":["tax-debt","social-fund-debt","founders","criminal-record"]}`
				a := postExact(t, api, client, body)
				results, _ := a["results"].([]any)
				if len(results) != 4 {
					t.Fatalf("batch %s: %v", c.INN, a)
				}
				wants := []struct {
					want    map[string]any
					failing bool
				}{
					{wantDebt(d, c, c.TaxDebt, c.TaxArrears, true), c.HasProviderError(fixtures.CheckTaxDebt)},
					{wantDebt(d, c, c.SocialFundDebt, c.SocialFundArrears, false), c.HasProviderError(fixtures.CheckSocialFundDebt)},
					{wantFounders(d, c), c.HasProviderError(fixtures.CheckFounders)},
					{wantCriminalRecord(dir), dir.HasProviderError(fixtures.CheckCriminalRecord)},
				}
				for k, w := range wants {
					r := results[k].(map[string]any)
					if w.failing {
						if r["status"] != "error" {
							t.Errorf("batch %s %v: %v, want error", c.INN, r["check"], r)
						}
						continue
					}
					if r["status"] != "ok" || !reflect.DeepEqual(normal(r["data"]), normal(w.want)) {
						t.Errorf("batch %s %v:\n got %v\nwant %v", c.INN, r["check"], r["data"], w.want)
					}
				}
			}
			if ok < 100 || notFound != 4 || failed != 4 {
				t.Errorf("%d ok, %d not found, %d provider errors: the data set lost cases", ok, notFound, failed)
			}
		})
	}
}

// postExact POSTs a batch and decodes the answer keeping numbers exact.
func postExact(t *testing.T, api *httptest.Server, client *http.Client, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, api.URL+"/v1/supplier-checks", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+portalKey)
	req.Header.Set("X-User-Id", officer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("batch: %d %v", resp.StatusCode, err)
	}
	return out
}

// normal makes decoded JSON comparable with the expectations ([]any of
// maps, json.Number kept as written).
func normal(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normal(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normal(e)
		}
		return out
	}
	return v
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// The fixtures show every case the answers distinguish.
func TestFixturesShowEveryCase(t *testing.T) {
	d := fixtures.Default()
	statuses := map[string]bool{}
	var orgFounder, personFounder, taxBreakdown, sfBreakdown bool
	for _, c := range d.Companies {
		s, ok := wantCompanyStatus[c.Status]
		if !ok {
			s = "unknown"
		}
		statuses[s] = true
		for _, f := range c.Founders {
			orgFounder = orgFounder || f.INN != ""
			personFounder = personFounder || f.PIN != ""
		}
		taxBreakdown = taxBreakdown || len(c.TaxArrears) > 0
		sfBreakdown = sfBreakdown || len(c.SocialFundArrears) > 0
	}
	for _, s := range checks.CompanyStatuses {
		if !statuses[s] {
			t.Errorf("no company with status %s", s)
		}
	}
	if !orgFounder || !personFounder || !taxBreakdown || !sfBreakdown {
		t.Errorf("organisation founder %v, person founder %v, tax breakdown %v, social-fund breakdown %v", orgFounder, personFounder, taxBreakdown, sfBreakdown)
	}
	kinds := map[string]bool{}
	for _, p := range d.Persons {
		active, expunged := false, false
		for _, r := range p.CriminalRecord {
			active = active || wantConvictionStatus[r.Status] == "active"
			expunged = expunged || wantConvictionStatus[r.Status] == "expunged"
		}
		kinds[fmt.Sprint(active, expunged)] = true
	}
	for _, k := range []string{"false false", "true false", "false true", "true true"} {
		if !kinds[k] {
			t.Errorf("no person with (active, expunged) records = %s", k)
		}
	}
	if !strings.Contains(fmt.Sprint(d.Persons), fixtures.ConvictionRemoved) {
		t.Error("no conviction removed by a court (снята)")
	}
}

// loadDoc loads the OpenAPI document into doc (for docOnce.Do).
func loadDoc(t *testing.T) func() {
	return func() {
		d, err := openapi3.NewLoader().LoadFromData(portalapi.JSON)
		if err != nil {
			t.Fatal(err)
		}
		doc = d
	}
}
