package soap

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ObjectType is the X-Road identifier kind, the value of the id:objectType
// attribute.
type ObjectType string

// The X-Road object types (identifiers.xsd, XRoadObjectType).
const (
	TypeMember         ObjectType = "MEMBER"
	TypeSubsystem      ObjectType = "SUBSYSTEM"
	TypeService        ObjectType = "SERVICE"
	TypeServer         ObjectType = "SERVER"
	TypeGlobalGroup    ObjectType = "GLOBALGROUP"
	TypeLocalGroup     ObjectType = "LOCALGROUP"
	TypeCentralService ObjectType = "CENTRALSERVICE"
)

// Identifier is any X-Road identifier value (ClientID, ServiceID,
// SecurityServerID, GlobalGroupID, LocalGroupID, CentralServiceID).
type Identifier interface {
	ObjectType() ObjectType
	String() string // slash form, e.g. "EE/BUSINESS/JODA/getState"
	Typed() string  // typed form, e.g. "SERVICE:EE/BUSINESS/JODA/getState"
}

// ClientID names an X-Road member, or one of its subsystems when
// SubsystemCode is set.
type ClientID struct {
	Instance, MemberClass, MemberCode, SubsystemCode string
}

// ObjectType is SUBSYSTEM when SubsystemCode is set, else MEMBER.
func (c ClientID) ObjectType() ObjectType {
	if c.SubsystemCode != "" {
		return TypeSubsystem
	}
	return TypeMember
}

// String returns the slash form "INSTANCE/CLASS/MEMBER[/SUBSYSTEM]".
func (c ClientID) String() string {
	s := c.Instance + "/" + c.MemberClass + "/" + c.MemberCode
	if c.SubsystemCode != "" {
		s += "/" + c.SubsystemCode
	}
	return s
}

// Typed returns "MEMBER:…" or "SUBSYSTEM:…".
func (c ClientID) Typed() string { return string(c.ObjectType()) + ":" + c.String() }

// IsZero reports whether c is the zero ClientID.
func (c ClientID) IsZero() bool { return c == ClientID{} }

// Validate checks X-Road's identifier character rules on every part.
func (c ClientID) Validate() error {
	if err := checkParts(CodeInvalidClientIdentifier, "instance", c.Instance, "memberClass", c.MemberClass, "memberCode", c.MemberCode); err != nil {
		return err
	}
	if c.SubsystemCode != "" {
		return checkParts(CodeInvalidClientIdentifier, "subsystemCode", c.SubsystemCode)
	}
	return nil
}

// ServiceID names a service of a provider (member or subsystem); the version
// is optional.
type ServiceID struct {
	ClientID
	ServiceCode, ServiceVersion string
}

// ServiceIDXML is a service identifier as X-Road's meta and monitoring
// answers write it (xRoadInstance, memberClass, ... serviceVersion child
// elements); ID turns it into a ServiceID.
type ServiceIDXML struct {
	Instance       string `xml:"xRoadInstance"`
	MemberClass    string `xml:"memberClass"`
	MemberCode     string `xml:"memberCode"`
	SubsystemCode  string `xml:"subsystemCode"`
	ServiceCode    string `xml:"serviceCode"`
	ServiceVersion string `xml:"serviceVersion"`
}

// ID is the service identifier.
func (s ServiceIDXML) ID() ServiceID {
	return ServiceID{ClientID: ClientID{Instance: s.Instance, MemberClass: s.MemberClass, MemberCode: s.MemberCode, SubsystemCode: s.SubsystemCode},
		ServiceCode: s.ServiceCode, ServiceVersion: s.ServiceVersion}
}

// ObjectType is SERVICE.
func (ServiceID) ObjectType() ObjectType { return TypeService }

// Provider returns the member or subsystem that provides the service.
func (s ServiceID) Provider() ClientID { return s.ClientID }

// String returns "INSTANCE/CLASS/MEMBER[/SUBSYSTEM]/SERVICE[/VERSION]".
// A member-level service with a version has five parts, like a subsystem
// service without one; ParseServiceID reads five parts as the latter (Tunduk
// services live on subsystems), as X-Road's own string form is ambiguous too.
func (s ServiceID) String() string {
	r := s.ClientID.String() + "/" + s.ServiceCode
	if s.ServiceVersion != "" {
		r += "/" + s.ServiceVersion
	}
	return r
}

