package xroadtest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

func TestNewRequestPanicsOnBadInput(t *testing.T) {
	for _, args := range [][3]string{
		{"not a client", service, ""},
		{consumer, "central-server/GOV", ""},
		{consumer, service, "<unclosed>"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRequest%q did not panic", args)
				}
			}()
			xroadtest.NewRequest(args[0], args[1], args[2])
		}()
	}
	m := xroadtest.NewRequest(consumer, service, "<q>1</q>")
	if err := m.Validate(soap.RoleRequest); err != nil || m.BodyName().Local != "getEcho" || m.BodyName().Space != xroadtest.TestNamespace {
		t.Errorf("NewRequest: %v %v", err, m.BodyName())
	}
}

// A provider handler is tested without a server: Recorder captures what it
// wrote and Check applies the security server's checks to it.
func TestRecorderAndCheck(t *testing.T) {
	req := xroadtest.NewRequest(consumer, service, "<q>1</q>")
	good := xroadtest.HandlerFunc(echoProvider, soap.Limits{})
	rec := xroadtest.NewRecorder()
	good.ServeHTTP(rec, xroadtest.ProviderRequest(context.Background(), req, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if m, err := rec.Message(soap.Limits{}); err != nil || m.BodyName().Local != "getEchoResponse" {
		t.Errorf("Message: %v", err)
	}
	resp, fault := xroadtest.Check(req, rec, soap.Limits{})
	if fault != nil || resp.CheckRequestHash(req) != nil {
		t.Errorf("Check: %+v", fault)
	}

	// A provider that builds its answer for another request fails the echo.
	bad := xroadtest.HandlerFunc(func(ctx context.Context, r *soap.Message) (*soap.Message, error) {
		return soap.NewResponse(xroadtest.NewRequest(consumer, service, ""), "", nil)
	}, soap.Limits{})
	rec = xroadtest.NewRecorder()
	bad.ServeHTTP(rec, xroadtest.ProviderRequest(context.Background(), req, nil))
	if _, fault := xroadtest.Check(req, rec, soap.Limits{}); fault == nil || fault.Code != xroadtest.CodeInconsistentResponse {
		t.Errorf("bad echo: %+v", fault)
	}
}
