package xroadtest_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

type metaService struct {
	ObjectType  string `xml:"objectType,attr"`
	ServiceCode string `xml:"serviceCode"`
	Version     string `xml:"serviceVersion"`
	Subsystem   string `xml:"subsystemCode"`
}

// TestPRMetaAnnexListAndAllowedMethods sends PR-META's Annex C.2 and C.4
// requests to an emulator holding the annex's two services, one of them
// closed to the client, and expects the answers of C.3 and C.5.
func TestPRMetaAnnexListAndAllowedMethods(t *testing.T) {
	dir := corpus.Dir(t, "metaservice")
	provider := soap.ClientID{Instance: "Inst1", MemberClass: "MemberClass1", MemberCode: "ProviderId", SubsystemCode: "Subsystem1"}
	client := soap.ClientID{Instance: "Inst1", MemberClass: "MemberClass1", MemberCode: "ClientId"}
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	h := http.NotFoundHandler()
	ss.Register(xroadtest.Service{ID: soap.ServiceID{ClientID: provider, ServiceCode: "allowedService", ServiceVersion: "v1"}, SOAP: h, Allow: []soap.ClientID{client}})
	ss.Register(xroadtest.Service{ID: soap.ServiceID{ClientID: provider, ServiceCode: "disallowedService", ServiceVersion: "v1"}, SOAP: h, Allow: []soap.ClientID{}})

	for _, tt := range []struct {
		req, want string
	}{{"pr-meta-annex-c2-listMethods-request.xml", "pr-meta-annex-c3-listMethods-response.xml"},
		{"pr-meta-annex-c4-allowedMethods-request.xml", "pr-meta-annex-c5-allowedMethods-response.xml"}} {
		body := readFile(t, dir, tt.req)
		resp, err := ss.Client().Post(ss.URL, "text/xml; charset=UTF-8", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(strings.ReplaceAll(ct, " ", "")), "text/xml;charset=utf-8") {
			t.Errorf("%s: Content-Type %q", tt.req, ct)
		}
		got, err := soap.ParseBytes(b, resp.Header.Get("Content-Type"), soap.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tt.req, err)
		}
		want, err := soap.ParseBytes(readFile(t, dir, tt.want), "text/xml", soap.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := soap.ParseBytes(body, "text/xml", soap.Limits{})
		if err := got.CheckRequestHash(req); err != nil {
			t.Errorf("%s: %v", tt.req, err)
		}
		// (The annex's own requestHash values are illustrative: they are
		// not the hash of the annex request bytes.)
		if got.BodyName() != want.BodyName() {
			t.Errorf("%s: body %v, want %v", tt.req, got.BodyName(), want.BodyName())
		}
		var g, w struct {
			Services []metaService `xml:"service"`
		}
		xml.Unmarshal(got.BodyElement(), &g)
		xml.Unmarshal(want.BodyElement(), &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: services %+v, annex %+v", tt.req, g, w)
		}
	}
}

func TestGetWsdlIsAMIMEAttachment(t *testing.T) {
	dir := corpus.Dir(t, "metaservice")
	// getWsdl.query names EE/BUSINESS/producer; serve getRandom there with the corpus WSDL.
	ss := xroadtest.NewSecurityServer(xroadtest.Options{})
	defer ss.Close()
	wsdl := readFile(t, dir, filepath.Join("__files", "wsdl.wsdl"))
	ss.Register(xroadtest.Service{ID: soap.ServiceID{ClientID: soap.ClientID{Instance: "EE", MemberClass: "BUSINESS", MemberCode: "producer"}, ServiceCode: "getRandom"},
		SOAP: http.NotFoundHandler(), WSDL: wsdl})
	resp, err := ss.Client().Post(ss.URL, "text/xml; charset=UTF-8", bytes.NewReader(readFile(t, dir, filepath.Join("queries", "getWsdl.query"))))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "multipart/related") || !strings.Contains(ct, `type="text/xml"`) {
		t.Errorf("Content-Type %q", ct)
	}
	m, err := soap.ParseBytes(b, ct, soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.BodyName().Local != "getWsdlResponse" || len(m.Attachments()) != 1 {
		t.Fatalf("answer %s", b)
	}
	rc, _ := m.Attachments()[0].Open()
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, wsdl) {
		t.Error("attachment differs from the registered WSDL")
	}
}

// TestListClientsShapes checks listClients against PR-META Annex C.1 (JSON
// and XML forms).
func TestListClientsShapes(t *testing.T) {
	dir := corpus.Dir(t, "metaservice")
	ss := xroadtest.NewSecurityServer(xroadtest.Options{Members: []xroadtest.Member{
		{ID: soap.ClientID{Instance: "AA", MemberClass: "GOV", MemberCode: "TS1OWNER"}, Name: "TS1 Owner"},
		{ID: soap.ClientID{Instance: "AA", MemberClass: "GOV", MemberCode: "TS2OWNER"}, Name: "TS2 Owner"},
		{ID: soap.ClientID{Instance: "AA", MemberClass: "ENT", MemberCode: "CLIENT1"}, Name: "Client One"},
		{ID: soap.ClientID{Instance: "AA", MemberClass: "ENT", MemberCode: "CLIENT1", SubsystemCode: "sub"}, Name: "Client One", SubsystemName: "Client One Sub"},
		{ID: soap.ClientID{Instance: "BB", MemberClass: "GOV", MemberCode: "OTHER"}, Name: "Other instance"},
	}})
	defer ss.Close()
	get := func(accept string) []byte {
		req, _ := http.NewRequest(http.MethodGet, ss.URL+"/listClients?xRoadInstance=AA", nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := ss.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	var got, want any
	if err := json.Unmarshal(get("application/json"), &got); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(readFile(t, dir, "pr-meta-annex-c1-listClients-response.json"), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON listClients\n got %v\nwant %v", got, want)
	}
	type member struct {
		ID struct {
			ObjectType string `xml:"objectType,attr"`
			Instance   string `xml:"xRoadInstance"`
			Class      string `xml:"memberClass"`
			Code       string `xml:"memberCode"`
			Sub        string `xml:"subsystemCode"`
		} `xml:"id"`
		Name    string `xml:"name"`
		SubName string `xml:"subsystemName"`
	}
	var gx, wx struct {
		Members []member `xml:"member"`
	}
	if err := xml.Unmarshal(get(""), &gx); err != nil {
		t.Fatal(err)
	}
	xml.Unmarshal(readFile(t, dir, "pr-meta-annex-c1-listClients-response.xml"), &wx)
	if !reflect.DeepEqual(gx, wx) || len(gx.Members) != 4 {
		t.Errorf("XML listClients\n got %+v\nwant %+v", gx, wx)
	}
}
