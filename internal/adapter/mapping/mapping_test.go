package mapping

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const wcfTax = `# tax arrears, WCF style
check: tax-debt
style: wcf
service: central-server/GOV/70000002/gns-service/GetTaxArrears/v1
public: false
discover: tunduk meta list-methods central-server/GOV/70000002/gns-service
namespace: http://tempuri.org/
timeout: 5s
vars:
  org: "70000099"
request: |
  <INN>{{.INN}}</INN>
  <RequestOrg>{{.Vars.org}}</RequestOrg>
  <RequestPerson>{{.OfficerPIN}}</RequestPerson>
status:
  - path: CauseOfError
    codes: {OK: ok, NOT_FOUND: not-found, BAD_REQUEST: rejected, INTERNAL_ERROR: provider-error}
fields:
  hasDebt: {path: Arrears/HasDebt}
  amount: {path: Arrears/Amount}
  name: {path: Name}
  currency: {value: KGS}
  asOf: {path: AsOf, format: DD.MM.YYYY}
`

func TestParseWCFAndRead(t *testing.T) {
	m, err := Parse("tax.yaml", []byte(wcfTax))
	if err != nil {
		t.Fatal(err)
	}
	if m.Public || m.Service.ServiceCode != "GetTaxArrears" || m.Timeout.Seconds() != 5 || !m.IsSOAP() {
		t.Fatalf("mapping = %+v", m)
	}
	body, err := m.Body(Input{INN: "01503201010234", OfficerPIN: "2<&>"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "<INN>01503201010234</INN>") || !strings.Contains(string(body), "<RequestPerson>2&lt;&amp;&gt;</RequestPerson>") ||
		!strings.Contains(string(body), "<RequestOrg>70000099</RequestOrg>") {
		t.Errorf("body = %s", body)
	}

	tests := []struct {
		name, xml string
		want      Outcome
		code      string
		fields    map[string]any
		malformed string
	}{
		{"debt", `<t:GetTaxArrearsResponse xmlns:t="http://tempuri.org/"><t:CauseOfError>OK</t:CauseOfError><t:Name>ОсОО</t:Name><t:Arrears><t:HasDebt>true</t:HasDebt><t:Amount>184 250,75</t:Amount></t:Arrears><t:AsOf>31.03.2026</t:AsOf></t:GetTaxArrearsResponse>`,
			OK, "OK", map[string]any{"hasDebt": true, "amount": json.Number("184250.75"), "name": "ОсОО", "currency": "KGS", "asOf": "2026-03-31"}, ""},
		{"no debt, optional absent", `<GetTaxArrearsResponse><CauseOfError> OK </CauseOfError><Arrears><HasDebt>false</HasDebt><Amount>0</Amount></Arrears><AsOf>01.01.2026</AsOf></GetTaxArrearsResponse>`,
			OK, "OK", map[string]any{"hasDebt": false, "amount": json.Number("0"), "currency": "KGS", "asOf": "2026-01-01"}, ""},
		{"no debt but an amount", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>false</HasDebt><Amount>10.00</Amount></Arrears><AsOf>01.01.2026</AsOf></GetTaxArrearsResponse>`,
			"", "", nil, "hasDebt is false but amount is not zero"},
		{"bad date", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>false</HasDebt><Amount>0</Amount></Arrears><AsOf>2026-01-01</AsOf></GetTaxArrearsResponse>`,
			"", "", nil, "element AsOf: not a date"},
		{"exponent is no decimal", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>true</HasDebt><Amount>1e5</Amount></Arrears><AsOf>01.01.2026</AsOf></GetTaxArrearsResponse>`,
			"", "", nil, "not a decimal"},
		{"NaN is no decimal", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>true</HasDebt><Amount>NaN</Amount></Arrears><AsOf>01.01.2026</AsOf></GetTaxArrearsResponse>`,
			"", "", nil, "not a decimal"},
		{"repeated single value", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>true</HasDebt><Amount>1</Amount><Amount>2</Amount></Arrears><AsOf>01.01.2026</AsOf></GetTaxArrearsResponse>`,
			"", "", nil, "Arrears/Amount is repeated"},
		{"not found", `<GetTaxArrearsResponse><CauseOfError>NOT_FOUND</CauseOfError></GetTaxArrearsResponse>`, NotFound, "NOT_FOUND", nil, ""},
		{"rejected", `<GetTaxArrearsResponse><CauseOfError>BAD_REQUEST</CauseOfError></GetTaxArrearsResponse>`, Rejected, "BAD_REQUEST", nil, ""},
		{"unknown code", `<GetTaxArrearsResponse><CauseOfError>WHAT</CauseOfError></GetTaxArrearsResponse>`, ProviderError, "WHAT", nil, ""},
		{"wrong wrapper", `<GetTaxArrears><CauseOfError>OK</CauseOfError></GetTaxArrears>`, "", "", nil, "want <GetTaxArrearsResponse>"},
		{"no status", `<GetTaxArrearsResponse/>`, "", "", nil, "CauseOfError is missing"},
		{"required missing", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError></GetTaxArrearsResponse>`, "", "", nil, "Arrears/HasDebt is missing"},
		{"bad bool", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>maybe</HasDebt></Arrears></GetTaxArrearsResponse>`, "", "", nil, "not a boolean"},
		{"bad number", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>1</HasDebt><Amount>lots</Amount></Arrears></GetTaxArrearsResponse>`, "", "", nil, "not a decimal"},
		{"not xml", `<GetTaxArrearsResponse><oops></GetTaxArrearsResponse>`, "", "", nil, "not well-formed"},
		{"dtd", `<!DOCTYPE x [<!ENTITY a "b">]><GetTaxArrearsResponse/>`, "", "", nil, "not well-formed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := m.ReadSOAP([]byte(tt.xml))
			if tt.malformed != "" {
				var me *MalformedError
				if !errors.As(err, &me) || !strings.Contains(me.Reason, tt.malformed) {
					t.Fatalf("ReadSOAP = %v, %v; want MalformedError %q", a, err, tt.malformed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Outcome != tt.want || a.Code != tt.code {
				t.Errorf("answer = %s/%s, want %s/%s", a.Outcome, a.Code, tt.want, tt.code)
			}
			if tt.fields != nil && !reflect.DeepEqual(a.Fields, tt.fields) {
				t.Errorf("fields = %#v, want %#v", a.Fields, tt.fields)
			}
		})
	}
}

const legacyFounders = `check: founders
style: legacy
service: central-server/GOV/70000024/minjust-service/getFounders/v1
namespace: http://minjust.gov.kg/
request: <request><inn>{{.INN}}</inn></request>
status:
  - path: response/status
    codes: {"200": ok, "404": not-found, "400": rejected}
fields:
  name: {path: response/name}
  registrationDate: {path: response/registered, format: DD.MM.YYYY}
  companyStatus:
    path: response/state
    values: {Действующее: active, Ликвидировано: liquidated}
    otherwise: unknown
  companyStatusRaw: {path: response/state}
  founders:
    path: response/founders/founder
    fields:
      type: {path: kind, values: {"1": person, "2": organisation}}
      name: {path: fullName}
      id: {path: id}
      share: {path: share}
`

func TestLegacyListFields(t *testing.T) {
	m, err := Parse("f.yaml", []byte(legacyFounders))
	if err != nil {
		t.Fatal(err)
	}
	const head = `<getFoundersResponse><request><inn>1</inn></request><response><status>200</status><name>X</name><registered>11.12.2005</registered>`
	a, err := m.ReadSOAP([]byte(head + `<state> ликвидировано </state>
	<founders><founder><kind>1</kind><fullName>A B</fullName><id>21504197800123</id><share>60</share></founder><founder><kind>2</kind><fullName>C</fullName><id>01503201010234</id><share>40,5</share></founder></founders></response></getFoundersResponse>`))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"type": "person", "name": "A B", "id": "21504197800123", "share": json.Number("60")}, {"type": "organisation", "name": "C", "id": "01503201010234", "share": json.Number("40.5")}}
	if !reflect.DeepEqual(a.Fields["founders"], want) {
		t.Errorf("founders = %#v", a.Fields["founders"])
	}
	if a.Fields["companyStatus"] != "liquidated" || a.Fields["companyStatusRaw"] != "ликвидировано" || a.Fields["registrationDate"] != "2005-12-11" {
		t.Errorf("status, raw, date = %v %v %v", a.Fields["companyStatus"], a.Fields["companyStatusRaw"], a.Fields["registrationDate"])
	}
	a, err = m.ReadSOAP([]byte(head + `<state>Деятельность приостановлена</state><founders/></response></getFoundersResponse>`))
	if err != nil || len(a.Fields["founders"].([]map[string]any)) != 0 || a.Fields["companyStatus"] != "unknown" || a.Fields["companyStatusRaw"] != "Деятельность приостановлена" {
		t.Errorf("empty founders, unknown status: %v %v", a, err)
	}
	_, err = m.ReadSOAP([]byte(head + `<state>Действующее</state><founders><founder><kind>1</kind><id>1</id></founder></founders></response></getFoundersResponse>`))
	if err == nil || !strings.Contains(err.Error(), "fullName is missing") {
		t.Errorf("founder without name: %v", err)
	}
	_, err = m.ReadSOAP([]byte(head + `<state>Действующее</state><founders><founder><kind>3</kind><fullName>A</fullName><id>1</id></founder></founders></response></getFoundersResponse>`))
	if err == nil || !strings.Contains(err.Error(), "kind: a value the mapping does not list") || strings.Contains(err.Error(), ">3<") {
		t.Errorf("unknown founder kind without otherwise: %v", err)
	}
}

const restFounders = `check: founders
style: rest
service: central-server/GOV/70000024/minjust-inn-services/founders
path: /{{.INN}}
errorCode: code
status:
  - path: status
    codes: {ACTIVE: ok, LIQUIDATING: ok, NOT_REGISTERED: not-found}
    missing: ok
fields:
  registrationDate: {path: registered}
  companyStatus: {path: status, values: {ACTIVE: active, LIQUIDATING: liquidating}, otherwise: unknown}
  companyStatusRaw: {path: status}
  founders:
    path: founders
    fields:
      type: {value: person}
      name: {path: name}
      id: {path: pin|inn}
      share: {path: share}
`

func TestREST(t *testing.T) {
	m, err := Parse("r.yaml", []byte(restFounders))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := m.PathSuffix(Input{INN: "0150/../x"}); err == nil {
		t.Errorf("PathSuffix(traversal) = %q", p)
	}
	if p, err := m.PathSuffix(Input{INN: "01503201010234"}); err != nil || p != "/01503201010234" {
		t.Errorf("PathSuffix = %q, %v", p, err)
	}
	a, err := m.ReadREST(200, []byte(`{"status":"ACTIVE","registered":"2010-03-15","founders":[{"name":"A","pin":"21504197800123","share":60},{"name":"B","inn":"01503201010234","share":40.5}]}`))
	if err != nil || a.Outcome != OK || a.Code != "ACTIVE" || len(a.Fields["founders"].([]map[string]any)) != 2 {
		t.Fatalf("ReadREST = %+v, %v", a, err)
	}
	if a.Fields["founders"].([]map[string]any)[1]["share"] != json.Number("40.5") {
		t.Errorf("share = %#v", a.Fields["founders"])
	}
	if _, err := m.ReadREST(200, []byte(`{"status":"ACTIVE","registered":"2010-03-15","founders":[{"name":"A","share":60}]}`)); err == nil || !strings.Contains(err.Error(), "pin is missing") {
		t.Errorf("founder without pin or inn: %v", err)
	}
	a, _ = m.ReadREST(200, []byte(`{"status":"LIQUIDATING","registered":"2010-03-15","founders":[{"name":"A","pin":"21504197800123"},{"name":"B","inn":"01503201010234"}]}`))
	if f := a.Fields["founders"].([]map[string]any); f[0]["id"] != "21504197800123" || f[1]["id"] != "01503201010234" {
		t.Errorf("alternatives: %#v", f)
	}
	a, _ = m.ReadREST(500, []byte(`{"code":"INTERNAL_ERROR","message":"x"}`))
	if a.Outcome != ProviderError || a.Code != "INTERNAL_ERROR" {
		t.Errorf("errorCode: %+v", a)
	}
	a, err = m.ReadREST(200, []byte(`{"status":"ACTIVE","registered":"2010-03-15","founders":[]}`))
	if err != nil || a.Outcome != OK || a.Code != "ACTIVE" || len(a.Fields["founders"].([]map[string]any)) != 0 {
		t.Errorf("empty list = %+v, %v", a, err)
	}
	for status, want := range map[int]Outcome{204: NotFound, 404: NotFound, 400: Rejected, 500: ProviderError} {
		a, err := m.ReadREST(status, nil)
		if err != nil || a.Outcome != want {
			t.Errorf("ReadREST(%d) = %+v, %v; want %s", status, a, err, want)
		}
	}
	if _, err := m.ReadREST(200, []byte(`[1]`)); err == nil {
		t.Error("array body accepted")
	}
	if _, err := m.Body(Input{}); err == nil {
		t.Error("Body on a REST mapping succeeded")
	}
}

func TestParseReportsLines(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "check: tax-debt\nstyle: wcf\ncolour: red\n", []string{`x.yaml:3: colour: unknown key; remove it, or use one of: check,`}},
		{"unknown check", "check: tax\nstyle: wcf\n", []string{`x.yaml:1: check: unknown check "tax"`}},
		{"bad style and service", "check: tax-debt\nstyle: xml\nservice: central-server/GOV\n", []string{`x.yaml:2: style: unknown style "xml"`, "x.yaml:3: service: not a service id"}},
		{"secret service", strings.Replace(wcfTax, "discover: tunduk meta list-methods central-server/GOV/70000002/gns-service\n", "", 1), []string{"x.yaml:5: public: a non-public service code needs 'discover:'"}},
		{"broken template", strings.Replace(wcfTax, "<INN>{{.INN}}</INN>", "<INN>{{.Inn}}</INN>", 1), []string{"x.yaml:11: request: template:", "can't evaluate field Inn"}},
		{"not xml", strings.Replace(wcfTax, "<INN>{{.INN}}</INN>", "<INN>{{.INN}}</IN>", 1), []string{"x.yaml:11: request: the request body is not well-formed XML"}},
		{"bad outcome", strings.Replace(wcfTax, "NOT_FOUND: not-found", "NOT_FOUND: missing", 1), []string{`x.yaml:17: status[0].codes.NOT_FOUND: unknown outcome "missing"`}},
		{"required field", strings.Replace(wcfTax, "  hasDebt: {path: Arrears/HasDebt}\n", "", 1), []string{`x.yaml:18: fields: required result field "hasDebt" is not mapped`}},
		{"unknown field", strings.Replace(wcfTax, "  name: {path: Name}", "  nom: {path: Name}", 1), []string{`x.yaml:21: fields.nom: unknown result field "nom"`}},
		{"bad path", strings.Replace(wcfTax, "Arrears/Amount", "Arrears//Amount", 1), []string{`x.yaml:20: fields.amount.path: path "Arrears//Amount"`}},
		{"legacy without request wrapper", strings.Replace(legacyFounders, "<request><inn>{{.INN}}</inn></request>", "<inn>{{.INN}}</inn>", 1), []string{"x.yaml:5: request: legacy style wraps the input in <request>"}},
		{"legacy path outside response", strings.Replace(legacyFounders, "response/name", "name", 1), []string{"x.yaml:10: fields.name.path: legacy answers carry their data under response/"}},
		{"rest with body", restFounders + "request: <a/>\n", []string{"rest mappings take no request body"}},
		{"empty", "", []string{"empty mapping"}},
		{"bad date format", strings.Replace(wcfTax, "format: DD.MM.YYYY", "format: DD.MM.YY", 1), []string{`x.yaml:23: fields.asOf.format: format "DD.MM.YY": unknown element at "YY"`}},
		{"date format without day", strings.Replace(wcfTax, "format: DD.MM.YYYY", "format: MM.YYYY", 1), []string{"x.yaml:23: ", "DD is missing"}},
		{"format on a non-date", strings.Replace(wcfTax, "amount: {path: Arrears/Amount}", "amount: {path: Arrears/Amount, format: YYYY}", 1), []string{"x.yaml:20: fields.amount.format: format: applies to date fields only"}},
		{"constant of the wrong type", strings.Replace(wcfTax, "hasDebt: {path: Arrears/HasDebt}", "hasDebt: {value: maybe}", 1), []string{`x.yaml:19: fields.hasDebt.value: value "maybe" does not fit bool field hasDebt`}},
		{"path and value", strings.Replace(wcfTax, "currency: {value: KGS}", "currency: {value: KGS, path: Cur}", 1), []string{"x.yaml:22: fields.currency: give either path: or value:, not both"}},
		{"enum value not in the API", strings.Replace(legacyFounders, "Ликвидировано: liquidated", "Ликвидировано: closed", 1), []string{`x.yaml:14: fields.companyStatus.values.Ликвидировано: "closed" is not a value of companyStatus; use one of active, liquidating`}},
		{"enum otherwise not in the API", strings.Replace(legacyFounders, "otherwise: unknown", "otherwise: other", 1), []string{`x.yaml:15: fields.companyStatus.otherwise: "other" is not a value of companyStatus`}},
		{"enum without values", strings.Replace(legacyFounders, "      type: {path: kind, values: {\"1\": person, \"2\": organisation}}", "      type: {path: kind}", 1), []string{"x.yaml:20: fields.founders.fields.type: enum type needs values:"}},
		{"values on a non-enum", strings.Replace(legacyFounders, "name: {path: response/name}", "name: {path: response/name, values: {a: b}}", 1), []string{"x.yaml:10: fields.name.values: values: and otherwise: apply to enum fields only"}},
		{"derived field mapped", "check: criminal-record\nstyle: rest\nservice: central-server/GOV/70000029/mvd/cr\npath: /{{.PIN}}\nfields:\n  hasActiveRecord: {path: active}\n", []string{"x.yaml:6: fields.hasActiveRecord: hasActiveRecord is derived by the check"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("Parse = %v, want *Error", err)
			}
			for _, w := range tt.want {
				if !problemLine(me, w) {
					t.Errorf("error:\n%v\nwant a problem like %q", err, w)
				}
			}
		})
	}
}

// problemLine reports whether one of e's problems reads want, allowing the
// YAML path the loader puts between "FILE:LINE: " and the message.
func problemLine(e *Error, want string) bool {
	for _, p := range e.Problems {
		got := p.String()
		if strings.Contains(got, want) {
			return true
		}
		if loc, msg, ok := strings.Cut(want, ": "); ok && strings.HasPrefix(want, "x.yaml:") &&
			strings.HasPrefix(got, loc+": ") && strings.Contains(got, msg) {
			return true
		}
	}
	return false
}

func TestLoadDirRejectsDuplicates(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(wcfTax), 0o600)
	os.WriteFile(filepath.Join(dir, "b.yml"), []byte(wcfTax), 0o600)
	os.WriteFile(filepath.Join(dir, "README"), []byte("ignored"), 0o600)
	_, err := LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), `check "tax-debt" is already mapped`) {
		t.Fatalf("LoadDir = %v", err)
	}
	os.Remove(filepath.Join(dir, "b.yml"))
	ms, err := LoadDir(dir)
	if err != nil || len(ms) != 1 || ms[0].File != filepath.Join(dir, "a.yaml") {
		t.Fatalf("LoadDir = %v, %v", ms, err)
	}
}
