package register_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/ssapitest"
	"github.com/tunduk-kg/tunduk/internal/catalog/register"
	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
	"github.com/tunduk-kg/tunduk/internal/testkit"
)

const (
	sub       = "DEV:GOV:1234:SUB"
	portal    = "DEV:GOV:1234:PORTAL"
	wsdlURL   = "https://desc.example/SUB/getPerson.v1.wsdl"
	oasURL    = "https://desc.example/SUB/persons.openapi.yaml"
	consumerA = "DEV:COM:5678:shop"
	consumerB = "DEV:GOV:9999:audit"
)

func desired() *register.Desired {
	owner, _ := ssapi.ParseClientID("DEV:GOV:1234")
	subID, _ := ssapi.ParseClientID(sub)
	portalID, _ := ssapi.ParseClientID(portal)
	return &register.Desired{Owner: owner, Subsystems: []register.Subsystem{
		{ID: subID, Descriptions: []register.Description{
			{Type: ssapi.TypeWSDL, URL: wsdlURL, Enabled: true, Services: []register.Service{{
				FullCode: "getPerson.v1", URL: "https://is.example/soap", Timeout: 30, SSLAuth: true,
				Consumers: []string{consumerA, consumerB},
			}}},
			{Type: ssapi.TypeOpenAPI3, URL: oasURL, RestServiceCode: "persons", Enabled: true, Services: []register.Service{{
				FullCode: "persons", URL: "http://is.example/api", Timeout: 20,
				Endpoints: []register.Endpoint{{Method: "GET", Path: "/persons/*"}, {Method: "POST", Path: "/persons"}},
				Consumers: []string{consumerA},
			}}},
		}},
		{ID: portalID},
	}}
}

type env struct {
	fake *ssapitest.Server
	c    *ssapi.Client
	rec  *register.JSONLRecorder
	sl   *ssapitest.Sleeper
}

func newEnv(t *testing.T) *env {
	t.Helper()
	fake := ssapitest.NewServer(t, ssapitest.Options{})
	fake.Publish(wsdlURL, ssapitest.Published{Services: []ssapitest.PublishedService{{Code: "getPerson", Version: "v1"}},
		ServiceURL: "http://localhost/soap"})
	fake.Publish(oasURL, ssapitest.Published{Operations: []ssapitest.Operation{{Method: "GET", Path: "/persons/*"}},
		ServiceURL: "http://localhost/api"})
	e := &env{fake: fake, rec: &register.JSONLRecorder{Path: filepath.Join(t.TempDir(), "applies.jsonl")}, sl: &ssapitest.Sleeper{}}
	e.c = e.client(t, false)
	return e
}

