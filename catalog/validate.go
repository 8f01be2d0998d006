package catalog

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/soap"
)

// Limits the validator applies; they follow the security server's own
// bounds and Tunduk's requirements.
const (
	// MinLogRetentionYears is how long Tunduk requires logs to be kept.
	MinLogRetentionYears = 3
	// MaxBackendTimeout is the longest service timeout worth registering;
	// the SS's own client timeout ends requests long before.
	MaxBackendTimeout = 5 * time.Minute
	// MinAvailability is the lowest availability Tunduk accepts for a
	// production service, in percent.
	MinAvailability = 95.0
)

var (
	memberCodeRE = regexp.MustCompile(`^[0-9]{8}$`)
	digits14RE   = regexp.MustCompile(`^[0-9]{14}$`)
	versionRE    = regexp.MustCompile(`^v[0-9]+(\.[0-9]+)*$`)
	ncNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)
	pathParamRE  = regexp.MustCompile(`\{([^{}]*)\}`)
	personIDRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._\-]*$`)

	// personalNameRE matches field names that, in Tunduk services, carry
	// data about a person; such a field must say personalData: true.
	personalNameRE = regexp.MustCompile(`(?i:^pin$|pin$|passport|birth|surname|lastname|firstname|middlename|patronymic|fullname|^fio|personname|^phone|phone$|email|^snils|gender|citizenship)|^pin[A-Z_]`)
)

// memberClasses maps Tunduk's member classes to the prefix of their codes.
var memberClasses = map[string]string{"GOV": "7000", "COM": "6000"}

// Validate applies the rules the Tunduk operator refuses a catalog for:
// missing ky/ru/en titles, missing legal basis, undeclared personal data,
// unknown classifier references, duplicate service codes, identifiers that
// break X-Road's rules, unreasonable SLA numbers, no authorised person…
// Problems are sorted by file and line; Errors() of the result empty means
// the catalog may be submitted.
func (c *Catalog) Validate() Problems {
	v := &validator{c: c}
	v.organisation()
	v.systems()
	v.services()
	v.classifiers()
	v.probs.Sort()
	return v.probs
}

type validator struct {
	c     *Catalog
	probs Problems
	used  map[string]bool // classifier codes referenced
}

func (v *validator) add(sev Severity, pos Pos, key, path, format string, args ...any) {
	v.probs = append(v.probs, Problem{File: pos.File, Line: pos.At(key), Path: path, Severity: sev, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) itemf(sev Severity, file string, line int, path, format string, args ...any) {
	v.probs = append(v.probs, Problem{File: file, Line: line, Path: path, Severity: sev, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) errorf(pos Pos, key, path, format string, args ...any) {
	v.add(Error, pos, key, path, format, args...)
}

func (v *validator) warnf(pos Pos, key, path, format string, args ...any) {
	v.add(Warning, pos, key, path, format, args...)
}

// text requires all three languages.
func (v *validator) text(t Text, pos Pos, key, path, what string) {
	if m := t.Missing(); len(m) > 0 {
		v.errorf(pos, key, path+"."+key, "%s is missing in %s; Tunduk requires ky, ru and en (add %s)", what, strings.Join(m, ", "), keysFor(key, m))
	}
}

func keysFor(key string, langs []string) string {
	var ks []string
	for _, l := range langs {
		ks = append(ks, key+"."+l)
	}
	return strings.Join(ks, ", ")
}

// idPart checks one identifier segment against X-Road's character rules.
func (v *validator) idPart(s string, pos Pos, key, path, what string) bool {
	if strings.TrimSpace(s) == "" {
		v.errorf(pos, key, path+"."+key, "%s is missing; set %s", what, key)
		return false
	}
	// soap's rules are the single source of truth for identifier characters.
	if err := (soap.ServiceID{ClientID: soap.ClientID{Instance: "i", MemberClass: "c", MemberCode: "m"}, ServiceCode: s}).Validate(); err != nil {
		v.errorf(pos, key, path+"."+key, "%s %q is not a valid X-Road identifier (no ':' ';' '/' '\\' '%%', no control characters); rename it", what, s)
		return false
	}
	if strings.Contains(s, "..") {
		v.errorf(pos, key, path+"."+key, "%s %q contains \"..\", which the security server refuses as path traversal; rename it", what, s)
		return false
	}
	return true
}

func (v *validator) organisation() {
	o := v.c.Organisation
	if o == nil {
		v.probs = append(v.probs, Problem{File: v.c.Dir, Msg: "no organisation: add a file with an `organisation:` section (name, address, memberClass, memberCode, authorisedPersons)"})
		return
	}
	const path = "organisation"
	p := o.Pos
	v.text(o.Name, p, "name", path, "the organisation's name")
	if o.Address.KY == "" && o.Address.RU == "" {
		v.errorf(p, "address", path+".address", "the legal address is missing; set address.ky and address.ru")
	} else {
		v.text(o.Address, p, "address", path, "the address")
	}
	if o.Instance != "" {
		v.idPart(o.Instance, p, "instance", path, "the X-Road instance")
		if o.Instance != DefaultInstance {
			v.warnf(p, "instance", path+".instance", "instance %q is not production Tunduk (%s); fine for a test environment", o.Instance, DefaultInstance)
		}
	}
	prefix, ok := memberClasses[o.MemberClass]
	switch {
	case o.MemberClass == "":
		v.errorf(p, "memberClass", path+".memberClass", "memberClass is missing; set GOV (state bodies) or COM (companies)")
	case !ok:
		v.errorf(p, "memberClass", path+".memberClass", "member class %q is not used in Tunduk; use GOV (state bodies) or COM (companies)", o.MemberClass)
	}
	switch {
	case o.MemberCode == "":
		v.errorf(p, "memberCode", path+".memberCode", "memberCode is missing; set the 8-digit code the Tunduk operator assigned")
	case !memberCodeRE.MatchString(o.MemberCode):
		v.errorf(p, "memberCode", path+".memberCode", "member code %q must be 8 digits, e.g. %s0012", o.MemberCode, orDefault(prefix, "7000"))
	case ok && !strings.HasPrefix(o.MemberCode, prefix):
		v.errorf(p, "memberCode", path+".memberCode", "member code %q of class %s must start with %s", o.MemberCode, o.MemberClass, prefix)
	}
	if o.INN != "" && !digits14RE.MatchString(o.INN) {
		v.errorf(p, "inn", path+".inn", "INN %q must be 14 digits", o.INN)
	}
	if o.Website != "" {
		v.publicURL(o.Website, p, "website", path)
	}
	v.persons(o)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (v *validator) persons(o *Organisation) {
	const path = "organisation.authorisedPersons"
	if len(o.AuthorisedPersons) == 0 {
		v.errorf(o.Pos, "authorisedPersons", path, "no authorised person; the operator refuses data not submitted by an authorised person: add at least one with roles [head] and one with [registrar]")
		return
	}
	ids := map[string]Pos{}
	var head, registrar bool
	for i, pr := range o.AuthorisedPersons {
		pp := fmt.Sprintf("%s[%d]", path, i)
		p := pr.Pos
		switch {
		case pr.ID == "":
			v.errorf(p, "id", pp+".id", "id is missing; set a short handle like a.sadykova (used by catalog apply --as)")
		case !personIDRE.MatchString(pr.ID):
			v.errorf(p, "id", pp+".id", "id %q: use lower-case letters, digits, '.', '-' or '_'", pr.ID)
		default:
			if prev, dup := ids[pr.ID]; dup {
				v.errorf(p, "id", pp+".id", "id %q is already used at %s; ids must be unique", pr.ID, prev)
			}
			ids[pr.ID] = p
		}
		if strings.TrimSpace(pr.Name) == "" {
			v.errorf(p, "name", pp+".name", "the person's full name is missing")
		}
		if pr.Position.IsZero() {
			v.errorf(p, "position", pp+".position", "the person's position is missing; set position.ky/ru/en")
		}
		switch {
		case pr.PIN == "":
			v.errorf(p, "pin", pp+".pin", "PIN is missing; it is the X-Road userId of the person's requests (14 digits)")
		case !digits14RE.MatchString(pr.PIN):
			v.errorf(p, "pin", pp+".pin", "PIN must be 14 digits")
		}
		if pr.Email != "" {
			if _, err := mail.ParseAddress(pr.Email); err != nil {
				v.errorf(p, "email", pp+".email", "%q is not an e-mail address", pr.Email)
			}
		}
		if strings.TrimSpace(pr.Basis) == "" {
			v.errorf(p, "basis", pp+".basis", "the basis of authority (order or power of attorney, number and date) is missing")
		}
		if len(pr.Roles) == 0 {
			v.errorf(p, "roles", pp+".roles", "no roles; give the person at least one of %s", list(KnownRoles))
		}
		for j, r := range pr.Roles {
			if !slices.Contains(KnownRoles, r) {
				v.itemf(Error, p.File, p.AtItem("roles", j), pp+".roles", "unknown role %q; use %s", r, list(KnownRoles))
			}
		}
		head = head || pr.Has(RoleHead)
		registrar = registrar || pr.Has(RoleRegistrar)
	}
	if !head {
		v.errorf(o.Pos, "authorisedPersons", path, "nobody has role head; the head of the organisation (or deputy) must be listed")
	}
	if !registrar {
		v.errorf(o.Pos, "authorisedPersons", path, "nobody has role registrar; registrations are refused unless submitted by an authorised registrar")
	}
}

func (v *validator) systems() {
	if len(v.c.Systems) == 0 {
		pos := Pos{File: v.c.Dir}
		if v.c.Organisation != nil {
			pos = v.c.Organisation.Pos
		}
		v.errorf(pos, "", "informationSystems", "no information system; add an `informationSystems:` section with at least one subsystem")
	}
	seen := map[string]Pos{}
	for i, s := range v.c.Systems {
		path := itemPath("informationSystems", i, s.Code, s.Code)
		p := s.Pos
		v.uniqueCode(seen, s.Code, p, path, "subsystem")
		v.text(s.Name, p, "name", path, "the system's name")
		v.text(s.Description, p, "description", path, "the system's description")
		v.inventory(&s.Inventory, s.Pos, path+".inventory")
		for j, cn := range s.Consumes {
			v.consumption(cn, fmt.Sprintf("%s.consumes[%d]", path, j))
		}
		if len(v.c.ServicesOf(s.Code)) == 0 && len(s.Consumes) == 0 {
			v.warnf(p, "code", path, "the system neither provides nor consumes a service; is it needed in the catalog?")
		}
	}
}

func (v *validator) inventory(in *Inventory, parent Pos, path string) {
	p := in.Pos
	if p.File == "" {
		v.errorf(parent, "inventory", path, "the inventory answers are missing; add inventory: database, dataElements, identification, logging")
		return
	}
	if strings.TrimSpace(in.Database) == "" {
		v.errorf(p, "database", path+".database", "the database kind is missing, e.g. \"PostgreSQL 15\"")
	}
	if len(in.DataElements) == 0 {
		v.errorf(p, "dataElements", path+".dataElements", "no data elements; list the kinds of data the system keeps, with their formats")
	}
	for i, d := range in.DataElements {
		dp := fmt.Sprintf("%s.dataElements[%d]", path, i)
		if d.Name.IsZero() {
			v.errorf(d.Pos, "name", dp+".name", "the data element's name is missing")
		} else {
			v.text(d.Name, d.Pos, "name", dp, "the data element's name")
		}
		if strings.TrimSpace(d.Format) == "" {
			v.errorf(d.Pos, "format", dp+".format", "the format is missing, e.g. \"14 digits\" or \"ISO 8601 date\"")
		}
		v.classifierRef(d.Classifier, d.Pos, dp)
	}
	if in.Identification.IsZero() {
		v.errorf(p, "identification", path+".identification", "the identification mechanism is missing: say how users are identified and how their PIN reaches X-Road userId")
	} else {
		v.text(in.Identification, p, "identification", path, "the identification mechanism")
	}
	lg := in.Logging
	if lg.Pos.File == "" {
		v.errorf(p, "logging", path+".logging", "the logging answers are missing; add logging: what, retentionYears, access")
		return
	}
	if lg.What.IsZero() {
		v.errorf(lg.Pos, "what", path+".logging.what", "say what is logged")
	}
	if lg.RetentionYears < MinLogRetentionYears {
		v.errorf(lg.Pos, "retentionYears", path+".logging.retentionYears", "logs are kept %d years; Tunduk requires at least %d", lg.RetentionYears, MinLogRetentionYears)
	}
	if lg.Access.IsZero() {
		v.errorf(lg.Pos, "access", path+".logging.access", "say who may access the archived logs and on what conditions")
	}
}

func (v *validator) consumption(cn *Consumption, path string) {
	p := cn.Pos
	if cn.Service == "" {
		v.errorf(p, "service", path+".service", "the consumed service is missing; give its X-Road id, e.g. central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1")
	} else if sid, err := soap.ParseServiceID(cn.Service); err != nil {
		v.errorf(p, "service", path+".service", "%q is not an X-Road service identifier INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]: %v", cn.Service, err)
	} else if sid.SubsystemCode == "" {
		v.warnf(p, "service", path+".service", "%q is a member-level service; Tunduk services live on subsystems — check the id", cn.Service)
	}
	if cn.Purpose.IsZero() {
		v.errorf(p, "purpose", path+".purpose", "say why the data is requested (purpose.ky/ru/en); only data the law provides for may be requested")
	} else {
		v.text(cn.Purpose, p, "purpose", path, "the purpose")
	}
	v.legalBasis(cn.LegalBasis, p, path)
}

func (v *validator) legalBasis(acts []*LegalAct, parent Pos, path string) {
	if len(acts) == 0 {
		v.errorf(parent, "legalBasis", path+".legalBasis", "no legal basis; name the law and article that allow this exchange (legalBasis: - title: …, article: …)")
		return
	}
	for i, a := range acts {
		ap := fmt.Sprintf("%s.legalBasis[%d]", path, i)
		if a.Title.KY == "" && a.Title.RU == "" {
			v.errorf(a.Pos, "title", ap+".title", "the act's title is missing; set title.ru and title.ky as published")
		}
		if strings.TrimSpace(a.Article) == "" {
			v.errorf(a.Pos, "article", ap+".article", "the article is missing; name the article (and part) that is the basis")
		}
		if a.URL != "" {
			v.publicURL(a.URL, a.Pos, "url", ap)
		}
	}
}

func (v *validator) publicURL(s string, p Pos, key, path string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errorf(p, key, path+"."+key, "%q is not an http(s) URL", s)
	}
}

func (v *validator) services() {
	type key struct{ sub, code, version string }
	seen := map[key]Pos{}
	for i, s := range v.c.Services {
		path := itemPath("services", i, s.Code, s.FullCode())
		p := s.Pos
		if s.Subsystem == "" {
			v.errorf(p, "subsystem", path+".subsystem", "subsystem is missing; name the information system (its code) that provides the service")
		} else if v.c.System(s.Subsystem) == nil {
			v.errorf(p, "subsystem", path+".subsystem", "unknown subsystem %q; declare it under informationSystems or fix the code", s.Subsystem)
		}
		codeOK := v.idPart(s.Code, p, "code", path, "the service code")
		switch {
		case s.Version == "":
			v.errorf(p, "version", path+".version", "version is missing; set a version like v1 (consumers address the service by code and version)")
		case v.idPart(s.Version, p, "version", path, "the service version"):
			if !versionRE.MatchString(s.Version) {
				v.warnf(p, "version", path+".version", "version %q does not look like v1 or v1.2; Tunduk services use vN", s.Version)
			}
		}
		if codeOK {
			k := key{s.Subsystem, s.Code, s.Version}
			if prev, dup := seen[k]; dup {
				v.errorf(p, "code", path+".code", "service %s of subsystem %s is already declared at %s; service codes must be unique per version", s.FullCode(), s.Subsystem, prev)
			}
			seen[k] = p
		}
		v.text(s.Title, p, "title", path, "the service title")
		v.text(s.Description, p, "description", path, "the service description")
		v.protocol(s, path)
		v.fields(s, s.Input, p, "input", path, true)
		v.fields(s, s.Output, p, "output", path, false)
		if len(s.Output) == 0 {
			v.errorf(p, "output", path+".output", "no output fields; describe what the service returns")
		}
		v.answers(s, path)
		v.legalBasis(s.LegalBasis, p, path)
		v.sla(s, path)
		v.consumers(s, path)
		v.backend(s, path)
	}
}

func (v *validator) protocol(s *Service, path string) {
	p := s.Pos
	switch s.Protocol {
	case SOAP:
		if s.Namespace == "" {
			v.errorf(p, "namespace", path+".namespace", "a SOAP service needs the body namespace, e.g. http://supplier-registry.zakupki.gov.kg/producer")
		} else if u, err := url.Parse(s.Namespace); err != nil || u.Scheme == "" {
			v.errorf(p, "namespace", path+".namespace", "namespace %q must be an absolute URI", s.Namespace)
		}
		if s.Method != "" || s.Path != "" {
			v.errorf(p, "method", path+".method", "method and path are for REST services; remove them or set protocol: REST")
		}
		if !ncNameRE.MatchString(s.Code) && s.Code != "" {
			v.errorf(p, "code", path+".code", "the SOAP service code %q is also the body element name and must be an XML name (letters, digits, '_', '-', '.')", s.Code)
		}
	case REST:
		switch s.Method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		case "":
			v.errorf(p, "method", path+".method", "a REST service needs method: GET, POST, PUT, PATCH or DELETE")
		default:
			v.errorf(p, "method", path+".method", "method %q: use GET, POST, PUT, PATCH or DELETE (upper case)", s.Method)
		}
		if !strings.HasPrefix(s.Path, "/") {
			v.errorf(p, "path", path+".path", "a REST service needs a path starting with '/', e.g. /suppliers/{inn}")
		}
		if s.Namespace != "" {
			v.warnf(p, "namespace", path+".namespace", "namespace is only used by SOAP services")
		}
		inPath := map[string]bool{}
		for _, m := range pathParamRE.FindAllStringSubmatch(s.Path, -1) {
			inPath[m[1]] = true
			if f := findField(s.Input, m[1]); f == nil || f.In != "path" {
				v.errorf(p, "path", path+".path", "path parameter {%s} has no input field with in: path; declare it", m[1])
			}
		}
		for _, f := range s.Input {
			if f.In == "path" && !inPath[f.Name] {
				v.errorf(f.Pos, "in", path+".input."+f.Name, "field %q is in: path but the path has no {%s}", f.Name, f.Name)
			}
		}
	case "":
		v.errorf(p, "protocol", path+".protocol", "protocol is missing; set SOAP or REST")
	default:
		v.errorf(p, "protocol", path+".protocol", "protocol %q: use SOAP or REST (upper case)", s.Protocol)
	}
}

var errorCodeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// answers checks the element form, the business errors and the not-found
// answer: what the WSDL declares and the provider writes.
func (v *validator) answers(s *Service, path string) {
	p := s.Pos
	switch s.ElementFormDefault {
	case "", FormQualified, FormUnqualified:
		if s.ElementFormDefault != "" && s.Protocol == REST {
			v.errorf(p, "elementFormDefault", path+".elementFormDefault", "elementFormDefault is for SOAP services; remove it")
		}
	default:
		v.errorf(p, "elementFormDefault", path+".elementFormDefault", "elementFormDefault %q: use qualified (default) or unqualified", s.ElementFormDefault)
	}
	codes := map[string]bool{ErrorBadRequest: true, ErrorNotFound: true}
	for i, e := range s.Errors {
		ep := fmt.Sprintf("%s.errors[%d]", path, i)
		if !errorCodeRE.MatchString(e.Code) {
			v.errorf(e.Pos, "code", ep+".code", "error code %q: use upper snake case like SUPPLIER_BLOCKED", e.Code)
		}
		if e.Title.IsZero() {
			v.errorf(e.Pos, "title", ep+".title", "say what the error means (title.ky/ru/en)")
		}
		codes[e.Code] = true
	}
	nf := s.NotFound
	if nf == nil {
		return
	}
	np := path + ".notFound"
	switch {
	case nf.Error != "" && len(nf.Output) > 0:
		v.errorf(nf.Pos, "error", np, "set either output values or an error code, not both")
	case nf.Error != "" && !codes[nf.Error]:
		v.errorf(nf.Pos, "error", np+".error", "error code %q is not declared; add it under errors:", nf.Error)
	case nf.Error == "" && len(nf.Output) == 0:
		v.errorf(nf.Pos, "output", np, "set output values (e.g. found: false) or an error code")
	}
	for name := range nf.Output {
		if f := findField(s.Output, name); f == nil || f.Type == TypeObject || f.Repeated {
			v.errorf(nf.Pos, "output", np+".output."+name, "%q is not a top-level single-valued scalar output field", name)
		}
	}
	if len(nf.Output) > 0 {
		for _, f := range s.Output {
			if _, ok := nf.Output[f.Name]; f.Required && !ok {
				v.errorf(nf.Pos, "output", np+".output", "required output %q has no value; the not-found answer must validate against the WSDL", f.Name)
			}
		}
	}
}

func findField(fs []*Field, name string) *Field {
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func (v *validator) fields(s *Service, fs []*Field, parent Pos, key, path string, input bool) {
	names := map[string]Pos{}
	for _, f := range fs {
		fp := path + "." + key + "." + orDefault(f.Name, "?")
		p := f.Pos
		switch {
		case f.Name == "":
			v.errorf(p, "name", fp, "the field name is missing")
		case !ncNameRE.MatchString(f.Name):
			v.errorf(p, "name", fp, "field name %q must be an XML/JSON name (letters, digits, '_', '-', '.'; not starting with a digit)", f.Name)
		default:
			if prev, dup := names[f.Name]; dup {
				v.errorf(p, "name", fp, "field %q is already declared at %s", f.Name, prev)
			}
			names[f.Name] = p
		}
		switch {
		case f.Type == "":
			v.errorf(p, "type", fp+".type", "type is missing; use one of %s", list(KnownFieldTypes))
		case !slices.Contains(KnownFieldTypes, f.Type):
			v.errorf(p, "type", fp+".type", "unknown type %q; use one of %s", f.Type, list(KnownFieldTypes))
		case f.Type == TypeObject && len(f.Fields) == 0:
			v.errorf(p, "fields", fp+".fields", "an object needs fields")
		case f.Type != TypeObject && len(f.Fields) > 0:
			v.errorf(p, "fields", fp+".fields", "only type object has fields")
		}
		if f.Title.IsZero() {
			v.errorf(p, "title", fp+".title", "the field's title is missing; say what it holds (title.ky/ru/en)")
		} else if m := f.Title.Missing(); len(m) > 0 {
			v.warnf(p, "title", fp+".title", "the field's title is missing in %s", strings.Join(m, ", "))
		}
		if f.Pattern != "" {
			if _, err := regexp.Compile("^(?:" + f.Pattern + ")$"); err != nil {
				v.errorf(p, "pattern", fp+".pattern", "pattern %q is not a valid regular expression: %v", f.Pattern, err)
			}
		}
		for _, e := range f.Enum {
			if strings.TrimSpace(e) == "" || f.Type == TypeObject || f.Type == TypeBoolean {
				v.errorf(p, "enum", fp+".enum", "enum values must be non-empty and the field a string, number or date")
				break
			}
		}
		if !f.PersonalData && (personalNameRE.MatchString(f.Name) || f.Type == TypePIN) {
			v.errorf(p, "name", fp, "field %q looks like personal data but is not declared; set personalData: true (or rename it if it is not about a person)", f.Name)
		}
		v.classifierRef(f.Classifier, p, fp)
		switch {
		case f.In == "":
		case !input || s.Protocol != REST:
			v.errorf(p, "in", fp+".in", "in: is only for REST input fields")
		case f.In != "path" && f.In != "query" && f.In != "header":
			v.errorf(p, "in", fp+".in", "in %q: use path, query or header", f.In)
		case f.Type == TypeObject || f.Repeated && f.In == "path":
			v.errorf(p, "in", fp+".in", "a %s parameter must be a single scalar value", f.In)
		}
		if input && s.Protocol == REST && f.In == "" && (s.Method == "GET" || s.Method == "DELETE") {
			v.errorf(p, "in", fp+".in", "a %s request has no body; set in: query, path or header", s.Method)
		}
		v.fields(s, f.Fields, p, "fields", fp, false)
	}
}

func (v *validator) classifierRef(code string, p Pos, path string) {
	if code == "" {
		return
	}
	if v.used == nil {
		v.used = map[string]bool{}
	}
	v.used[code] = true
	if v.c.Classifier(code) == nil {
		v.errorf(p, "classifier", path+".classifier", "unknown classifier %q; declare it under classifiers or fix the code", code)
	}
}

func (v *validator) sla(s *Service, path string) {
	sl := s.SLA
	p := sl.Pos
	if p.File == "" {
		v.errorf(s.Pos, "sla", path+".sla", "the SLA is missing; add sla: availability (percent), responseTime (e.g. 2s)")
		return
	}
	switch {
	case sl.Availability <= 0 || sl.Availability > 100:
		v.errorf(p, "availability", path+".sla.availability", "availability %v must be a percentage in (0, 100], e.g. 99.5", sl.Availability)
	case sl.Availability < MinAvailability:
		v.errorf(p, "availability", path+".sla.availability", "availability %v%% is below the %v%% Tunduk expects of a production service", sl.Availability, MinAvailability)
	}
	rt := sl.ResponseTime.Duration
	switch {
	case rt <= 0:
		v.errorf(p, "responseTime", path+".sla.responseTime", "responseTime must be positive, e.g. 2s")
	case s.Backend.Timeout.Duration > 0 && rt >= s.Backend.Timeout.Duration:
		v.errorf(p, "responseTime", path+".sla.responseTime", "responseTime %v is not below the backend timeout %v; the SS would time out before the promised answer", rt, s.Backend.Timeout.Duration)
	case rt > time.Minute:
		v.errorf(p, "responseTime", path+".sla.responseTime", "responseTime %v is longer than a minute; X-Road clients time out long before", rt)
	}
	if sl.MaxRequestsPerSecond < 0 {
		v.errorf(p, "maxRequestsPerSecond", path+".sla.maxRequestsPerSecond", "must not be negative")
	}
}

func (v *validator) consumers(s *Service, path string) {
	if len(s.AllowedConsumers) == 0 {
		v.warnf(s.Pos, "allowedConsumers", path+".allowedConsumers", "no allowed consumers; nobody will get access rights on the security server")
	}
	seen := map[string]bool{}
	for i, c := range s.AllowedConsumers {
		line := s.Pos.AtItem("allowedConsumers", i)
		at := func(format string, args ...any) {
			v.itemf(Error, s.Pos.File, line, path+".allowedConsumers", format, args...)
		}
		warn := func(format string, args ...any) {
			v.itemf(Warning, s.Pos.File, line, path+".allowedConsumers", format, args...)
		}
		id, err := soap.ParseClientID(c)
		if err != nil {
			at("%q is not an X-Road client id INSTANCE/CLASS/MEMBER[/SUBSYSTEM]: %v", c, err)
			continue
		}
		if id.SubsystemCode == "" {
			at("%s is a member; the security server grants access rights to subsystems only: name the consumer's subsystem (INSTANCE/CLASS/MEMBER/SUBSYSTEM)", id)
		}
		if seen[id.Typed()] {
			at("%s is listed twice", id)
		}
		seen[id.Typed()] = true
		if _, ok := memberClasses[id.MemberClass]; !ok {
			warn("%s: member class %q is not used in Tunduk (GOV, COM)", id, id.MemberClass)
		}
		if o := v.c.Organisation; o != nil && id.Instance != o.InstanceOrDefault() {
			warn("%s is in another X-Road instance than %s (federation)", id, o.InstanceOrDefault())
		}
	}
}

func (v *validator) backend(s *Service, path string) {
	b := s.Backend
	p := b.Pos
	if p.File == "" {
		v.errorf(s.Pos, "backend", path+".backend", "the backend is missing; add backend: url (the information system's endpoint the SS calls), timeout")
		return
	}
	u, err := url.Parse(b.URL)
	switch {
	case b.URL == "":
		v.errorf(p, "url", path+".backend.url", "url is missing; set the endpoint the security server calls")
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		v.errorf(p, "url", path+".backend.url", "%q: the security server only calls http:// or https:// URLs with a host", b.URL)
	case u.User != nil:
		v.errorf(p, "url", path+".backend.url", "the URL carries credentials; the SS authenticates with TLS client certificates instead")
	case u.Scheme == "http" && s.HasPersonalData():
		v.warnf(p, "url", path+".backend.url", "personal data travels over plain http between the SS and the backend; use https")
	}
	t := b.Timeout.Duration
	switch {
	case t <= 0:
		v.errorf(p, "timeout", path+".backend.timeout", "timeout is missing; set how long the SS waits for the backend, e.g. 30s")
	case t%time.Second != 0:
		v.errorf(p, "timeout", path+".backend.timeout", "timeout %v: the security server takes whole seconds", t)
	case t > MaxBackendTimeout:
		v.errorf(p, "timeout", path+".backend.timeout", "timeout %v is longer than %v", t, MaxBackendTimeout)
	}
}

// itemPath names item i of a section: by name when its code is set
// (informationSystems[supplier-registry]), else by index.
func itemPath(section string, i int, code, name string) string {
	if code != "" {
		return fmt.Sprintf("%s[%s]", section, name)
	}
	return fmt.Sprintf("%s[%d]", section, i)
}

// uniqueCode checks the code of an item of kind (subsystem, classifier) as
// an identifier part and that no earlier item in seen declared it.
func (v *validator) uniqueCode(seen map[string]Pos, code string, p Pos, path, kind string) {
	if !v.idPart(code, p, "code", path, "the "+kind+" code") {
		return
	}
	if prev, dup := seen[code]; dup {
		v.errorf(p, "code", path+".code", "%s %q is already declared at %s", kind, code, prev)
	}
	seen[code] = p
}

func (v *validator) classifiers() {
	seen := map[string]Pos{}
	for i, cl := range v.c.Classifiers {
		path := itemPath("classifiers", i, cl.Code, cl.Code)
		p := cl.Pos
		v.uniqueCode(seen, cl.Code, p, path, "classifier")
		v.text(cl.Name, p, "name", path, "the classifier's name")
		if strings.TrimSpace(cl.Owner) == "" {
			v.errorf(p, "owner", path+".owner", "owner is missing; name who maintains the classifier (member id or organisation)")
		} else if strings.Count(cl.Owner, "/") >= 2 {
			if _, err := soap.ParseClientID(cl.Owner); err != nil {
				v.errorf(p, "owner", path+".owner", "owner %q looks like an X-Road member id but is not valid: %v", cl.Owner, err)
			}
		}
		if len(cl.Values) == 0 && strings.TrimSpace(cl.Source) == "" {
			v.errorf(p, "values", path, "neither values nor source; list the values or say where they are published")
		}
		codes := map[string]Pos{}
		for j, val := range cl.Values {
			vp := fmt.Sprintf("%s.values[%d]", path, j)
			if val.Code == "" {
				v.errorf(val.Pos, "code", vp+".code", "the value's code is missing")
			} else if prev, dup := codes[val.Code]; dup {
				v.errorf(val.Pos, "code", vp+".code", "value %q is already declared at %s", val.Code, prev)
			} else {
				codes[val.Code] = val.Pos
			}
			v.text(val.Name, val.Pos, "name", vp, "the value's name")
		}
	}
	for _, cl := range v.c.Classifiers {
		if cl.Code != "" && !v.used[cl.Code] {
			v.warnf(cl.Pos, "code", "classifiers["+cl.Code+"]", "classifier %q is not used by any field or data element", cl.Code)
		}
	}
}

// list is the known values of an enumeration, for messages.
func list[T ~string](known []T) string {
	s := make([]string, len(known))
	for i, k := range known {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
