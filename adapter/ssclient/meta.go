package ssclient

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tunduk-kg/tunduk/soap"
)

// Metaservices (PR-META for SOAP, PR-MREST for REST). They are idempotent,
// so they are retried after transport errors too, and they bypass the
// circuit breakers of services.

// Member is an entry of listClients: an X-Road member or subsystem.
type Member struct {
	ID            soap.ClientID
	Name          string
	SubsystemName string
}

// Method is a service a provider offers, from listMethods/allowedMethods.
type Method struct {
	Service soap.ServiceID
	// Type is "SOAP" for the SOAP metaservices, and for REST the
	// security server's service_type ("REST", "OPENAPI").
	Type string
	// Endpoints of a REST service (method and path), when listed.
	Endpoints []Endpoint
}

// Endpoint is a REST service endpoint.
type Endpoint struct{ Method, Path string }

// MetaOptions adjust a metaservice call.
type MetaOptions struct {
	// REST uses the REST metaservice (PR-MREST) instead of SOAP (PR-META).
	REST bool
	// Timeout overrides Options.Timeout.
	Timeout time.Duration
}

// ListClients returns the members and subsystems of the X-Road instance
// (GET /listClients, JSON form). instance "" asks for the security server's
// own instance.
func (c *Client) ListClients(ctx context.Context, instance string, o MetaOptions) ([]Member, error) {
	target := c.base.String() + "/listClients"
	if instance != "" {
		target += "?" + url.Values{"xRoadInstance": {instance}}.Encode()
	}
	var list struct {
		Member []struct {
			ID struct {
				MemberClass   string `json:"member_class"`
				MemberCode    string `json:"member_code"`
				SubsystemCode string `json:"subsystem_code"`
				XRoadInstance string `json:"xroad_instance"`
			} `json:"id"`
			Name          string `json:"name"`
			SubsystemName string `json:"subsystem_name"`
		} `json:"member"`
	}
	_, _, err := c.call(ctx, "", CallOptions{Timeout: o.Timeout}, true, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err == nil {
			r.Header.Set("Accept", "application/json")
		}
		return r, err
	}, func(_ context.Context, r *result) error {
		if r.status != http.StatusOK {
			return httpProblem(r)
		}
		if err := json.Unmarshal(r.body, &list); err != nil {
			return &MalformedResponseError{HTTPStatus: r.status, ContentType: r.contentType, Err: err}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(list.Member))
	for _, m := range list.Member {
		out = append(out, Member{ID: soap.ClientID{Instance: m.ID.XRoadInstance, MemberClass: m.ID.MemberClass, MemberCode: m.ID.MemberCode,
			SubsystemCode: m.ID.SubsystemCode}, Name: m.Name, SubsystemName: m.SubsystemName})
	}
	return out, nil
}

// Ping checks that the security server answers (listClients), for
// readiness probes.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.ListClients(ctx, "", MetaOptions{})
	return err
}

// ListMethods returns the services provider offers.
func (c *Client) ListMethods(ctx context.Context, provider soap.ClientID, o MetaOptions) ([]Method, error) {
	return c.methods(ctx, provider, "listMethods", o)
}

// AllowedMethods returns the services of provider that Options.Client may
// call.
func (c *Client) AllowedMethods(ctx context.Context, provider soap.ClientID, o MetaOptions) ([]Method, error) {
	return c.methods(ctx, provider, "allowedMethods", o)
}

func (c *Client) methods(ctx context.Context, provider soap.ClientID, code string, o MetaOptions) ([]Method, error) {
	if o.REST {
		return c.restMethods(ctx, provider, code, o)
	}
	ex, err := c.metaSOAP(ctx, provider, code, nil, o)
	if err != nil {
		return nil, err
	}
	var body struct {
		Service []soap.ServiceIDXML `xml:"service"`
	}
	if err := xml.Unmarshal(ex.Response.BodyElement(), &body); err != nil {
		return nil, &MalformedResponseError{HTTPStatus: ex.HTTPStatus, ContentType: ex.Response.ContentType(), Err: err}
	}
	out := make([]Method, 0, len(body.Service))
	for _, s := range body.Service {
		out = append(out, Method{Service: s.ID(), Type: "SOAP"})
	}
	return out, nil
}

