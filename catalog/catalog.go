// Package catalog is the Tunduk service catalog of one participant, kept as
// YAML files in version control: the organisation (an X-Road member), its
// information systems (X-Road subsystems) with their inventory answers, the
// services they provide and consume, and the classifiers (reference books)
// their data uses.
//
// The Tunduk operator refuses a registration that is incomplete or
// inaccurate or submitted by someone not authorised (DOMAIN.md §3);
// Validate applies those rules and reports every problem with the file, the
// line and what to fix. Catalog data is public except personal data and
// internal addresses: fields flagged PersonalData, authorised persons'
// contact details and every Backend are for the participant and its
// security server only (see package internal/catalog/export for the public view).
//
// Non-goals: this package does no I/O beyond reading the catalog directory,
// and knows nothing of the security server's management API (that is
// internal/catalog/register) or of WSDL/OpenAPI (catalog/wsdl, catalog/openapi).
//
// Public API: other programs may import this package to read and validate a participant's service catalog. Everything under internal/ is tunduk's own and may change
// without notice.
package catalog

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tunduk-kg/tunduk/soap"
)

// DefaultInstance is the X-Road instance identifier of production Tunduk.
const DefaultInstance = "central-server"

// Catalog is everything loaded from one catalog directory: exactly one
// organisation with its systems, services and classifiers.
type Catalog struct {
	// Dir is the directory the catalog was loaded from.
	Dir string
	// Organisation is the participant (X-Road member) the catalog describes.
	Organisation *Organisation
	// Systems are the organisation's information systems, in file order.
	Systems []*System
	// Services are the services the organisation's systems provide.
	Services []*Service
	// Classifiers are the reference books the services' data refers to.
	Classifiers []*Classifier
}

// Pos is where an element was declared: the file (relative to the catalog
// directory), the line of the element itself and the line of each of its
// keys, so problems can point at the exact line to fix.
type Pos struct {
	File string
	Line int
	// Keys maps a YAML key of the element to the line it is on.
	Keys map[string]int
	// Items maps a key whose value is a list to the lines of its items.
	Items map[string][]int
}

// AtItem returns the line of item i of the list under key, falling back
// to At(key).
func (p Pos) AtItem(key string, i int) int {
	if ls := p.Items[key]; i >= 0 && i < len(ls) {
		return ls[i]
	}
	return p.At(key)
}

