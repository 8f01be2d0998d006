package ssclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

func TestDoREST(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{TLS: true})
	c := newClient(t, ss, nil)
	d := fixtures.Default()
	inn := d.INNClean()
	ex, err := c.DoREST(context.Background(), ssclient.RESTRequest{Service: fixtures.FoundersService, Path: "/" + inn, UserID: "KG21504197800123", Issue: "lot-7"}, ssclient.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		INN      string `json:"inn"`
		Founders []struct {
			PIN string `json:"pin"`
		} `json:"founders"`
	}
	if err := json.Unmarshal(ex.Body, &body); err != nil || ex.StatusCode != 200 || body.INN != inn || len(body.Founders) == 0 {
		t.Errorf("answer %d %s (%v)", ex.StatusCode, ex.Body, err)
	}
	if ex.ID != ex.Request.ID || ex.RequestHash == "" || !strings.HasSuffix(ex.URL, "/minjust-inn-services/founders/"+inn) {
		t.Errorf("exchange %+v", ex)
	}

	// Not found: the provider's 204 is a business answer, not an error.
	ex, err = c.DoREST(context.Background(), ssclient.RESTRequest{Service: fixtures.FoundersService, Path: "/" + fixtures.UnknownINN}, ssclient.CallOptions{})
	if err != nil || ex.StatusCode != http.StatusNoContent {
		t.Errorf("unknown INN: %v %+v", err, ex)
	}

	// X-Road-Error, both code forms.
	for _, raw := range []string{"Server.ServerProxy.ServiceFailed.NetworkError", "server.serverproxy.service_failed.unknown_host"} {
		ss.Inject(fixtures.FoundersService, xroadtest.Injection{Times: 1, FaultCode: raw})
		ex, err = c.DoREST(context.Background(), ssclient.RESTRequest{Service: fixtures.FoundersService, Path: "/" + inn}, ssclient.CallOptions{})
		var fe *ssclient.FaultError
		if !errors.As(err, &fe) || fe.Code != "Server.ServerProxy.ServiceFailed.NetworkError" || !fe.REST || fe.HTTPStatus != 500 || fe.Detail == "" {
			t.Errorf("%s: %v %+v", raw, err, fe)
		}
		if ex == nil {
			t.Error("no exchange with an X-Road-Error")
		}
	}
	ss.Inject(fixtures.FoundersService, xroadtest.Injection{Times: 1, CorruptEcho: true})
	if _, err = c.DoREST(context.Background(), ssclient.RESTRequest{Service: fixtures.FoundersService, Path: "/" + inn}, ssclient.CallOptions{}); !errors.Is(err, &soap.ValidationError{Code: soap.CodeInconsistentResponse}) {
		t.Errorf("corrupt X-Road-Id: %v", err)
	}
	// Another client is denied.
	_, err = c.DoREST(context.Background(), ssclient.RESTRequest{Service: fixtures.FoundersService, Path: "/" + inn,
		Client: soap.ClientID{Instance: "central-server", MemberClass: "COM", MemberCode: "60000001", SubsystemCode: "x"}}, ssclient.CallOptions{})
	var fe *ssclient.FaultError
	if !errors.As(err, &fe) || fe.Code != "Server.ServerProxy.AccessDenied" {
		t.Errorf("access denied: %v", err)
	}
}

func TestMetaservices(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	c := newClient(t, ss, nil)
	ctx := context.Background()

	ms, err := c.ListClients(ctx, "central-server", ssclient.MetaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, m := range ms {
		names[m.ID.String()] = m.Name
	}
	if names["central-server/GOV/70000002/gns-service"] == "" || names["central-server/GOV/70000003"] == "" || len(ms) < 10 {
		t.Errorf("ListClients: %v", names)
	}
	if err := c.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}

	methods, err := c.ListMethods(ctx, fixtures.TaxDebtService.Provider(), ssclient.MetaOptions{})
	if err != nil || len(methods) != 1 || methods[0].Service != fixtures.TaxDebtService || methods[0].Type != "SOAP" {
		t.Errorf("ListMethods = %+v, %v", methods, err)
	}
	methods, err = c.AllowedMethods(ctx, fixtures.CriminalRecordService.Provider(), ssclient.MetaOptions{})
	if err != nil || len(methods) != 1 || methods[0].Service != fixtures.CriminalRecordService {
		t.Errorf("AllowedMethods = %+v, %v", methods, err)
	}
	methods, err = c.ListMethods(ctx, fixtures.FoundersService.Provider(), ssclient.MetaOptions{REST: true})
	if err != nil || len(methods) != 1 || methods[0].Service != fixtures.FoundersService || len(methods[0].Endpoints) != 1 || methods[0].Endpoints[0].Path != "/{inn}" {
		t.Errorf("REST ListMethods = %+v, %v", methods, err)
	}

	wsdl, err := c.GetWSDL(ctx, fixtures.SocialFundDebtService, ssclient.MetaOptions{})
	if err != nil || !strings.Contains(string(wsdl), `<wsdl:operation name="GetInsuranceArrearsByINN">`) {
		t.Errorf("GetWSDL = %.200s, %v", wsdl, err)
	}
	if _, err := c.GetWSDL(ctx, soap.ServiceID{ClientID: fixtures.TaxDebtService.ClientID, ServiceCode: "nope", ServiceVersion: "v1"}, ssclient.MetaOptions{}); err == nil {
		t.Error("GetWSDL of an unknown service succeeded")
	}
	oas, err := c.GetOpenAPI(ctx, fixtures.FoundersService, ssclient.MetaOptions{})
	if err != nil || !strings.HasPrefix(string(oas), "openapi: 3.0.3") {
		t.Errorf("GetOpenAPI = %.100s, %v", oas, err)
	}
	if _, err := c.GetOpenAPI(ctx, soap.ServiceID{ClientID: fixtures.FoundersService.ClientID, ServiceCode: "nope"}, ssclient.MetaOptions{}); err == nil {
		t.Error("GetOpenAPI of an unknown service succeeded")
	}
}
