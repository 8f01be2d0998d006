// Package register keeps a security server's services in step with the
// catalog through the SS Management REST API (internal/catalog/ssapi): Plan computes
// the ordered changes between the desired state and what the security
// server has, Apply makes them idempotently (a second apply changes
// nothing) and reports exactly what was and was not applied, and Diff
// reports drift both ways, above all a service live on the security server
// that the catalog does not describe.
//
// What is registered, per information system (X-Road subsystem): the
// subsystem client; one service description per catalog service (WSDL for
// SOAP, OPENAPI3 for REST) at the URL where the generated description is
// published; each service's backend URL, timeout and TLS check; REST
// endpoints; access rights for the allowed consumers; and the enabled
// state, switched on last so that a service never goes live half set up.
//
// Every apply is recorded (who — an authorised person of the catalog with
// the registrar role —, what, when) through a Recorder; JSONLRecorder
// appends JSON lines, and the signed message log can stand in for it.
//
// Non-goals: registering the subsystem at the central server (the
// operator's side), deleting anything on the security server (drift is
// reported, removal stays a human decision).
package register

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/catalog/ssapi"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/rest"
)

// Desired is what the security server should have for one owner member.
type Desired struct {
	// Owner is the member the subsystems belong to (INSTANCE:CLASS:MEMBER).
	Owner ssapi.ClientID
	// Subsystems are the member's information systems: each is a client of
	// the SS, whether it provides services or only consumes.
	Subsystems []Subsystem
}

// Subsystem is one X-Road subsystem client and its service descriptions.
type Subsystem struct {
	ID           ssapi.ClientID
	Descriptions []Description
}

// Description is one WSDL, OPENAPI3 or REST service description.
type Description struct {
	Type string // ssapi.TypeWSDL, TypeOpenAPI3 or TypeREST
	URL  string
	// RestServiceCode names the one service of a REST/OPENAPI3 description.
	RestServiceCode string
	// Enabled is whether the description's services are in service.
	Enabled  bool
	Services []Service
}

// Service is the desired state of one service.
type Service struct {
	// FullCode is code.version for WSDL services, the bare code for REST.
	FullCode string
	URL      string // backend the SS forwards to
	Timeout  int    // seconds, 0..1000
	SSLAuth  bool   // SS verifies the backend's TLS certificate
	// Endpoints are REST endpoints (method, path with * for parameters).
	Endpoints []Endpoint
	// Consumers are the service clients allowed: subsystems
	// INSTANCE:CLASS:MEMBER:SUBSYSTEM or global groups INSTANCE:GROUP.
	Consumers []string
}

// Endpoint is a REST endpoint.
type Endpoint struct{ Method, Path string }

// FromCatalogOptions say where the generated descriptions are published.
type FromCatalogOptions struct {
	// DescriptionBaseURL is where the security server downloads the
	// generated WSDL and OpenAPI files (tunduk catalog wsdl/openapi), e.g.
	// http://adapter.internal:8080/descriptions. A service's description is
	// at BASE/SUBSYSTEM/FULLCODE.wsdl (SOAP) or BASE/SUBSYSTEM/CODE.openapi.yaml
	// (REST).
	DescriptionBaseURL string
	// ProviderURL, when set, is the tunduk provider listener the security
	// server must call instead of the catalog's backend URL, for each
	// service Provided says it serves: SOAP services at ProviderURL, REST
	// services at ProviderURL/r1/<service id> (the SS appends the path
	// below the service). Then every exchange passes through the provider,
	// which journals and signs it; the SS cannot bypass it.
	ProviderURL string
	// Provided reports whether the provider serves a service; nil means
	// every service of the catalog.
	Provided func(*catalog.Service) bool
}

// DescriptionURL returns where a catalog service's description is published.
func (o FromCatalogOptions) DescriptionURL(s *catalog.Service) string {
	base := strings.TrimRight(o.DescriptionBaseURL, "/")
	if s.Protocol == catalog.REST {
		return base + "/" + s.Subsystem + "/" + s.Code + ".openapi.yaml"
	}
	return base + "/" + s.Subsystem + "/" + s.FullCode() + ".wsdl"
}

