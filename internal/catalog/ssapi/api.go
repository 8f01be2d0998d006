package ssapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// ClientQuery filters GET /clients. Empty fields are not sent.
type ClientQuery struct {
	Instance, MemberClass, MemberCode, SubsystemCode string
	// ShowMembers includes member-level clients (the server's default is true).
	ShowMembers *bool
}

// Clients lists the security server's own clients (internal_search=true).
func (c *Client) Clients(ctx context.Context, q ClientQuery) ([]ClientInfo, error) {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("instance", q.Instance)
	set("member_class", q.MemberClass)
	set("member_code", q.MemberCode)
	set("subsystem_code", q.SubsystemCode)
	if q.ShowMembers != nil {
		v.Set("show_members", strconv.FormatBool(*q.ShowMembers))
	}
	v.Set("internal_search", "true")
	var out []ClientInfo
	err := c.do(ctx, http.MethodGet, "/clients", v, nil, &out)
	return out, err
}

// GetClient returns one client by its encoded id; errors.Is(err,
// ErrNotFound) when the SS does not have it.
func (c *Client) GetClient(ctx context.Context, id string) (*ClientInfo, error) {
	return call[ClientInfo](c, ctx, http.MethodGet, "/clients/"+id, nil)
}

// clientWrite is the writable part of the Client schema.
type clientWrite struct {
	MemberClass    string `json:"member_class"`
	MemberCode     string `json:"member_code"`
	SubsystemCode  string `json:"subsystem_code,omitempty"`
	ConnectionType string `json:"connection_type,omitempty"`
}

type clientAddBody struct {
	Client         clientWrite `json:"client"`
	IgnoreWarnings bool        `json:"ignore_warnings"`
}

// AddClient adds a client (POST /clients). Adding a subsystem that is not
// yet registered centrally answers warnings_detected (unregistered_member).
func (c *Client) AddClient(ctx context.Context, a ClientAdd) (*ClientInfo, []CodeWithDetails, error) {
	return callWarn[ClientInfo](c, ctx, http.MethodPost, "/clients", func(ignore bool) any {
		return clientAddBody{Client: clientWrite(a), IgnoreWarnings: ignore}
	})
}

// ServiceDescriptions lists a client's service descriptions with their services.
func (c *Client) ServiceDescriptions(ctx context.Context, clientID string) ([]ServiceDescription, error) {
	var out []ServiceDescription
	err := c.do(ctx, http.MethodGet, "/clients/"+clientID+"/service-descriptions", nil, nil, &out)
	return out, err
}

type sdAddBody struct {
	URL             string `json:"url"`
	RestServiceCode string `json:"rest_service_code,omitempty"`
	IgnoreWarnings  bool   `json:"ignore_warnings"`
	Type            string `json:"type"`
}

// AddServiceDescription adds a WSDL, OPENAPI3 or REST description to a
// client. The SS adds it disabled.
func (c *Client) AddServiceDescription(ctx context.Context, clientID string, a ServiceDescriptionAdd) (*ServiceDescription, []CodeWithDetails, error) {
	return callWarn[ServiceDescription](c, ctx, http.MethodPost, "/clients/"+clientID+"/service-descriptions", func(ignore bool) any {
		return sdAddBody{URL: a.URL, RestServiceCode: a.RestServiceCode, IgnoreWarnings: ignore, Type: a.Type}
	})
}

type sdUpdateBody struct {
	URL                string `json:"url"`
	RestServiceCode    string `json:"rest_service_code,omitempty"`
	NewRestServiceCode string `json:"new_rest_service_code,omitempty"`
	IgnoreWarnings     bool   `json:"ignore_warnings"`
	Type               string `json:"type"`
}