// Typed returns "SERVICE:…".
func (s ServiceID) Typed() string { return string(TypeService) + ":" + s.String() }

// Validate checks X-Road's identifier character rules on every part.
func (s ServiceID) Validate() error {
	if err := s.ClientID.Validate(); err != nil {
		e := err.(*ValidationError)
		return &ValidationError{Code: CodeInvalidServiceIdentifier, Detail: e.Detail}
	}
	if err := checkParts(CodeInvalidServiceIdentifier, "serviceCode", s.ServiceCode); err != nil {
		return err
	}
	if s.ServiceVersion != "" {
		return checkParts(CodeInvalidServiceIdentifier, "serviceVersion", s.ServiceVersion)
	}
	return nil
}

// SecurityServerID names a security server of a member.
type SecurityServerID struct {
	Instance, MemberClass, MemberCode, ServerCode string
}

// ObjectType is SERVER.
func (SecurityServerID) ObjectType() ObjectType { return TypeServer }

// String returns "INSTANCE/CLASS/MEMBER/SERVER".
func (s SecurityServerID) String() string {
	return s.Instance + "/" + s.MemberClass + "/" + s.MemberCode + "/" + s.ServerCode
}

// Typed returns "SERVER:…".
func (s SecurityServerID) Typed() string { return string(TypeServer) + ":" + s.String() }

// GlobalGroupID names a global group of an instance.
type GlobalGroupID struct{ Instance, GroupCode string }

// ObjectType is GLOBALGROUP.
func (GlobalGroupID) ObjectType() ObjectType { return TypeGlobalGroup }

// String returns "INSTANCE/GROUP".
func (g GlobalGroupID) String() string { return g.Instance + "/" + g.GroupCode }

// Typed returns "GLOBALGROUP:…".
func (g GlobalGroupID) Typed() string { return string(TypeGlobalGroup) + ":" + g.String() }

// LocalGroupID names a security server's local group; it has no instance.
type LocalGroupID struct{ GroupCode string }

// ObjectType is LOCALGROUP.
func (LocalGroupID) ObjectType() ObjectType { return TypeLocalGroup }

// String returns the group code.
func (g LocalGroupID) String() string { return g.GroupCode }

// Typed returns "LOCALGROUP:…".
func (g LocalGroupID) Typed() string { return string(TypeLocalGroup) + ":" + g.String() }

// CentralServiceID names a legacy central service ("INSTANCE/SERVICECODE").
// The centralService header was removed from PR-MESS; it is read and
// tolerated only.
type CentralServiceID struct{ Instance, ServiceCode string }

// ObjectType is CENTRALSERVICE.
func (CentralServiceID) ObjectType() ObjectType { return TypeCentralService }

// String returns "INSTANCE/SERVICECODE".
func (c CentralServiceID) String() string { return c.Instance + "/" + c.ServiceCode }

// Typed returns "CENTRALSERVICE:…".
func (c CentralServiceID) Typed() string { return string(TypeCentralService) + ":" + c.String() }

// RepresentedParty is the representedParty header extension: the party on
// whose behalf the client acts. PartyClass is optional.
type RepresentedParty struct{ PartyClass, PartyCode string }

// ParseClientID parses the slash form "INSTANCE/CLASS/MEMBER[/SUBSYSTEM]"
// or the typed form "MEMBER:…" / "SUBSYSTEM:…". Errors are
// *ValidationError with CodeInvalidClientIdentifier.
func ParseClientID(s string) (ClientID, error) {
	typ, rest := splitType(s)
	parts := strings.Split(rest, "/")
	bad := func(why string) (ClientID, error) {
		return ClientID{}, &ValidationError{Code: CodeInvalidClientIdentifier, Detail: fmt.Sprintf("client identifier %q: %s", s, why)}
	}
	switch {
	case typ == "" && (len(parts) == 3 || len(parts) == 4):
	case typ == TypeMember && len(parts) == 3:
	case typ == TypeSubsystem && len(parts) == 4:
	case typ != "" && typ != TypeMember && typ != TypeSubsystem:
		return bad("object type must be MEMBER or SUBSYSTEM")
	default:
		return bad("want INSTANCE/CLASS/MEMBER or INSTANCE/CLASS/MEMBER/SUBSYSTEM")
	}
	c := ClientID{Instance: parts[0], MemberClass: parts[1], MemberCode: parts[2]}
	if len(parts) == 4 {
		c.SubsystemCode = parts[3]
		if c.SubsystemCode == "" {
			return bad("empty subsystemCode")
		}
	}
	if err := c.Validate(); err != nil {
		return bad(err.(*ValidationError).Detail)
	}
	return c, nil
}

