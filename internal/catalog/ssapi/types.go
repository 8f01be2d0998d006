package ssapi

import (
	"fmt"
	"strings"
)

// Service description types (ServiceType in the spec).
const (
	TypeWSDL     = "WSDL"
	TypeREST     = "REST"
	TypeOpenAPI3 = "OPENAPI3"
)

// ClientInfo is an X-Road client (member or subsystem) of the security
// server, as the spec's Client schema. Fields marked read-only are filled in by the
// server and never sent.
type ClientInfo struct {
	ID             string `json:"id,omitempty"`          // read-only; INSTANCE:CLASS:MEMBER[:SUBSYSTEM]
	InstanceID     string `json:"instance_id,omitempty"` // read-only
	MemberName     string `json:"member_name,omitempty"` // read-only
	MemberClass    string `json:"member_class"`
	MemberCode     string `json:"member_code"`
	SubsystemCode  string `json:"subsystem_code,omitempty"`
	SubsystemName  string `json:"subsystem_name,omitempty"` // read-only
	Owner          bool   `json:"owner,omitempty"`          // read-only
	ConnectionType string `json:"connection_type,omitempty"`
	Status         string `json:"status,omitempty"` // read-only: REGISTERED, SAVED, …
}

// ClientAdd is the request to add a client (ClientAdd in the spec).
type ClientAdd struct {
	MemberClass    string
	MemberCode     string
	SubsystemCode  string
	ConnectionType string // HTTP, HTTPS or HTTPS_NO_AUTH; empty leaves the server's default
}

// ServiceDescription is a WSDL, OPENAPI3 or REST description with its
// services (ServiceDescription in the spec). ID is the server's numeric id
// as a string.
type ServiceDescription struct {
	ID             string    `json:"id"`
	URL            string    `json:"url"`
	Type           string    `json:"type"`
	Disabled       bool      `json:"disabled"`
	DisabledNotice string    `json:"disabled_notice"`
	RefreshedAt    string    `json:"refreshed_at"`
	Services       []Service `json:"services"`
	ClientID       string    `json:"client_id"`
}

// ServiceDescriptionAdd adds a description (ServiceDescriptionAdd in the
// spec). RestServiceCode is required for REST and OPENAPI3.
type ServiceDescriptionAdd struct {
	URL             string
	Type            string
	RestServiceCode string
}

// ServiceDescriptionUpdate changes a description's URL or REST service code
// (ServiceDescriptionUpdate in the spec).
type ServiceDescriptionUpdate struct {
	URL                string
	Type               string
	RestServiceCode    string
	NewRestServiceCode string
}

// Service is one service of a description (Service in the spec). ID is the
// encoded service id INSTANCE:CLASS:MEMBER:SUBSYSTEM:code.version.
type Service struct {
	ID              string     `json:"id"`
	FullServiceCode string     `json:"full_service_code,omitempty"`
	ServiceCode     string     `json:"service_code"`
	Timeout         int        `json:"timeout"`
	Title           string     `json:"title,omitempty"`
	SSLAuth         bool       `json:"ssl_auth"`
	SubjectsCount   int        `json:"subjects_count,omitempty"`
	URL             string     `json:"url"`
	Endpoints       []Endpoint `json:"endpoints,omitempty"`
}

// ServiceUpdate sets a service's URL, timeout and TLS authentication
// (ServiceUpdate in the spec).
type ServiceUpdate struct {
	URL     string
	Timeout int
	SSLAuth bool
}

// Endpoint is a REST endpoint of a service (Endpoint in the spec). Method is
// one of * GET POST PUT DELETE PATCH HEAD OPTIONS TRACE.
type Endpoint struct {
	ID          string `json:"id,omitempty"`
	ServiceCode string `json:"service_code"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Generated   bool   `json:"generated,omitempty"` // read-only
}

// ServiceClient is a subject holding access rights: a subsystem
// (INSTANCE:CLASS:MEMBER:SUBSYSTEM), a global group (INSTANCE:GROUP) or a
// local group (numeric id).
type ServiceClient struct {
	ID                string `json:"id"`
	Name              string `json:"name,omitempty"`                // read-only
	LocalGroupCode    string `json:"local_group_code,omitempty"`    // read-only
	ServiceClientType string `json:"service_client_type,omitempty"` // read-only: SUBSYSTEM, GLOBALGROUP, LOCALGROUP
	RightsGivenAt     string `json:"rights_given_at,omitempty"`     // read-only
}

// CodeWithDetails is an error or warning code with its metadata.
type CodeWithDetails struct {
	Code             string              `json:"code"`
	Metadata         []string            `json:"metadata,omitempty"`
	ValidationErrors map[string][]string `json:"validation_errors,omitempty"`
}

func (c CodeWithDetails) String() string {
	if len(c.Metadata) == 0 {
		return c.Code
	}
	return c.Code + " [" + strings.Join(c.Metadata, ", ") + "]"
}

// ErrorInfo is the body of an error response.
type ErrorInfo struct {
	Status   int               `json:"status"`
	Error    *CodeWithDetails  `json:"error,omitempty"`
	Warnings []CodeWithDetails `json:"warnings,omitempty"`
}

// ClientID is an X-Road client identifier in the management API's encoded
// form INSTANCE:CLASS:MEMBER[:SUBSYSTEM], e.g. DEV:GOV:1234:SUB.
type ClientID struct {
	Instance, MemberClass, MemberCode, SubsystemCode string
}

// ParseClientID parses INSTANCE:CLASS:MEMBER[:SUBSYSTEM].
func ParseClientID(s string) (ClientID, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return ClientID{}, fmt.Errorf("ssapi: client id %q: want INSTANCE:CLASS:MEMBER[:SUBSYSTEM]", s)
	}
	for _, p := range parts {
		if err := checkPart(p); err != nil {
			return ClientID{}, fmt.Errorf("ssapi: client id %q: %w", s, err)
		}
	}
	id := ClientID{Instance: parts[0], MemberClass: parts[1], MemberCode: parts[2]}
	if len(parts) == 4 {
		id.SubsystemCode = parts[3]
	}
	return id, nil
}

// checkPart applies the spec's rule for identifier parts: not empty, and no
// colons, semicolons, slashes, backslashes, percent signs or control
// characters.
func checkPart(p string) error {
	if p == "" {
		return fmt.Errorf("empty part")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(":;/\\%", r) {
			return fmt.Errorf("part %q contains %q", p, r)
		}
	}
	return nil
}

// String returns the encoded form.
func (c ClientID) String() string {
	s := c.Instance + ":" + c.MemberClass + ":" + c.MemberCode
	if c.SubsystemCode != "" {
		s += ":" + c.SubsystemCode
	}
	return s
}

// Member returns the member that owns the subsystem.
func (c ClientID) Member() ClientID {
	c.SubsystemCode = ""
	return c
}

// ServiceID returns the encoded id of one of this client's services, e.g.
// DEV:GOV:1234:SUB:getPerson.v1 (fullServiceCode is code.version, or the
// bare code for services without a version).
func (c ClientID) ServiceID(fullServiceCode string) string {
	return c.String() + ":" + fullServiceCode
}

// FullServiceCode joins a code and an optional version as the SS does.
func FullServiceCode(code, version string) string {
	if version == "" {
		return code
	}
	return code + "." + version
}