// UpdateServiceDescription changes a description's URL or REST service code.
func (c *Client) UpdateServiceDescription(ctx context.Context, id string, u ServiceDescriptionUpdate) (*ServiceDescription, []CodeWithDetails, error) {
	return callWarn[ServiceDescription](c, ctx, http.MethodPatch, "/service-descriptions/"+id, func(ignore bool) any {
		return sdUpdateBody{URL: u.URL, RestServiceCode: u.RestServiceCode, NewRestServiceCode: u.NewRestServiceCode,
			IgnoreWarnings: ignore, Type: u.Type}
	})
}

// EnableServiceDescription makes a description's services available.
func (c *Client) EnableServiceDescription(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPut, "/service-descriptions/"+id+"/enable", nil, nil, nil)
}

type disabledNotice struct {
	DisabledNotice string `json:"disabled_notice"`
}

// DisableServiceDescription takes a description's services out of service;
// consumers get the notice.
func (c *Client) DisableServiceDescription(ctx context.Context, id, notice string) error {
	return c.do(ctx, http.MethodPut, "/service-descriptions/"+id+"/disable", nil, disabledNotice{notice}, nil)
}

// Service returns one service by its encoded id.
func (c *Client) Service(ctx context.Context, id string) (*Service, error) {
	return call[Service](c, ctx, http.MethodGet, "/services/"+id, nil)
}

type serviceUpdateBody struct {
	URL            string `json:"url"`
	Timeout        int    `json:"timeout"`
	SSLAuth        bool   `json:"ssl_auth"`
	IgnoreWarnings bool   `json:"ignore_warnings"`
}

// UpdateService sets one service's URL, timeout and ssl_auth (only this
// service: url_all, timeout_all and ssl_auth_all stay false).
func (c *Client) UpdateService(ctx context.Context, id string, u ServiceUpdate) (*Service, []CodeWithDetails, error) {
	return callWarn[Service](c, ctx, http.MethodPatch, "/services/"+id, func(ignore bool) any {
		return serviceUpdateBody{URL: u.URL, Timeout: u.Timeout, SSLAuth: u.SSLAuth, IgnoreWarnings: ignore}
	})
}

type endpointAddBody struct {
	ServiceCode string `json:"service_code"`
	Method      string `json:"method"`
	Path        string `json:"path"`
}

// AddEndpoint adds a REST endpoint (method and path) to a service.
func (c *Client) AddEndpoint(ctx context.Context, serviceID string, e Endpoint) (*Endpoint, error) {
	return call[Endpoint](c, ctx, http.MethodPost, "/services/"+serviceID+"/endpoints",
		endpointAddBody{ServiceCode: e.ServiceCode, Method: e.Method, Path: e.Path})
}

// ServiceClients lists the subjects that hold access rights to a service.
func (c *Client) ServiceClients(ctx context.Context, serviceID string) ([]ServiceClient, error) {
	var out []ServiceClient
	err := c.do(ctx, http.MethodGet, "/services/"+serviceID+"/service-clients", nil, nil, &out)
	return out, err
}

type idOnly struct {
	ID string `json:"id"`
}

type serviceClientsBody struct {
	Items []idOnly `json:"items"`
}

func idsBody(ids []string) serviceClientsBody {
	b := serviceClientsBody{Items: make([]idOnly, len(ids))}
	for i, id := range ids {
		b.Items[i] = idOnly{id}
	}
	return b
}

// AddServiceClients grants access to a service to the given subjects.
// The SS answers 409 (ErrConflict) when one of them already has access.
func (c *Client) AddServiceClients(ctx context.Context, serviceID string, ids []string) ([]ServiceClient, error) {
	var out []ServiceClient
	err := c.do(ctx, http.MethodPost, "/services/"+serviceID+"/service-clients", nil, idsBody(ids), &out)
	return out, err
}

// RemoveServiceClients revokes the given subjects' access to a service.
func (c *Client) RemoveServiceClients(ctx context.Context, serviceID string, ids []string) error {
	return c.do(ctx, http.MethodPost, "/services/"+serviceID+"/service-clients/delete", nil, idsBody(ids), nil)
}