func (e *env) client(t *testing.T, accept bool) *ssapi.Client {
	t.Helper()
	c, err := ssapi.New(ssapi.Options{BaseURL: e.fake.URL, APIKey: e.fake.APIKey(), PinSHA256: e.fake.Pin,
		AcceptWarnings: accept, Sleep: e.sl.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var actor = register.Actor{ID: "n.osmonov", Name: "Nurlan Osmonov", Role: "registrar"}

func (e *env) plan(t *testing.T, c *ssapi.Client, d *register.Desired) *register.Plan {
	t.Helper()
	o, err := register.Observe(context.Background(), c, d)
	if err != nil {
		t.Fatal(err)
	}
	return register.MakePlan(d, o)
}

func (e *env) apply(t *testing.T, c *ssapi.Client, d *register.Desired) (*register.Report, error) {
	t.Helper()
	return register.Apply(context.Background(), c, e.plan(t, c, d),
		register.ApplyOptions{Actor: actor, Recorder: e.rec, SecurityServer: e.fake.URL})
}

func kinds(p *register.Plan) string {
	var ks []string
	for _, c := range p.Changes {
		ks = append(ks, string(c.Kind))
	}
	return strings.Join(ks, ",")
}

func outcomes(r *register.Report) string {
	var out []string
	for _, x := range r.Results {
		out = append(out, string(x.Change.Kind)+"="+string(x.Outcome))
	}
	return strings.Join(out, ",")
}

func TestPlanApplyIsIdempotent(t *testing.T) {
	e := newEnv(t)
	d := desired()
	p := e.plan(t, e.c, d)
	// Order: per subsystem, descriptions with their services; enabling last.
	want := "add-client,add-description,update-service,grant-access,add-description,update-service,add-endpoint,add-endpoint,grant-access,add-client,enable-description,enable-description"
	if got := kinds(p); got != want {
		t.Fatalf("plan kinds\n got %s\nwant %s", got, want)
	}
	if len(e.fake.Writes()) != 0 {
		t.Fatal("plan changed the security server")
	}

	rep, err := register.Apply(context.Background(), e.c, p, register.ApplyOptions{Actor: actor, Recorder: e.rec, SecurityServer: e.fake.URL})
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, outcomes(rep))
	}
	// GET /persons/* was generated from the OpenAPI file: the SS answers 409.
	if rep.Count(register.AlreadyPresent) != 1 || rep.Count(register.Applied) != len(p.Changes)-1 {
		t.Errorf("outcomes: %s", outcomes(rep))
	}
	s, rights, ok := e.fake.Service(sub + ":getPerson.v1")
	if !ok || s.URL != "https://is.example/soap" || s.Timeout != 30 || !s.SSLAuth || strings.Join(rights, ",") != consumerA+","+consumerB {
		t.Errorf("getPerson on the SS = %+v rights %v", s, rights)
	}
	r, rights, _ := e.fake.Service(sub + ":persons")
	if r.Timeout != 20 || r.SSLAuth || len(r.Endpoints) != 3 || strings.Join(rights, ",") != consumerA {
		t.Errorf("persons on the SS = %+v rights %v", r, rights)
	}
	for _, sd := range e.fake.Descriptions(sub) {
		if sd.Disabled {
			t.Errorf("description %s still disabled", sd.URL)
		}
	}
	if !e.fake.HasClient(portal) {
		t.Error("consumer-only subsystem not added as a client")
	}

	// Second round: nothing to do, nothing written.
	writes := len(e.fake.Writes())
	p2 := e.plan(t, e.c, d)
	if !p2.Empty() {
		t.Fatalf("second plan not empty: %v", p2.Changes)
	}
	rep2, err := register.Apply(context.Background(), e.c, p2, register.ApplyOptions{Actor: actor, Recorder: e.rec})
	if err != nil || len(rep2.Results) != 0 || len(e.fake.Writes()) != writes {
		t.Errorf("second apply: %v, %d results, %d new writes", err, len(rep2.Results), len(e.fake.Writes())-writes)
	}
	if drift := register.Diff(d, mustObserve(t, e.c, d)); len(drift) != 0 {
		t.Errorf("drift after apply: %v", drift)
	}

	recs := readRecords(t, e.rec.Path)
	if len(recs) != 4 || recs[0].Phase != "begin" || recs[1].Phase != "end" || recs[1].Outcome != "complete" {
		t.Fatalf("records = %+v", recs)
	}
	if recs[0].Actor.ID != "n.osmonov" || len(recs[0].Planned) != len(p.Changes) || len(recs[1].Results) != len(p.Changes) || recs[1].Time.IsZero() {
		t.Errorf("record lacks who/what/when: %+v", recs[1])
	}
}

func mustObserve(t *testing.T, c *ssapi.Client, d *register.Desired) *register.Observed {
	t.Helper()
	o, err := register.Observe(context.Background(), c, d)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func readRecords(t *testing.T, path string) []register.ApplyRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []register.ApplyRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r register.ApplyRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestWarningsShownThenAccepted(t *testing.T) {
	e := newEnv(t)
	e.fake.Publish(wsdlURL, ssapitest.Published{Services: []ssapitest.PublishedService{{Code: "getPerson", Version: "v1"}},
		Warnings: []ssapi.CodeWithDetails{{Code: "wsdl_validation_warnings", Metadata: []string{"WSDL-I0002: missing documentation"}}}})
	d := desired()
	rep, err := e.apply(t, e.c, d)
	var we *ssapi.WarningsError
	if !errors.As(err, &we) || we.Warnings[0].Code != "wsdl_validation_warnings" {
		t.Fatalf("apply with warnings = %v, want *ssapi.WarningsError", err)
	}
	f := rep.Failed()
	if f == nil || f.Change.Kind != register.AddDescription || f.Change.Target != wsdlURL || len(f.Warnings) != 1 {
		t.Fatalf("failed result = %+v", f)
	}
	if got := outcomes(rep); !strings.HasPrefix(got, "add-client=applied,add-description=failed,update-service=not-attempted") {
		t.Errorf("outcomes = %s", got)
	}
	if len(e.fake.Descriptions(sub)) != 0 {
		t.Fatal("description added although warnings were not accepted")
	}

	rep, err = e.apply(t, e.client(t, true), d)
	if err != nil {
		t.Fatalf("apply accepting warnings: %v", err)
	}
	var accepted []ssapi.CodeWithDetails
	for _, r := range rep.Results {
		accepted = append(accepted, r.Warnings...)
	}
	if len(accepted) != 1 || accepted[0].Code != "wsdl_validation_warnings" {
		t.Errorf("accepted warnings in report = %+v", accepted)
	}
	if !e.plan(t, e.c, d).Empty() {
		t.Error("not converged after accepting warnings")
	}
}

func TestFailureMidwayReportedExactly(t *testing.T) {
	e := newEnv(t)
	d := desired()
	// The second grant (for persons) fails with a server error.
	e.fake.Inject(ssapitest.Fault{Op: "addServiceServiceClients", Skip: 1, Status: http.StatusInternalServerError})
	p := e.plan(t, e.c, d)
	rep, err := register.Apply(context.Background(), e.c, p, register.ApplyOptions{Actor: actor, Recorder: e.rec})
	var ae *ssapi.APIError
	if !errors.As(err, &ae) || ae.Status != 500 {
		t.Fatalf("apply = %v, want the 500", err)
	}
	want := "add-client=applied,add-description=applied,update-service=applied,grant-access=applied," +
		"add-description=applied,update-service=applied,add-endpoint=already-present,add-endpoint=applied,grant-access=failed," +
		"add-client=not-attempted,enable-description=not-attempted,enable-description=not-attempted"
	if got := outcomes(rep); got != want {
		t.Fatalf("outcomes\n got %s\nwant %s", got, want)
	}
	if f := rep.Failed(); f.Change.Target != sub+":persons" || !strings.Contains(f.Error, "500") {
		t.Errorf("failed = %+v", f)
	}
	// The report matches the SS: nothing after the failure happened.
	for _, sd := range e.fake.Descriptions(sub) {
		if !sd.Disabled {
			t.Errorf("%s enabled although enabling was not attempted", sd.URL)
		}
	}
	if e.fake.HasClient(portal) {
		t.Error("portal client added although not attempted")
	}
	recs := readRecords(t, e.rec.Path)
	if recs[len(recs)-1].Outcome != "partial" {
		t.Errorf("end record outcome = %q, want partial", recs[len(recs)-1].Outcome)
	}

	// Re-running applies exactly what is left.
	p2 := e.plan(t, e.c, d)
	if got := kinds(p2); got != "grant-access,add-client,enable-description,enable-description" {
		t.Errorf("remaining plan = %s", got)
	}
	if _, err := register.Apply(context.Background(), e.c, p2, register.ApplyOptions{Actor: actor, Recorder: e.rec}); err != nil {
		t.Fatal(err)
	}
	if !e.plan(t, e.c, d).Empty() {
		t.Error("not converged")
	}
}

func TestConflictsAreAlreadyPresent(t *testing.T) {
	e := newEnv(t)
	d := desired()
	if _, err := e.apply(t, e.c, d); err != nil {
		t.Fatal(err)
	}
	d.Subsystems[0].Descriptions[0].Services[0].Consumers = append(d.Subsystems[0].Descriptions[0].Services[0].Consumers, "DEV:GOV:7777:new")
	p := e.plan(t, e.c, d)
	if kinds(p) != "grant-access" {
		t.Fatalf("plan = %s", kinds(p))
	}
	// Someone grants it by hand between plan and apply: the SS answers 409.
	e.fake.Grant(sub+":getPerson.v1", "DEV:GOV:7777:new")
	rep, err := register.Apply(context.Background(), e.c, p, register.ApplyOptions{Actor: actor, Recorder: e.rec})
	if err != nil || outcomes(rep) != "grant-access=already-present" {
		t.Fatalf("apply = %v, %s", err, outcomes(rep))
	}
	var saw409 bool
	for _, r := range e.fake.Requests() {
		saw409 = saw409 || (r.Op == "addServiceServiceClients" && r.Status == http.StatusConflict)
	}
	if !saw409 {
		t.Error("the SS never answered 409; the test did not exercise the conflict")
	}

	// A client added by hand after plan: POST /clients answers 409.
	e2 := newEnv(t)
	p2 := e2.plan(t, e2.c, desired())
	e2.fake.AddClient(sub)
	rep2, err := register.Apply(context.Background(), e2.c, p2, register.ApplyOptions{Actor: actor, Recorder: e2.rec})
	if err != nil || rep2.Results[0].Outcome != register.AlreadyPresent {
		t.Fatalf("apply = %v, %s", err, outcomes(rep2))
	}
}

func TestRateLimitedApply(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(ssapitest.Fault{Op: "updateService", Status: http.StatusTooManyRequests, RetryAfter: "2", Times: 2})
	rep, err := e.apply(t, e.c, desired())
	if err != nil {
		t.Fatalf("apply = %v", err)
	}
	if rep.Count(register.Failed) != 0 || fmt.Sprint(e.sl.Waits()) != "[2s 2s]" {
		t.Errorf("outcomes %s, waits %v", outcomes(rep), e.sl.Waits())
	}
}

func TestDiffFindsUndescribedLiveService(t *testing.T) {
	e := newEnv(t)
	d := desired()
	if _, err := e.apply(t, e.c, d); err != nil {
		t.Fatal(err)
	}
	// Changes made by hand on the SS, behind the catalog's back.
	e.fake.AddDescription(sub, ssapi.TypeREST, "http://backdoor.example/api", "exportAll", true)
	e.fake.AddDescription(sub, ssapi.TypeREST, "http://old.example/api", "oldThing", false)
	e.fake.Grant(sub+":getPerson.v1", "DEV:COM:6666:stranger")
	e.fake.AddClient("DEV:GOV:1234:SHADOW")
	// And a catalog change not yet applied.
	d.Subsystems[0].Descriptions[1].Services[0].Timeout = 45

	drift := register.Diff(d, mustObserve(t, e.c, d))
	if len(drift) == 0 || !drift[0].Critical || drift[0].Kind != register.UndescribedLiveService || drift[0].Subject != sub+":exportAll" {
		t.Fatalf("first drift = %v, want the live undescribed service", drift)
	}
	got := map[string]bool{}
	for _, dr := range drift {
		got[string(dr.Direction)+" "+dr.Kind+" "+dr.Subject] = true
		if dr.Critical && dr.Subject != sub+":exportAll" {
			t.Errorf("unexpected critical drift %v", dr)
		}
	}
	for _, w := range []string{
		"ss-only undescribed-service " + sub + ":oldThing",
		"ss-only undescribed-description http://backdoor.example/api",
		"ss-only extra-access-right " + sub + ":getPerson.v1",
		"ss-only undescribed-subsystem DEV:GOV:1234:SHADOW",
		"catalog-only update-service " + sub + ":persons",
	} {
		if !got[w] {
			t.Errorf("drift lacks %q; got %v", w, drift)
		}
	}
	// Apply never removes what the catalog lacks.
	p := e.plan(t, e.c, d)
	if kinds(p) != "update-service" {
		t.Errorf("plan = %s, want only the catalog's own change", kinds(p))
	}
}

type failingRecorder struct{}

func (failingRecorder) RecordApply(context.Context, register.ApplyRecord) error {
	return errors.New("disk full")
}

func TestApplyRefusedWithoutActorOrRecord(t *testing.T) {
	e := newEnv(t)
	p := e.plan(t, e.c, desired())
	if _, err := register.Apply(context.Background(), e.c, p, register.ApplyOptions{Recorder: e.rec}); err == nil {
		t.Error("apply without an actor accepted")
	}
	_, err := register.Apply(context.Background(), e.c, p, register.ApplyOptions{Actor: actor, Recorder: failingRecorder{}})
	if !errors.Is(err, register.ErrNotRecorded) {
		t.Errorf("apply with failing recorder = %v, want ErrNotRecorded", err)
	}
	if n := len(e.fake.Writes()); n != 0 {
		t.Errorf("%d changes made although the apply could not be recorded", n)
	}
}

func TestAuthorize(t *testing.T) {
	c := &catalog.Catalog{Organisation: &catalog.Organisation{AuthorisedPersons: []*catalog.Person{
		{ID: "reg", Name: "Registrar", Roles: []catalog.Role{catalog.RoleRegistrar}, Basis: "Order 1"},
		{ID: "boss", Name: "Head", Roles: []catalog.Role{catalog.RoleHead}},
	}}}
	a, err := register.Authorize(c, "reg")
	if err != nil || a.ID != "reg" || a.Role != "registrar" || a.Basis != "Order 1" {
		t.Errorf("Authorize(reg) = %+v, %v", a, err)
	}
	for _, id := range []string{"boss", "nobody", ""} {
		var ne *register.NotAuthorisedError
		if _, err := register.Authorize(c, id); !errors.As(err, &ne) {
			t.Errorf("Authorize(%q) = %v, want *NotAuthorisedError", id, err)
		}
	}
}

func TestFromCatalog(t *testing.T) {
	// The shipped example must load: a broken example fails here, it is
	// not a reason to skip.
	c := testkit.ExampleCatalog(t)
	d, err := register.FromCatalog(c, register.FromCatalogOptions{DescriptionBaseURL: "http://adapter.internal:8080/descriptions/"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Owner.String() != "central-server:GOV:70000041" {
		t.Errorf("owner = %s", d.Owner)
	}
	var reg *register.Subsystem
	for i := range d.Subsystems {
		if d.Subsystems[i].ID.SubsystemCode == "supplier-registry" {
			reg = &d.Subsystems[i]
		}
	}
	if reg == nil || len(reg.Descriptions) != 2 {
		t.Fatalf("supplier-registry = %+v", reg)
	}
	w, r := reg.Descriptions[0], reg.Descriptions[1]
	if w.Type != "WSDL" || w.URL != "http://adapter.internal:8080/descriptions/supplier-registry/getSupplierInfo.v1.wsdl" ||
		w.Services[0].FullCode != "getSupplierInfo.v1" || w.Services[0].Timeout != 30 || !w.Services[0].SSLAuth {
		t.Errorf("SOAP description = %+v", w)
	}
	if strings.Join(w.Services[0].Consumers, ",") != "central-server:GOV:70000002:gns-service,central-server:GOV:70000030:audit-system" {
		t.Errorf("consumers = %v", w.Services[0].Consumers)
	}
	if r.Type != "OPENAPI3" || r.RestServiceCode != "unreliableSupplier" ||
		fmt.Sprint(r.Services[0].Endpoints) != "[{GET /unreliable-suppliers/*}]" || r.Services[0].Timeout != 10 {
		t.Errorf("REST description = %+v", r)
	}
}

func TestURLChangeAndDisable(t *testing.T) {
	e := newEnv(t)
	d := desired()
	if _, err := e.apply(t, e.c, d); err != nil {
		t.Fatal(err)
	}
	// The OpenAPI file moves; the WSDL description is to be taken out of service.
	d.Subsystems[0].Descriptions[1].URL = "https://desc.example/v2/persons.openapi.yaml"
	d.Subsystems[0].Descriptions[0].Enabled = false
	p := e.plan(t, e.c, d)
	if got := kinds(p); got != "update-description,disable-description" {
		t.Fatalf("plan = %s", got)
	}
	if _, err := register.Apply(context.Background(), e.c, p, register.ApplyOptions{Actor: actor, Recorder: e.rec}); err != nil {
		t.Fatal(err)
	}
	for _, sd := range e.fake.Descriptions(sub) {
		switch sd.Type {
		case ssapi.TypeWSDL:
			if !sd.Disabled {
				t.Error("WSDL description still enabled")
			}
		case ssapi.TypeOpenAPI3:
			if sd.URL != "https://desc.example/v2/persons.openapi.yaml" || len(sd.Services) != 1 || sd.Services[0].ID != sub+":persons" {
				t.Errorf("OpenAPI description = %+v", sd)
			}
		}
	}
	if !e.plan(t, e.c, d).Empty() {
		t.Error("not converged")
	}
}

// Services the tunduk provider serves are registered at the provider
// listener, not the backend, so the security server cannot bypass it.
func TestFromCatalogRegistersProviderListener(t *testing.T) {
	c := testkit.ExampleCatalog(t)
	d, err := register.FromCatalog(c, register.FromCatalogOptions{
		DescriptionBaseURL: "http://adapter.internal:8080/descriptions/",
		ProviderURL:        "https://127.0.0.1:8081/",
		Provided:           func(s *catalog.Service) bool { return s.Code != "notServed" },
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]register.Service{}
	for _, sub := range d.Subsystems {
		for _, ds := range sub.Descriptions {
			for _, s := range ds.Services {
				got[s.FullCode] = s
			}
		}
	}
	if s := got["getSupplierInfo.v1"]; s.URL != "https://127.0.0.1:8081/" || !s.SSLAuth {
		t.Errorf("SOAP service address %+v, want the provider listener", s)
	}
	if s := got["unreliableSupplier"]; s.URL != "https://127.0.0.1:8081/r1/central-server/GOV/70000041/supplier-registry/unreliableSupplier" {
		t.Errorf("REST service address %+v, want the provider listener's /r1/ path", s)
	}
	d, _ = register.FromCatalog(c, register.FromCatalogOptions{DescriptionBaseURL: "http://a/d", ProviderURL: "http://p:1",
		Provided: func(*catalog.Service) bool { return false }})
	if s := d.Subsystems[0].Descriptions[0].Services[0]; strings.HasPrefix(s.URL, "http://p:1") {
		t.Errorf("a service the provider does not serve was registered at it: %+v", s)
	}
}
