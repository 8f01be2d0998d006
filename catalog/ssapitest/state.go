package ssapitest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
)

// Published is what a service description URL serves, as the security
// server would find it when it downloads and parses the file.
type Published struct {
	// Services are the WSDL's operations (code, version, title). For an
	// OpenAPI 3 description leave it empty: it yields one service named by
	// rest_service_code.
	Services []PublishedService
	// Operations are an OpenAPI 3 description's operations; each becomes a
	// generated endpoint, besides the wildcard "* **".
	Operations []Operation
	// ServiceURL is the address services get (the WSDL's soap:address or the
	// OpenAPI servers[0].url); empty means the description URL.
	ServiceURL string
	// Warnings are the validator's warnings (wsdl_validation_warnings, …),
	// answered as warnings_detected until ignore_warnings is set.
	Warnings []ssapi.CodeWithDetails
}

// PublishedService is one operation of a WSDL.
type PublishedService struct{ Code, Version, Title string }

// Operation is one OpenAPI operation.
type Operation struct{ Method, Path string }

type service struct {
	code, version, title string
	url                  string
	timeout              int
	ssl                  bool
	endpoints            []ssapi.Endpoint
	rights               []ssapi.ServiceClient
}

func (sv *service) full() string { return ssapi.FullServiceCode(sv.code, sv.version) }

type desc struct {
	id, url, typ, clientID string
	disabled               bool
	notice                 string
	refreshed              string
	services               []*service
}

type state struct {
	owner     ssapi.ClientID
	clients   []ssapi.ClientInfo
	descs     []*desc
	published map[string]Published
	nextID    int
}

func newState(owner ssapi.ClientID) *state {
	st := &state{owner: owner, published: map[string]Published{}, nextID: 100}
	st.addClient(owner, true)
	return st
}

func (st *state) id() string {
	st.nextID++
	return strconv.Itoa(st.nextID)
}

func (st *state) addClient(id ssapi.ClientID, owner bool) ssapi.ClientInfo {
	c := ssapi.ClientInfo{
		ID: id.String(), InstanceID: id.Instance, MemberName: "Member " + id.MemberCode,
		MemberClass: id.MemberClass, MemberCode: id.MemberCode, SubsystemCode: id.SubsystemCode,
		Owner: owner, ConnectionType: "HTTPS", Status: "REGISTERED",
	}
	if id.SubsystemCode != "" {
		c.Status = "SAVED"
	}
	st.clients = append(st.clients, c)
	return c
}

func (st *state) client(id string) *ssapi.ClientInfo {
	for i := range st.clients {
		if st.clients[i].ID == id {
			return &st.clients[i]
		}
	}
	return nil
}

func (st *state) desc(id string) *desc {
	for _, d := range st.descs {
		if d.id == id {
			return d
		}
	}
	return nil
}

func (st *state) service(id string) (*desc, *service) {
	for _, d := range st.descs {
		for _, sv := range d.services {
			if d.clientID+":"+sv.full() == id {
				return d, sv
			}
		}
	}
	return nil, nil
}

func (st *state) view(d *desc) ssapi.ServiceDescription {
	out := ssapi.ServiceDescription{ID: d.id, URL: d.url, Type: d.typ, Disabled: d.disabled,
		DisabledNotice: d.notice, RefreshedAt: d.refreshed, ClientID: d.clientID, Services: []ssapi.Service{}}
	for _, sv := range d.services {
		out.Services = append(out.Services, viewService(d, sv))
	}
	return out
}