// At returns the line of key within the element, or the element's own line
// when the key is absent (a missing key is reported where it belongs).
func (p Pos) At(key string) int {
	if l, ok := p.Keys[key]; ok {
		return l
	}
	return p.Line
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Text is a human-readable string in the three languages Tunduk requires:
// Kyrgyz (state language), Russian (official language) and English.
type Text struct {
	KY string `yaml:"ky" json:"ky,omitempty"`
	RU string `yaml:"ru" json:"ru,omitempty"`
	EN string `yaml:"en" json:"en,omitempty"`
}

// Get returns the text in lang ("ky", "ru" or "en"), falling back to
// English, then Russian, then Kyrgyz.
func (t Text) Get(lang string) string {
	switch lang {
	case "ky":
		if t.KY != "" {
			return t.KY
		}
	case "ru":
		if t.RU != "" {
			return t.RU
		}
	}
	for _, s := range []string{t.EN, t.RU, t.KY} {
		if s != "" {
			return s
		}
	}
	return ""
}

// Missing lists the languages ("ky", "ru", "en") that are empty.
func (t Text) Missing() []string {
	var m []string
	if strings.TrimSpace(t.KY) == "" {
		m = append(m, "ky")
	}
	if strings.TrimSpace(t.RU) == "" {
		m = append(m, "ru")
	}
	if strings.TrimSpace(t.EN) == "" {
		m = append(m, "en")
	}
	return m
}

// IsZero reports whether no language is filled in.
func (t Text) IsZero() bool { return t.KY == "" && t.RU == "" && t.EN == "" }

// Organisation is the participant: an X-Road member of class GOV (state
// bodies, codes 7000xxxx) or COM (companies, codes 6000xxxx).
type Organisation struct {
	Pos Pos `yaml:"-" json:"-"`

	// Name is the organisation's official name.
	Name Text `yaml:"name"`
	// ShortName is the usual abbreviation, e.g. "ГЗД".
	ShortName Text `yaml:"shortName"`
	// Address is the legal address.
	Address Text `yaml:"address"`
	// Instance is the X-Road instance; empty means DefaultInstance.
	Instance string `yaml:"instance"`
	// MemberClass is "GOV" or "COM".
	MemberClass string `yaml:"memberClass"`
	// MemberCode is the 8-digit member code.
	MemberCode string `yaml:"memberCode"`
	// INN is the organisation's 14-digit taxpayer number (public for
	// organisations, unlike a person's PIN).
	INN string `yaml:"inn"`
	// Website is the organisation's public site.
	Website string `yaml:"website"`
	// AuthorisedPersons may act for the organisation towards the Tunduk
	// operator and its security server; at least one is required.
	AuthorisedPersons []*Person `yaml:"authorisedPersons"`
}

// InstanceOrDefault returns Instance, or DefaultInstance when unset.
func (o *Organisation) InstanceOrDefault() string {
	if o.Instance == "" {
		return DefaultInstance
	}
	return o.Instance
}

// MemberID returns the member's X-Road identifier in slash form,
// "central-server/GOV/70000012".
func (o *Organisation) MemberID() string {
	return o.InstanceOrDefault() + "/" + o.MemberClass + "/" + o.MemberCode
}

// Role is what an authorised person may do.
type Role string

// Roles an authorised person can hold.
const (
	// RoleHead signs for the organisation (its head or deputy).
	RoleHead Role = "head"
	// RoleRegistrar submits catalog and security-server registrations
	// (tunduk catalog apply is recorded under this person).
	RoleRegistrar Role = "registrar"
	// RoleSecurityOfficer is responsible for keys, certificates and logs.
	RoleSecurityOfficer Role = "security-officer"
	// RoleTechnicalContact answers the operator about outages and works.
	RoleTechnicalContact Role = "technical-contact"
	// RoleLogAuditor may read the archived message logs.
	RoleLogAuditor Role = "log-auditor"
)

// KnownRoles lists every valid Role.
var KnownRoles = []Role{RoleHead, RoleRegistrar, RoleSecurityOfficer, RoleTechnicalContact, RoleLogAuditor}

// Person is an authorised person of the organisation. Everything but the
// position is personal data and never exported.
type Person struct {
	Pos Pos `yaml:"-" json:"-"`

	// ID is a short stable handle, e.g. "a.sadykova", used by
	// `tunduk catalog apply --as` and in the signed log.
	ID string `yaml:"id"`
	// Name is the person's full name.
	Name string `yaml:"name"`
	// Position is the job title.
	Position Text `yaml:"position"`
	// PIN is the 14-digit personal identification number; it is also the
	// X-Road userId the person's requests carry.
	PIN string `yaml:"pin"`
	// Email and Phone are work contacts.
	Email string `yaml:"email"`
	Phone string `yaml:"phone"`
	// Roles are what the person is authorised for.
	Roles []Role `yaml:"roles"`
	// Basis is the order or power of attorney that authorises the person,
	// e.g. "Приказ №45 от 12.03.2025".
	Basis string `yaml:"basis"`
}

// Has reports whether the person holds role r.
func (p *Person) Has(r Role) bool {
	for _, x := range p.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// System is an information system of the organisation, registered in
// X-Road as a subsystem of the member. It may provide services, consume
// other members' services, or both.
type System struct {
	Pos Pos `yaml:"-" json:"-"`

	// Code is the X-Road subsystem code, e.g. "supplier-registry".
	Code string `yaml:"code"`
	// Name and Description say what the system is for.
	Name        Text `yaml:"name"`
	Description Text `yaml:"description"`
	// Inventory holds the answers to the operator's inventory questionnaire.
	Inventory Inventory `yaml:"inventory"`
	// Consumes lists the other members' services the system calls, each
	// with its purpose and legal basis (only data the law provides for).
	Consumes []*Consumption `yaml:"consumes"`
}

// Inventory is the information-system questionnaire Tunduk asks for.
type Inventory struct {
	Pos Pos `yaml:"-" json:"-"`

	// Database is the DBMS kind and version, e.g. "PostgreSQL 15".
	Database string `yaml:"database"`
	// DataElements are the kinds of data the system keeps.
	DataElements []*DataElement `yaml:"dataElements"`
	// Identification says how users and requests are identified (e.g. the
	// officer's PIN as X-Road userId after login with an ЭЦП).
	Identification Text `yaml:"identification"`
	// Logging says what is logged, where and for how long.
	Logging Logging `yaml:"logging"`
}

// DataElement is one kind of data an information system keeps.
type DataElement struct {
	Pos Pos `yaml:"-" json:"-"`

	// Name of the element, e.g. "supplier INN".
	Name Text `yaml:"name"`
	// Format, e.g. "14 digits", "ISO 8601 date", "JSON".
	Format string `yaml:"format"`
	// PersonalData marks data about an identifiable person.
	PersonalData bool `yaml:"personalData"`
	// Classifier is the Code of the classifier the values come from.
	Classifier string `yaml:"classifier"`
}

// Logging describes the system's request logging.
type Logging struct {
	Pos Pos `yaml:"-" json:"-"`

	// What is logged, e.g. "every Tunduk request and response, signed".
	What Text `yaml:"what"`
	// RetentionYears is how long logs are kept; Tunduk requires 3 years.
	RetentionYears int `yaml:"retentionYears"`
	// Access names who may read the logs and on what conditions.
	Access Text `yaml:"access"`
}

// Consumption is one service of another member that a system calls.
type Consumption struct {
	Pos Pos `yaml:"-" json:"-"`

	// Service is the X-Road service identifier, slash form,
	// "central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1".
	Service string `yaml:"service"`
	// Purpose says why the data is needed.
	Purpose Text `yaml:"purpose"`
	// LegalBasis is the law that allows the request.
	LegalBasis []*LegalAct `yaml:"legalBasis"`
}

// Protocol is how a service is called over X-Road.
type Protocol string

// Protocols.
const (
	SOAP Protocol = "SOAP" // PR-MESS 4.0, described by a WSDL
	REST Protocol = "REST" // PR-REST, described by OpenAPI 3
)

// Service is one X-Road service the organisation provides.
type Service struct {
	Pos Pos `yaml:"-" json:"-"`

	// Subsystem is the Code of the providing System.
	Subsystem string `yaml:"subsystem"`
	// Code is the X-Road service code: the SOAP body element / operation
	// name, or the REST service code.
	Code string `yaml:"code"`
	// Version is the X-Road service version, e.g. "v1".
	Version string `yaml:"version"`
	// Protocol is SOAP or REST.
	Protocol Protocol `yaml:"protocol"`
	// Title and Description in ky/ru/en.
	Title       Text `yaml:"title"`
	Description Text `yaml:"description"`
	// Namespace is the SOAP body namespace (the WSDL targetNamespace);
	// SOAP only.
	Namespace string `yaml:"namespace"`
	// Method and Path are the REST operation, e.g. GET
	// "/suppliers/{inn}"; REST only. Path parameters are Input fields with
	// In "path".
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
	// ElementFormDefault is "qualified" (the default: every element of the
	// body, not only the wrapper, is in Namespace) or "unqualified" (child
	// elements carry no namespace, as many legacy services write them).
	// SOAP only. It drives both the generated WSDL and the provider's
	// encoder, so answers validate against the WSDL.
	ElementFormDefault string `yaml:"elementFormDefault"`
	// Input and Output are the request and response fields, in the order
	// they appear in the XML body.
	Input  []*Field `yaml:"input"`
	Output []*Field `yaml:"output"`
	// Errors are the business errors the service may answer in its body
	// (PR-MESS Annex C/D.2: <fault><faultCode/><faultString/></fault>);
	// BAD_REQUEST and, unless NotFound says otherwise, NOT_FOUND are always
	// declared. Technical errors are SOAP faults and are not listed.
	Errors []*BusinessError `yaml:"errors"`
	// NotFound says how "no record matches the request" is answered: by
	// the output values listed (e.g. found: false) or, when nil or when
	// Error is set, by a business error (NOT_FOUND by default).
	NotFound *NotFound `yaml:"notFound"`
	// LegalBasis is the law under which the data is provided; required.
	LegalBasis []*LegalAct `yaml:"legalBasis"`
	// SLA is what the provider promises.
	SLA SLA `yaml:"sla"`
	// AllowedConsumers are the X-Road subsystems (slash form,
	// "central-server/GOV/70000041/zakupki-portal", or typed
	// "SUBSYSTEM:…") that get access rights on the security server. The SS
	// grants access to subsystems (and groups), never to members, so
	// Validate refuses a member id here.
	AllowedConsumers []string `yaml:"allowedConsumers"`
	// Backend is where the security server forwards requests. Internal:
	// never exported.
	Backend Backend `yaml:"backend"`
}

// ID returns the service's X-Road identifier in slash form for the given
// organisation, "central-server/GOV/70000012/supplier-registry/getSupplier/v1"
// (without the version segment when Version is empty).
func (s *Service) ID(o *Organisation) string {
	id := o.MemberID() + "/" + s.Subsystem + "/" + s.Code
	if s.Version != "" {
		id += "/" + s.Version
	}
	return id
}

// Element forms of a SOAP service's body.
const (
	FormQualified   = "qualified"
	FormUnqualified = "unqualified"
)

// Qualified reports whether the body's child elements are in the service
// namespace (elementFormDefault="qualified", the default).
func (s *Service) Qualified() bool { return s.ElementFormDefault != FormUnqualified }

// Business error codes every described service may answer with.
const (
	ErrorBadRequest = "BAD_REQUEST" // the request failed the input checks or the backend refused it
	ErrorNotFound   = "NOT_FOUND"   // no record matches (unless NotFound sets output values)
)

// BusinessError is a business error code a service declares.
type BusinessError struct {
	Pos Pos `yaml:"-" json:"-"`

	// Code is the faultCode, upper snake case, e.g. SUPPLIER_BLOCKED.
	Code string `yaml:"code"`
	// Title says what it means, in ky/ru/en.
	Title Text `yaml:"title"`
}

// NotFound is how a service answers when no record matches.
type NotFound struct {
	Pos Pos `yaml:"-" json:"-"`

	// Output lists top-level scalar output values that make up the
	// answer, e.g. {found: "false"}; every required output must be set.
	Output map[string]string `yaml:"output"`
	// Error is the business error code to answer with instead.
	Error string `yaml:"error"`
}

// NotFoundError returns the business error code that answers "not
// found", or "" when NotFound answers with output values.
func (s *Service) NotFoundError() string {
	switch {
	case s.NotFound == nil:
		return ErrorNotFound
	case s.NotFound.Error != "":
		return s.NotFound.Error
	case len(s.NotFound.Output) > 0:
		return ""
	}
	return ErrorNotFound
}

// ErrorCodes returns every business error code the service may answer
// with, in a stable order: BAD_REQUEST, the not-found code, then Errors.
func (s *Service) ErrorCodes() []string {
	out := []string{ErrorBadRequest}
	add := func(c string) {
		for _, x := range out {
			if x == c {
				return
			}
		}
		out = append(out, c)
	}
	if c := s.NotFoundError(); c != "" {
		add(c)
	}
	for _, e := range s.Errors {
		add(e.Code)
	}
	return out
}

// FullCode is "code.version" (or "code"), the way the security server
// names a service within a subsystem.
func (s *Service) FullCode() string {
	if s.Version == "" {
		return s.Code
	}
	return s.Code + "." + s.Version
}

// HasPersonalData reports whether any input or output field (at any
// depth) is flagged PersonalData.
func (s *Service) HasPersonalData() bool {
	found := false
	WalkFields(s.Input, func(_ string, f *Field) {
		found = found || f.PersonalData
	})
	WalkFields(s.Output, func(_ string, f *Field) {
		found = found || f.PersonalData
	})
	return found
}

// FieldType is the type of a service field.
type FieldType string

// Field types. They map to XML Schema (xs:…) and JSON Schema types.
const (
	TypeString   FieldType = "string"
	TypeInteger  FieldType = "integer"
	TypeDecimal  FieldType = "decimal"
	TypeBoolean  FieldType = "boolean"
	TypeDate     FieldType = "date"     // ISO 8601 date
	TypeDateTime FieldType = "dateTime" // ISO 8601 date and time
	TypeObject   FieldType = "object"   // has Fields
	// TypeINN is an organisation's or entrepreneur's 14-digit taxpayer
	// number; TypePIN a person's 14-digit personal number. Both are strings
	// of 14 digits in the WSDL; the provider checks their structure too.
	TypeINN FieldType = "inn"
	TypePIN FieldType = "pin"
)

// KnownFieldTypes lists every valid FieldType.
var KnownFieldTypes = []FieldType{TypeString, TypeInteger, TypeDecimal, TypeBoolean, TypeDate, TypeDateTime, TypeObject, TypeINN, TypePIN}

// Field is one input or output element of a service.
type Field struct {
	Pos Pos `yaml:"-" json:"-"`

	// Name is the XML element / JSON property name.
	Name string `yaml:"name"`
	// Type is the value type; objects have Fields.
	Type FieldType `yaml:"type"`
	// Title says what the field holds, in ky/ru/en.
	Title Text `yaml:"title"`
	// Required fields must be present (minOccurs 1).
	Required bool `yaml:"required"`
	// Repeated fields are lists (maxOccurs unbounded / JSON array).
	Repeated bool `yaml:"repeated"`
	// Pattern is a regular expression the value matches, e.g. "[0-9]{14}".
	Pattern string `yaml:"pattern"`
	// Enum lists the only values allowed (xs:enumeration / JSON enum).
	Enum []string `yaml:"enum"`
	// PersonalData marks data about an identifiable person (a PIN, a
	// name, a birth date…). Such fields are never exported.
	PersonalData bool `yaml:"personalData"`
	// Classifier is the Code of the classifier the value comes from.
	Classifier string `yaml:"classifier"`
	// In is where a REST input travels: "path", "query" (default) or
	// "header"; empty for SOAP.
	In string `yaml:"in"`
	// Fields are the members of an object.
	Fields []*Field `yaml:"fields"`
}

// WalkFields calls fn for every field in fs and their sub-fields, depth
// first, with the dotted path of the field ("supplier.founders.pin").
func WalkFields(fs []*Field, fn func(path string, f *Field)) {
	walkFields("", fs, fn)
}

func walkFields(prefix string, fs []*Field, fn func(string, *Field)) {
	for _, f := range fs {
		p := f.Name
		if prefix != "" {
			p = prefix + "." + f.Name
		}
		fn(p, f)
		walkFields(p, f.Fields, fn)
	}
}

// LegalAct is a law or regulation (and article) that is the basis for
// providing or requesting data.
type LegalAct struct {
	Pos Pos `yaml:"-" json:"-"`

	// Title of the act, e.g. "Закон КР «О государственных закупках» от 14 апреля 2022 года № 27".
	Title Text `yaml:"title"`
	// Article, e.g. "ст. 20, ч. 1".
	Article string `yaml:"article"`
	// URL of the act's public text (cbd.minjust.gov.kg).
	URL string `yaml:"url"`
}

// SLA is the service level the provider promises the operator.
type SLA struct {
	Pos Pos `yaml:"-" json:"-"`

	// Availability in percent per month, e.g. 99.5.
	Availability float64 `yaml:"availability"`
	// ResponseTime is the 95th-percentile response time, e.g. "2s".
	ResponseTime Duration `yaml:"responseTime"`
	// MaxRequestsPerSecond is the load the provider accepts (0: unstated).
	MaxRequestsPerSecond int `yaml:"maxRequestsPerSecond"`
	// SupportHours, e.g. "Пн–Пт 09:00–18:00 (UTC+6)".
	SupportHours string `yaml:"supportHours"`
}

// Backend is where the security server sends a service's requests.
// Internal: never exported.
type Backend struct {
	Pos Pos `yaml:"-" json:"-"`

	// URL of the provider's information system endpoint (http or https).
	URL string `yaml:"url"`
	// Timeout for the security server's call (whole seconds on the SS).
	Timeout Duration `yaml:"timeout"`
	// VerifyTLS makes the SS check the backend's TLS certificate
	// (ssl_auth on the SS); default false as on the SS.
	VerifyTLS bool `yaml:"verifyTLS"`
}

// Classifier is a reference book (справочник) used by services' data.
type Classifier struct {
	Pos Pos `yaml:"-" json:"-"`

	// Code identifies the classifier; fields refer to it, e.g. "OKPO-STATUS".
	Code string `yaml:"code"`
	// Name in ky/ru/en.
	Name Text `yaml:"name"`
	// Owner is who maintains it: an X-Road member id
	// ("central-server/GOV/70000002") or the organisation's name.
	Owner string `yaml:"owner"`
	// Version of the classifier, e.g. "2024-01".
	Version string `yaml:"version"`
	// Values are the classifier's entries when kept in the catalog; either
	// Values or Source is required.
	Values []*ClassifierValue `yaml:"values"`
	// Source says where the values are published when they are not listed
	// (a URL or a normative act).
	Source string `yaml:"source"`
}

// ClassifierValue is one entry of a classifier.
type ClassifierValue struct {
	Pos Pos `yaml:"-" json:"-"`

	Code string `yaml:"code"`
	Name Text   `yaml:"name"`
}

// Duration is a time.Duration written in YAML as "2s", "1m30s".
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string, reporting the line of a bad one.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration like 2s or 1m30s")
	}
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("%q is not a duration; write one like 2s or 1m30s", n.Value)
	}
	return nil
}

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("catalog: %q is not a duration like 2s or 1m30s", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// System returns the system with subsystem code, or nil.
func (c *Catalog) System(code string) *System {
	for _, s := range c.Systems {
		if s.Code == code {
			return s
		}
	}
	return nil
}

// Classifier returns the classifier with code, or nil.
func (c *Catalog) Classifier(code string) *Classifier {
	for _, cl := range c.Classifiers {
		if cl.Code == code {
			return cl
		}
	}
	return nil
}

// ServicesOf returns the services the subsystem provides, in file order.
func (c *Catalog) ServicesOf(subsystem string) []*Service {
	var out []*Service
	for _, s := range c.Services {
		if s.Subsystem == subsystem {
			out = append(out, s)
		}
	}
	return out
}

// Person returns the authorised person with id, or nil.
func (c *Catalog) Person(id string) *Person {
	if c.Organisation == nil {
		return nil
	}
	for _, p := range c.Organisation.AuthorisedPersons {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// NotFoundError is returned when a catalog lookup finds nothing or more
// than one match.
type NotFoundError struct {
	What, Ref string
	Matches   []string // for an ambiguous reference, the candidates
}

func (e *NotFoundError) Error() string {
	if len(e.Matches) > 1 {
		return fmt.Sprintf("catalog: %s %q is ambiguous: %s", e.What, e.Ref, strings.Join(e.Matches, ", "))
	}
	return fmt.Sprintf("catalog: no %s %q in the catalog", e.What, e.Ref)
}

// FindService resolves a reference to one of the catalog's services. ref
// may be "code", "code/version", "code.version", "subsystem/code",
// "subsystem/code/version" or the full service id in slash form.
func (c *Catalog) FindService(ref string) (*Service, error) {
	var matches []*Service
	for _, s := range c.Services {
		if c.serviceMatches(s, ref) {
			matches = append(matches, s)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return nil, &NotFoundError{What: "service", Ref: ref}
	}
	e := &NotFoundError{What: "service", Ref: ref}
	for _, m := range matches {
		e.Matches = append(e.Matches, m.Subsystem+"/"+m.FullCode())
	}
	return nil, e
}

func (c *Catalog) serviceMatches(s *Service, ref string) bool {
	ref = strings.TrimPrefix(ref, "SERVICE:")
	cands := []string{
		s.Code,
		s.Code + "/" + s.Version,
		s.Code + "." + s.Version,
		s.Subsystem + "/" + s.Code,
		s.Subsystem + "/" + s.Code + "/" + s.Version,
	}
	if c.Organisation != nil {
		cands = append(cands, s.ID(c.Organisation))
	}
	for _, x := range cands {
		if x == ref {
			return true
		}
	}
	return false
}

// ClientID returns the organisation's X-Road member identifier.
func (o *Organisation) ClientID() soap.ClientID {
	return soap.ClientID{Instance: o.InstanceOrDefault(), MemberClass: o.MemberClass, MemberCode: o.MemberCode}
}

// SubsystemID returns the X-Road identifier of the organisation's
// subsystem code, e.g. SUBSYSTEM:central-server/GOV/70000012/supplier-registry.
func (o *Organisation) SubsystemID(code string) soap.ClientID {
	id := o.ClientID()
	id.SubsystemCode = code
	return id
}

// ServiceID returns the service's X-Road identifier under organisation o.
func (s *Service) ServiceID(o *Organisation) soap.ServiceID {
	return soap.ServiceID{ClientID: o.SubsystemID(s.Subsystem), ServiceCode: s.Code, ServiceVersion: s.Version}
}

// Consumers parses AllowedConsumers. The catalog is validated before use,
// so an error here means Validate was skipped.
func (s *Service) Consumers() ([]soap.ClientID, error) {
	out := make([]soap.ClientID, 0, len(s.AllowedConsumers))
	for _, c := range s.AllowedConsumers {
		id, err := soap.ParseClientID(c)
		if err != nil {
			return nil, fmt.Errorf("catalog: service %s: allowed consumer: %w", s.FullCode(), err)
		}
		out = append(out, id)
	}
	return out, nil
}
