package ssclient_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/adapter/ssclient"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// A supplier's tax arrears through the (emulated) security server, and what
// an SS fault looks like to the caller.
func ExampleClient_Do() {
	ss := fixtures.NewDemo(fixtures.DemoOptions{TLS: true})
	defer ss.Close()

	c, err := ssclient.New(ssclient.Options{URL: ss.URL, TLSConfig: ss.ClientTLSConfig(), Client: fixtures.PortalClient, Timeout: 10 * time.Second})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	req, err := soap.NewRequest(soap.Request{
		Client: fixtures.PortalClient, Service: fixtures.TaxDebtService,
		UserID: "KG21504197800123", Issue: "tender-2026-0042",
		BodyNamespace: fixtures.TaxNamespace,
		Body:          []byte("<request><INN>02207200800561</INN><RepresentativePIN>21504197800123</RepresentativePIN></request>"),
	})
	if err != nil {
		panic(err)
	}
	ex, err := c.Do(context.Background(), req, ssclient.CallOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("arrears:", strings.Contains(string(ex.Response.BodyElement()), "<HasArrears>true</HasArrears>"))
	fmt.Println("requestHash matches:", ex.Response.Header().RequestHash == soap.RequestHash(req.SOAP()))

	ss.Inject(fixtures.TaxDebtService, xroadtest.Injection{Times: 1, FaultCode: "server.serverproxy.service_failed.unknown_host"})
	_, err = c.Do(context.Background(), req, ssclient.CallOptions{})
	var fe *ssclient.FaultError
	if errors.As(err, &fe) {
		fmt.Println("fault:", fe.Code)
	}
	// Output:
	// arrears: true
	// requestHash matches: true
	// fault: Server.ServerProxy.ServiceFailed.NetworkError
}