func viewService(d *desc, sv *service) ssapi.Service {
	s := ssapi.Service{ID: d.clientID + ":" + sv.full(), FullServiceCode: sv.full(), ServiceCode: sv.code,
		Timeout: sv.timeout, Title: sv.title, SSLAuth: sv.ssl, SubjectsCount: len(sv.rights), URL: sv.url,
		Endpoints: append([]ssapi.Endpoint(nil), sv.endpoints...)}
	return s
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// newDescription builds a description as the SS does when it is added:
// disabled, services with the default timeout of 60 s.
func (st *state) newDescription(clientID, typ, url, restCode string, p Published) *desc {
	d := &desc{id: st.id(), url: url, typ: typ, clientID: clientID, disabled: true, notice: "Out of order", refreshed: now()}
	svcURL := p.ServiceURL
	if svcURL == "" {
		svcURL = url
	}
	mk := func(code, version, title string) *service {
		return &service{code: code, version: version, title: title, url: svcURL, timeout: 60,
			ssl: strings.HasPrefix(svcURL, "https:")}
	}
	switch typ {
	case ssapi.TypeWSDL:
		for _, ps := range p.Services {
			d.services = append(d.services, mk(ps.Code, ps.Version, ps.Title))
		}
	default:
		sv := mk(restCode, "", "")
		sv.endpoints = append(sv.endpoints, ssapi.Endpoint{ID: st.id(), ServiceCode: restCode, Method: "*", Path: "**", Generated: true})
		if typ == ssapi.TypeOpenAPI3 {
			for _, o := range p.Operations {
				sv.endpoints = append(sv.endpoints, ssapi.Endpoint{ID: st.id(), ServiceCode: restCode, Method: o.Method, Path: o.Path, Generated: true})
			}
		}
		d.services = []*service{sv}
	}
	return d
}

type handler func(st *state, w http.ResponseWriter, params map[string]string, body []byte)

var handlers = map[string]handler{
	"findClients":                     findClients,
	"getClient":                       getClient,
	"addClient":                       addClient,
	"getClientServiceDescriptions":    getClientServiceDescriptions,
	"addClientServiceDescription":     addClientServiceDescription,
	"getServiceDescription":           getServiceDescription,
	"updateServiceDescription":        updateServiceDescription,
	"deleteServiceDescription":        deleteServiceDescription,
	"enableServiceDescription":        setDescriptionEnabled(true),
	"disableServiceDescription":       setDescriptionEnabled(false),
	"getServiceDescriptionServices":   getServiceDescriptionServices,
	"getService":                      getService,
	"updateService":                   updateService,
	"addEndpoint":                     addEndpoint,
	"getServiceServiceClients":        getServiceServiceClients,
	"addServiceServiceClients":        addServiceServiceClients,
	"deleteServiceServiceClients":     deleteServiceServiceClients,
	"getEndpoint":                     getEndpoint,
	"deleteEndpoint":                  deleteEndpoint,
	"getClientServiceClients":         getClientServiceClients,
	"getServiceClientAccessRights":    notSupported,
	"addServiceClientAccessRights":    notSupported,
	"deleteServiceClientAccessRights": notSupported,
}

func notSupported(_ *state, w http.ResponseWriter, _ map[string]string, _ []byte) {
	writeError(w, http.StatusInternalServerError, "not_supported_by_fake")
}

func findClients(st *state, w http.ResponseWriter, _ map[string]string, _ []byte) {
	// Filters are applied by the caller's query; the fake returns its own
	// clients, which is what internal_search=true asks for.
	writeJSON(w, http.StatusOK, st.clients)
}

func getClient(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	c := st.foundClient(w, p["id"])
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func addClient(st *state, w http.ResponseWriter, _ map[string]string, body []byte) {
	var in struct {
		Client struct {
			MemberClass    string `json:"member_class"`
			MemberCode     string `json:"member_code"`
			SubsystemCode  string `json:"subsystem_code"`
			ConnectionType string `json:"connection_type"`
		} `json:"client"`
	}
	if !decodeBody(w, body, &in) {
		return
	}
	id := ssapi.ClientID{Instance: st.owner.Instance, MemberClass: in.Client.MemberClass,
		MemberCode: in.Client.MemberCode, SubsystemCode: in.Client.SubsystemCode}
	if st.client(id.String()) != nil {
		writeError(w, http.StatusConflict, "client_already_exists", id.String())
		return
	}
	c := st.addClient(id, false)
	if in.Client.ConnectionType != "" {
		st.client(c.ID).ConnectionType = in.Client.ConnectionType
		c.ConnectionType = in.Client.ConnectionType
	}
	writeJSON(w, http.StatusCreated, c)
}

func getClientServiceDescriptions(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	if st.foundClient(w, p["id"]) == nil {
		return
	}
	out := []ssapi.ServiceDescription{}
	for _, d := range st.descs {
		if d.clientID == p["id"] {
			out = append(out, st.view(d))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func addClientServiceDescription(st *state, w http.ResponseWriter, p map[string]string, body []byte) {
	var in struct {
		URL             string `json:"url"`
		RestServiceCode string `json:"rest_service_code"`
		IgnoreWarnings  bool   `json:"ignore_warnings"`
		Type            string `json:"type"`
	}
	if !decodeBody(w, body, &in) {
		return
	}
	clientID := p["id"]
	if st.foundClient(w, clientID) == nil {
		return
	}
	if in.Type != ssapi.TypeWSDL && in.RestServiceCode == "" {
		writeError(w, http.StatusBadRequest, "missing_parameter", "rest_service_code")
		return
	}
	for _, d := range st.descs {
		if d.clientID == clientID && d.url == in.URL {
			writeError(w, http.StatusConflict, "url_already_exists", in.URL)
			return
		}
	}
	pub, ok := st.published[in.URL]
	if !ok && in.Type != ssapi.TypeREST {
		writeError(w, http.StatusBadRequest, "service_description_download_failed", in.URL)
		return
	}
	if len(pub.Warnings) > 0 && !in.IgnoreWarnings {
		writeJSON(w, http.StatusBadRequest, ssapi.ErrorInfo{Status: http.StatusBadRequest,
			Error: &ssapi.CodeWithDetails{Code: "warnings_detected"}, Warnings: pub.Warnings})
		return
	}
	d := st.newDescription(clientID, in.Type, in.URL, in.RestServiceCode, pub)
	var dup []string
	for _, sv := range d.services {
		if od, _ := st.service(clientID + ":" + sv.full()); od != nil {
			dup = append(dup, sv.full(), od.url)
		}
	}
	if len(dup) > 0 {
		code := "service_already_exists"
		if in.Type != ssapi.TypeWSDL {
			code = "service_code_already_exists"
		}
		writeError(w, http.StatusConflict, code, dup...)
		return
	}
	st.descs = append(st.descs, d)
	writeJSON(w, http.StatusCreated, st.view(d))
}

func getServiceDescription(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	d := st.foundDesc(w, p["id"])
	if d == nil {
		return
	}
	writeJSON(w, http.StatusOK, st.view(d))
}

func updateServiceDescription(st *state, w http.ResponseWriter, p map[string]string, body []byte) {
	var in struct {
		URL                string `json:"url"`
		RestServiceCode    string `json:"rest_service_code"`
		NewRestServiceCode string `json:"new_rest_service_code"`
		IgnoreWarnings     bool   `json:"ignore_warnings"`
		Type               string `json:"type"`
	}
	if !decodeBody(w, body, &in) {
		return
	}
	d := st.foundDesc(w, p["id"])
	if d == nil {
		return
	}
	if in.Type != d.typ {
		writeError(w, http.StatusBadRequest, "wrong_type")
		return
	}
	if d.typ == ssapi.TypeWSDL {
		pub, ok := st.published[in.URL]
		if !ok {
			writeError(w, http.StatusBadRequest, "service_description_download_failed", in.URL)
			return
		}
		nd := st.newDescription(d.clientID, d.typ, in.URL, "", pub)
		var adding, deleting []string
		for _, sv := range nd.services {
			if !slices.ContainsFunc(d.services, func(o *service) bool { return o.full() == sv.full() }) {
				adding = append(adding, sv.full())
			}
		}
		for _, sv := range d.services {
			if !slices.ContainsFunc(nd.services, func(o *service) bool { return o.full() == sv.full() }) {
				deleting = append(deleting, sv.full())
			}
		}
		var ws []ssapi.CodeWithDetails
		if len(adding) > 0 {
			ws = append(ws, ssapi.CodeWithDetails{Code: "adding_services", Metadata: adding})
		}
		if len(deleting) > 0 {
			ws = append(ws, ssapi.CodeWithDetails{Code: "deleting_services", Metadata: deleting})
		}
		if len(ws) > 0 && !in.IgnoreWarnings {
			writeJSON(w, http.StatusBadRequest, ssapi.ErrorInfo{Status: http.StatusBadRequest,
				Error: &ssapi.CodeWithDetails{Code: "warnings_detected"}, Warnings: ws})
			return
		}
		// Keep the settings and rights of services that stay.
		for i, sv := range nd.services {
			for _, o := range d.services {
				if o.full() == sv.full() {
					nd.services[i] = o
				}
			}
		}
		d.services, d.url, d.refreshed = nd.services, in.URL, now()
		writeJSON(w, http.StatusOK, st.view(d))
		return
	}
	d.url = in.URL
	if in.NewRestServiceCode != "" && len(d.services) == 1 {
		sv := d.services[0]
		sv.code = in.NewRestServiceCode
		for i := range sv.endpoints {
			sv.endpoints[i].ServiceCode = sv.code
		}
	}
	if d.typ == ssapi.TypeREST && len(d.services) == 1 {
		d.services[0].url = in.URL
	}
	writeJSON(w, http.StatusOK, st.view(d))
}

func deleteServiceDescription(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	i := slices.IndexFunc(st.descs, func(d *desc) bool { return d.id == p["id"] })
	if i < 0 {
		writeError(w, http.StatusNotFound, "service_description_not_found")
		return
	}
	st.descs = slices.Delete(st.descs, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

func setDescriptionEnabled(enabled bool) handler {
	return func(st *state, w http.ResponseWriter, p map[string]string, body []byte) {
		d := st.foundDesc(w, p["id"])
		if d == nil {
			return
		}
		d.disabled = !enabled
		if !enabled {
			var in struct {
				DisabledNotice string `json:"disabled_notice"`
			}
			_ = json.Unmarshal(body, &in)
			d.notice = in.DisabledNotice
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func getServiceDescriptionServices(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	d := st.foundDesc(w, p["id"])
	if d == nil {
		return
	}
	writeJSON(w, http.StatusOK, st.view(d).Services)
}

func getService(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	d, sv := st.foundService(w, p["id"])
	if sv == nil {
		return
	}
	writeJSON(w, http.StatusOK, viewService(d, sv))
}

func updateService(st *state, w http.ResponseWriter, p map[string]string, body []byte) {
	var in struct {
		URL        string `json:"url"`
		Timeout    int    `json:"timeout"`
		SSLAuth    bool   `json:"ssl_auth"`
		URLAll     bool   `json:"url_all"`
		TimeoutAll bool   `json:"timeout_all"`
		SSLAuthAll bool   `json:"ssl_auth_all"`
	}
	d, sv := st.changeService(w, p["id"], body, &in)
	if sv == nil {
		return
	}
	if in.SSLAuth && !strings.HasPrefix(in.URL, "https:") {
		writeError(w, http.StatusBadRequest, "ssl_auth_requires_https", in.URL)
		return
	}
	for _, o := range d.services {
		if o == sv || in.URLAll {
			o.url = in.URL
		}
		if o == sv || in.TimeoutAll {
			o.timeout = in.Timeout
		}
		if o == sv || in.SSLAuthAll {
			o.ssl = in.SSLAuth
		}
	}
	writeJSON(w, http.StatusOK, viewService(d, sv))
}

func addEndpoint(st *state, w http.ResponseWriter, p map[string]string, body []byte) {
	var in struct {
		ServiceCode string `json:"service_code"`
		Method      string `json:"method"`
		Path        string `json:"path"`
	}
	d, sv := st.changeService(w, p["id"], body, &in)
	if sv == nil {
		return
	}
	if d.typ == ssapi.TypeWSDL {
		writeError(w, http.StatusBadRequest, "wsdl_service_has_no_endpoints")
		return
	}
	for _, e := range sv.endpoints {
		if e.Method == in.Method && e.Path == in.Path {
			writeError(w, http.StatusConflict, "endpoint_already_exists", in.Method+" "+in.Path)
			return
		}
	}
	e := ssapi.Endpoint{ID: st.id(), ServiceCode: sv.code, Method: in.Method, Path: in.Path}
	sv.endpoints = append(sv.endpoints, e)
	writeJSON(w, http.StatusCreated, e)
}

// decodeBody reads the JSON request body into in; a body that is not JSON
// is answered 400 invalid_json, and decodeBody returns false.
func decodeBody(w http.ResponseWriter, body []byte, in any) bool {
	if err := json.Unmarshal(body, in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json")
		return false
	}
	return true
}

// The found* lookups answer 404 with the security server's error code when
// id names nothing, and return nil.

func (st *state) foundClient(w http.ResponseWriter, id string) *ssapi.ClientInfo {
	c := st.client(id)
	if c == nil {
		writeError(w, http.StatusNotFound, "client_not_found")
	}
	return c
}

func (st *state) foundDesc(w http.ResponseWriter, id string) *desc {
	d := st.desc(id)
	if d == nil {
		writeError(w, http.StatusNotFound, "service_description_not_found")
	}
	return d
}

func (st *state) foundService(w http.ResponseWriter, id string) (*desc, *service) {
	d, sv := st.service(id)
	if sv == nil {
		writeError(w, http.StatusNotFound, "service_not_found")
	}
	return d, sv
}

// changeService is what the handlers that change a service start with:
// decodeBody, then foundService.
func (st *state) changeService(w http.ResponseWriter, id string, body []byte, in any) (*desc, *service) {
	if !decodeBody(w, body, in) {
		return nil, nil
	}
	return st.foundService(w, id)
}

func (st *state) foundEndpoint(w http.ResponseWriter, id string) (*service, int) {
	sv, i := findEndpoint(st, id)
	if sv == nil {
		writeError(w, http.StatusNotFound, "endpoint_not_found")
	}
	return sv, i
}

func findEndpoint(st *state, id string) (*service, int) {
	for _, d := range st.descs {
		for _, sv := range d.services {
			for i, e := range sv.endpoints {
				if e.ID == id {
					return sv, i
				}
			}
		}
	}
	return nil, -1
}

func getEndpoint(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	sv, i := st.foundEndpoint(w, p["id"])
	if sv == nil {
		return
	}
	writeJSON(w, http.StatusOK, sv.endpoints[i])
}

func deleteEndpoint(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	sv, i := st.foundEndpoint(w, p["id"])
	if sv == nil {
		return
	}
	if sv.endpoints[i].Generated {
		writeError(w, http.StatusBadRequest, "illegal_generated_endpoint_remove")
		return
	}
	sv.endpoints = slices.Delete(sv.endpoints, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

func getServiceServiceClients(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	_, sv := st.foundService(w, p["id"])
	if sv == nil {
		return
	}
	writeJSON(w, http.StatusOK, append([]ssapi.ServiceClient{}, sv.rights...))
}

type idsIn struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
}

// subjectType classifies a service client id the way the SS does.
func subjectType(id string) string {
	if _, err := strconv.Atoi(id); err == nil {
		return "LOCALGROUP"
	}
	switch strings.Count(id, ":") {
	case 1:
		return "GLOBALGROUP"
	case 3:
		if _, err := ssapi.ParseClientID(id); err == nil {
			return "SUBSYSTEM"
		}
	}
	return ""
}

func addServiceServiceClients(st *state, w http.ResponseWriter, p map[string]string, body []byte) {
	var in idsIn
	_, sv := st.changeService(w, p["id"], body, &in)
	if sv == nil {
		return
	}
	var added []ssapi.ServiceClient
	for _, it := range in.Items {
		typ := subjectType(it.ID)
		if typ == "" {
			writeError(w, http.StatusNotFound, "service_client_not_found", it.ID)
			return
		}
		if slices.ContainsFunc(sv.rights, func(r ssapi.ServiceClient) bool { return r.ID == it.ID }) {
			writeError(w, http.StatusConflict, "duplicate_accessright", it.ID)
			return
		}
		added = append(added, ssapi.ServiceClient{ID: it.ID, Name: "Subject " + it.ID, ServiceClientType: typ, RightsGivenAt: now()})
	}
	sv.rights = append(sv.rights, added...)
	writeJSON(w, http.StatusCreated, added)
}

func deleteServiceServiceClients(st *state, w http.ResponseWriter, p map[string]string, body []byte) {
	var in idsIn
	_, sv := st.changeService(w, p["id"], body, &in)
	if sv == nil {
		return
	}
	for _, it := range in.Items {
		i := slices.IndexFunc(sv.rights, func(r ssapi.ServiceClient) bool { return r.ID == it.ID })
		if i < 0 {
			writeError(w, http.StatusBadRequest, "accessright_not_found", it.ID)
			return
		}
		sv.rights = slices.Delete(sv.rights, i, i+1)
	}
	w.WriteHeader(http.StatusNoContent)
}

func getClientServiceClients(st *state, w http.ResponseWriter, p map[string]string, _ []byte) {
	seen := map[string]bool{}
	out := []ssapi.ServiceClient{}
	for _, d := range st.descs {
		if d.clientID != p["id"] {
			continue
		}
		for _, sv := range d.services {
			for _, r := range sv.rights {
				if !seen[r.ID] {
					seen[r.ID] = true
					out = append(out, r)
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// Publish makes url serve a description the fake will "download" when a
// WSDL or OPENAPI3 description with that URL is added.
func (s *Server) Publish(url string, p Published) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.published[url] = p
}

// AddClient seeds a client (member or subsystem) as if added earlier.
func (s *Server) AddClient(id string) {
	cid, err := ssapi.ParseClientID(id)
	if err != nil {
		s.fatal("ssapitest: AddClient: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.client(id) == nil {
		s.st.addClient(cid, false)
	}
}

// AddDescription seeds a description as if an administrator had added it
// by hand (for drift tests); the URL must be published unless typ is REST.
// It returns the description's id.
func (s *Server) AddDescription(clientID, typ, url, restCode string, enabled bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.client(clientID) == nil {
		s.fatal("ssapitest: AddDescription: no client %s", clientID)
	}
	d := s.st.newDescription(clientID, typ, url, restCode, s.st.published[url])
	d.disabled = !enabled
	s.st.descs = append(s.st.descs, d)
	return d.id
}

// Grant seeds access rights to a service.
func (s *Server) Grant(serviceID string, subjects ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, sv := s.st.service(serviceID)
	if sv == nil {
		s.fatal("ssapitest: Grant: no service %s", serviceID)
	}
	for _, id := range subjects {
		sv.rights = append(sv.rights, ssapi.ServiceClient{ID: id, ServiceClientType: subjectType(id), RightsGivenAt: now()})
	}
}

// Service returns a service's current state and the ids holding access.
func (s *Server) Service(id string) (ssapi.Service, []string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, sv := s.st.service(id)
	if sv == nil {
		return ssapi.Service{}, nil, false
	}
	var rights []string
	for _, r := range sv.rights {
		rights = append(rights, r.ID)
	}
	return viewService(d, sv), rights, true
}

// Descriptions returns a client's descriptions as the API would list them.
func (s *Server) Descriptions(clientID string) []ssapi.ServiceDescription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ssapi.ServiceDescription
	for _, d := range s.st.descs {
		if d.clientID == clientID {
			out = append(out, s.st.view(d))
		}
	}
	return out
}

// HasClient reports whether the SS has the client.
func (s *Server) HasClient(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.client(id) != nil
}
