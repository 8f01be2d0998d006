package rest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
)

func TestPathRoundTrip(t *testing.T) {
	sid, _ := soap.ParseServiceID("central-server/GOV/70000002/gns service/getX")
	p := Path(sid, "/api/v1/x?y=1")
	if p != "/r1/central-server/GOV/70000002/gns%20service/getX/api/v1/x?y=1" {
		t.Fatalf("path %q", p)
	}
	got, rest, err := ParsePath("/r1/central-server/GOV/70000002/gns%20service/getX/api/v1/x")
	if err != nil || got != sid || rest != "/api/v1/x" {
		t.Errorf("%v %q %v", got, rest, err)
	}
	got, rest, err = ParsePath("/r1/EE/GOV/1/sub/svc")
	if err != nil || got.ServiceCode != "svc" || rest != "" {
		t.Errorf("%v %q %v", got, rest, err)
	}
	for _, bad := range []string{"/r2/EE/GOV/1/sub/svc", "/r1/EE/GOV/1/sub", "/r1/EE/GOV/1/su%3Bb/svc", "/r1/EE/GOV/1/sub/%zz"} {
		if _, _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
}

func TestHeaders(t *testing.T) {
	c, _ := soap.ParseClientID("EE/GOV/1/portal")
	h := http.Header{}
	Headers{Client: c, ID: "id1", UserID: "KG123", Issue: "x"}.Set(h)
	if h.Get(HeaderClient) != "EE/GOV/1/portal" || h.Get(HeaderRequestHash) != "" {
		t.Errorf("%v", h)
	}
	got, err := ParseHeaders(h)
	if err != nil || got.Client != c || got.ID != "id1" || got.UserID != "KG123" || got.Issue != "x" {
		t.Errorf("%+v %v", got, err)
	}
	h.Set(HeaderClient, "EE/GOV")
	if _, err := ParseHeaders(h); !errors.Is(err, &soap.ValidationError{Code: soap.CodeInvalidClientIdentifier}) {
		t.Errorf("bad client: %v", err)
	}
}

func TestErrors(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, http.StatusForbidden, Error{Type: "Server.ServerProxy.AccessDenied", Message: "no", Detail: "d"})
	if rec.Code != 403 || rec.Header().Get(HeaderError) != "Server.ServerProxy.AccessDenied" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	e, err := ParseError(rec.Header(), rec.Body.Bytes())
	if err != nil || e.Type != "Server.ServerProxy.AccessDenied" || e.Message != "no" || e.Detail != "d" {
		t.Errorf("%+v %v", e, err)
	}
	e, err = ParseError(http.Header{HeaderError: {"server.serverproxy.access_denied"}}, nil)
	if err != nil || e.Type != "Server.ServerProxy.AccessDenied" {
		t.Errorf("snake: %+v %v", e, err)
	}
	if _, err := ParseError(http.Header{}, []byte("{")); err == nil {
		t.Error("bad JSON accepted")
	}
	if _, err := ParseError(http.Header{}, nil); err == nil {
		t.Error("no type accepted")
	}
}