// ParseServiceID parses "INSTANCE/CLASS/MEMBER[/SUBSYSTEM]/SERVICE[/VERSION]"
// or the typed form "SERVICE:…". Four parts are a member's service, five a
// subsystem's service, six a subsystem's versioned service. Errors are
// *ValidationError with CodeInvalidServiceIdentifier.
func ParseServiceID(s string) (ServiceID, error) {
	typ, rest := splitType(s)
	bad := func(why string) (ServiceID, error) {
		return ServiceID{}, &ValidationError{Code: CodeInvalidServiceIdentifier, Detail: fmt.Sprintf("service identifier %q: %s", s, why)}
	}
	if typ != "" && typ != TypeService {
		return bad("object type must be SERVICE")
	}
	parts := strings.Split(rest, "/")
	var sid ServiceID
	switch len(parts) {
	case 4:
		sid = ServiceID{ClientID: ClientID{parts[0], parts[1], parts[2], ""}, ServiceCode: parts[3]}
	case 5:
		sid = ServiceID{ClientID: ClientID{parts[0], parts[1], parts[2], parts[3]}, ServiceCode: parts[4]}
	case 6:
		sid = ServiceID{ClientID: ClientID{parts[0], parts[1], parts[2], parts[3]}, ServiceCode: parts[4], ServiceVersion: parts[5]}
	default:
		return bad("want INSTANCE/CLASS/MEMBER[/SUBSYSTEM]/SERVICE[/VERSION]")
	}
	if len(parts) >= 5 && parts[3] == "" {
		return bad("empty subsystemCode")
	}
	if len(parts) == 6 && parts[5] == "" {
		return bad("empty serviceVersion")
	}
	if err := sid.Validate(); err != nil {
		return bad(err.(*ValidationError).Detail)
	}
	return sid, nil
}

// ParseSecurityServerID parses "INSTANCE/CLASS/MEMBER/SERVER" or
// "SERVER:…".
func ParseSecurityServerID(s string) (SecurityServerID, error) {
	typ, rest := splitType(s)
	parts := strings.Split(rest, "/")
	if (typ != "" && typ != TypeServer) || len(parts) != 4 {
		return SecurityServerID{}, &ValidationError{Code: CodeInvalidXML, Detail: fmt.Sprintf("security server identifier %q: want INSTANCE/CLASS/MEMBER/SERVER", s)}
	}
	if err := checkParts(CodeInvalidXML, "instance", parts[0], "memberClass", parts[1], "memberCode", parts[2], "serverCode", parts[3]); err != nil {
		return SecurityServerID{}, err
	}
	return SecurityServerID{parts[0], parts[1], parts[2], parts[3]}, nil
}

// splitType splits an optional "TYPE:" prefix; the prefix must be one of the
// known object types, otherwise the whole string is returned as rest (and
// fails the character rules because of the ':').
func splitType(s string) (ObjectType, string) {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return "", s
	}
	switch t := ObjectType(s[:i]); t {
	case TypeMember, TypeSubsystem, TypeService, TypeServer, TypeGlobalGroup, TypeLocalGroup, TypeCentralService:
		return t, s[i+1:]
	}
	return "", s
}

// checkParts applies X-Road's identifier character rules to name/value
// pairs: not empty or blank, valid UTF-8, no ':' ';' '/' '\' '%', no control
// or format (zero-width) characters.
func checkParts(code FaultCode, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if why := identifierProblem(kv[i+1]); why != "" {
			return &ValidationError{Code: code, Detail: fmt.Sprintf("%s %q %s", kv[i], kv[i+1], why)}
		}
	}
	return nil
}

func identifierProblem(v string) string {
	if strings.TrimSpace(v) == "" {
		return "is empty"
	}
	if !utf8.ValidString(v) {
		return "is not valid UTF-8"
	}
	for _, r := range v {
		switch {
		case r == ':' || r == ';' || r == '/' || r == '\\' || r == '%':
			return fmt.Sprintf("contains %q, which X-Road identifiers may not", r)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("contains the control or format character %U", r)
		}
	}
	return ""
}