func (c *Client) restMethods(ctx context.Context, provider soap.ClientID, code string, o MetaOptions) ([]Method, error) {
	ex, err := c.metaREST(ctx, provider, code, nil, o)
	if err != nil {
		return nil, err
	}
	var list struct {
		Service []struct {
			MemberClass   string `json:"member_class"`
			MemberCode    string `json:"member_code"`
			SubsystemCode string `json:"subsystem_code"`
			ServiceCode   string `json:"service_code"`
			ServiceType   string `json:"service_type"`
			XRoadInstance string `json:"xroad_instance"`
			EndpointList  []struct {
				Method string `json:"method"`
				Path   string `json:"path"`
			} `json:"endpoint_list"`
		} `json:"service"`
	}
	if err := json.Unmarshal(ex.Body, &list); err != nil {
		return nil, &MalformedResponseError{HTTPStatus: ex.StatusCode, ContentType: ex.Header.Get("Content-Type"), Err: err}
	}
	out := make([]Method, 0, len(list.Service))
	for _, s := range list.Service {
		m := Method{Service: soap.ServiceID{ClientID: soap.ClientID{Instance: s.XRoadInstance, MemberClass: s.MemberClass, MemberCode: s.MemberCode,
			SubsystemCode: s.SubsystemCode}, ServiceCode: s.ServiceCode}, Type: s.ServiceType}
		for _, e := range s.EndpointList {
			m.Endpoints = append(m.Endpoints, Endpoint{Method: e.Method, Path: e.Path})
		}
		out = append(out, m)
	}
	return out, nil
}

// GetWSDL returns the WSDL of a SOAP service (getWsdl; the WSDL is the
// answer's MIME attachment).
func (c *Client) GetWSDL(ctx context.Context, service soap.ServiceID, o MetaOptions) ([]byte, error) {
	body := fmt.Sprintf(`<serviceCode xmlns="%s">%s</serviceCode>`, soap.NSXRoad, xmlText(service.ServiceCode))
	if service.ServiceVersion != "" {
		body += fmt.Sprintf(`<serviceVersion xmlns="%s">%s</serviceVersion>`, soap.NSXRoad, xmlText(service.ServiceVersion))
	}
	ex, err := c.metaSOAP(ctx, service.Provider(), "getWsdl", []byte(body), o)
	if err != nil {
		return nil, err
	}
	defer ex.Response.Close()
	atts := ex.Response.Attachments()
	if len(atts) == 0 {
		return nil, &MalformedResponseError{HTTPStatus: ex.HTTPStatus, ContentType: ex.Response.ContentType(), Err: errors.New("getWsdl answer has no WSDL attachment")}
	}
	rc, err := atts[0].Open()
	if err != nil {
		return nil, fmt.Errorf("ssclient: reading the WSDL attachment: %w", err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// GetOpenAPI returns the OpenAPI description (YAML or JSON, as the provider
// registered it) of a REST service (REST getOpenAPI).
func (c *Client) GetOpenAPI(ctx context.Context, service soap.ServiceID, o MetaOptions) ([]byte, error) {
	ex, err := c.metaREST(ctx, service.Provider(), "getOpenAPI", url.Values{"serviceCode": {service.ServiceCode}}, o)
	if err != nil {
		return nil, err
	}
	if ex.StatusCode != http.StatusOK {
		return nil, httpProblem(&result{status: ex.StatusCode, contentType: ex.Header.Get("Content-Type"), body: ex.Body})
	}
	return ex.Body, nil
}

// metaSOAP calls a SOAP metaservice of provider as Options.Client.
func (c *Client) metaSOAP(ctx context.Context, provider soap.ClientID, code string, body []byte, o MetaOptions) (*Exchange, error) {
	if c.opts.Client.IsZero() {
		return nil, errors.New("ssclient: metaservices need Options.Client")
	}
	req, err := soap.NewRequest(soap.Request{Client: c.opts.Client, Service: soap.ServiceID{ClientID: provider, ServiceCode: code},
		BodyNamespace: soap.NSXRoad, Body: body})
	if err != nil {
		return nil, fmt.Errorf("ssclient: building %s: %w", code, err)
	}
	return c.doSOAP(ctx, req, CallOptions{Timeout: o.Timeout}, "", true)
}

// metaREST calls a REST metaservice of provider as Options.Client.
func (c *Client) metaREST(ctx context.Context, provider soap.ClientID, code string, q url.Values, o MetaOptions) (*RESTExchange, error) {
	if c.opts.Client.IsZero() {
		return nil, errors.New("ssclient: metaservices need Options.Client")
	}
	r := RESTRequest{Service: soap.ServiceID{ClientID: provider, ServiceCode: code}, Client: c.opts.Client, Method: http.MethodGet,
		Query: q, ID: uuid.NewString(), Header: http.Header{"Accept": {"application/json"}}}
	return c.rest(ctx, r, CallOptions{Timeout: o.Timeout}, "", true)
}

// httpProblem is the error for an unexpected HTTP answer without X-Road error information.
func httpProblem(r *result) error {
	return &MalformedResponseError{HTTPStatus: r.status, ContentType: r.contentType, Err: fmt.Errorf("unexpected HTTP status %d", r.status)}
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