// FromCatalog converts a validated catalog into the desired state.
func FromCatalog(c *catalog.Catalog, opts FromCatalogOptions) (*Desired, error) {
	if c.Organisation == nil {
		return nil, fmt.Errorf("register: catalog has no organisation")
	}
	if opts.DescriptionBaseURL == "" {
		return nil, fmt.Errorf("register: the base URL of the published service descriptions is not set")
	}
	o := c.Organisation
	d := &Desired{Owner: ssapi.ClientID{Instance: o.InstanceOrDefault(), MemberClass: o.MemberClass, MemberCode: o.MemberCode}}
	for _, sys := range c.Systems {
		svcs := c.ServicesOf(sys.Code)
		sub := Subsystem{ID: d.Owner}
		sub.ID.SubsystemCode = sys.Code
		for _, s := range svcs {
			ds, err := fromService(s, o, opts)
			if err != nil {
				return nil, err
			}
			sub.Descriptions = append(sub.Descriptions, ds)
		}
		d.Subsystems = append(d.Subsystems, sub)
	}
	return d, nil
}

var pathParam = regexp.MustCompile(`\{[^}/]*\}`)

func fromService(s *catalog.Service, o *catalog.Organisation, opts FromCatalogOptions) (Description, error) {
	where := s.Pos.String() + ": service " + s.FullCode()
	timeout := int((s.Backend.Timeout.Duration + 999_999_999) / 1_000_000_000) // whole seconds, rounded up
	if s.Backend.Timeout.Duration == 0 {
		timeout = 60 // the security server's default
	}
	if timeout > 1000 {
		return Description{}, fmt.Errorf("register: %s: backend timeout %s exceeds the security server's 1000 s", where, s.Backend.Timeout)
	}
	if s.Backend.URL == "" {
		return Description{}, fmt.Errorf("register: %s: no backend URL", where)
	}
	svc := Service{FullCode: s.FullCode(), URL: s.Backend.URL, Timeout: timeout, SSLAuth: s.Backend.VerifyTLS}
	if opts.ProviderURL != "" && (opts.Provided == nil || opts.Provided(s)) {
		base := strings.TrimRight(opts.ProviderURL, "/")
		svc.URL, svc.SSLAuth = base+"/", strings.HasPrefix(base, "https:")
		if s.Protocol == catalog.REST {
			// REST services are addressed by code, without a version.
			svc.URL = base + rest.Path(soap.ServiceID{ClientID: o.SubsystemID(s.Subsystem), ServiceCode: s.Code}, "")
		}
	}
	consumers, err := s.Consumers()
	if err != nil {
		return Description{}, fmt.Errorf("register: %s: %w", where, err)
	}
	for _, c := range consumers {
		if c.SubsystemCode == "" {
			return Description{}, fmt.Errorf("register: %s: allowed consumer %s is a member; the security server grants access to subsystems and groups only", where, c)
		}
		svc.Consumers = append(svc.Consumers, ssapi.ClientID{Instance: c.Instance, MemberClass: c.MemberClass,
			MemberCode: c.MemberCode, SubsystemCode: c.SubsystemCode}.String())
	}
	sort.Strings(svc.Consumers)
	desc := Description{Type: ssapi.TypeWSDL, URL: opts.DescriptionURL(s), Enabled: true}
	if s.Protocol == catalog.REST {
		desc.Type = ssapi.TypeOpenAPI3
		desc.RestServiceCode = s.Code
		svc.FullCode = s.Code // REST services carry no version on the SS
		if s.Method != "" && s.Path != "" {
			svc.Endpoints = []Endpoint{{Method: strings.ToUpper(s.Method), Path: pathParam.ReplaceAllString(s.Path, "*")}}
		}
	}
	desc.Services = []Service{svc}
	return desc, nil
}
