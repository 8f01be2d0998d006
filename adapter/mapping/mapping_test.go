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
		{"debt", `<t:GetTaxArrearsResponse xmlns:t="http://tempuri.org/"><t:CauseOfError>OK</t:CauseOfError><t:Name>ОсОО</t:Name><t:Arrears><t:HasDebt>true</t:HasDebt><t:Amount>184 250,75</t:Amount></t:Arrears></t:GetTaxArrearsResponse>`,
			OK, "OK", map[string]any{"hasDebt": true, "amount": json.Number("184250.75"), "name": "ОсОО"}, ""},
		{"no debt, optional absent", `<GetTaxArrearsResponse><CauseOfError> OK </CauseOfError><Arrears><HasDebt>false</HasDebt></Arrears></GetTaxArrearsResponse>`,
			OK, "OK", map[string]any{"hasDebt": false}, ""},
		{"not found", `<GetTaxArrearsResponse><CauseOfError>NOT_FOUND</CauseOfError></GetTaxArrearsResponse>`, NotFound, "NOT_FOUND", nil, ""},
		{"rejected", `<GetTaxArrearsResponse><CauseOfError>BAD_REQUEST</CauseOfError></GetTaxArrearsResponse>`, Rejected, "BAD_REQUEST", nil, ""},
		{"unknown code", `<GetTaxArrearsResponse><CauseOfError>WHAT</CauseOfError></GetTaxArrearsResponse>`, ProviderError, "WHAT", nil, ""},
		{"wrong wrapper", `<GetTaxArrears><CauseOfError>OK</CauseOfError></GetTaxArrears>`, "", "", nil, "want <GetTaxArrearsResponse>"},
		{"no status", `<GetTaxArrearsResponse/>`, "", "", nil, "CauseOfError is missing"},
		{"required missing", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError></GetTaxArrearsResponse>`, "", "", nil, "Arrears/HasDebt is missing"},
		{"bad bool", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>maybe</HasDebt></Arrears></GetTaxArrearsResponse>`, "", "", nil, "not a boolean"},
		{"bad number", `<GetTaxArrearsResponse><CauseOfError>OK</CauseOfError><Arrears><HasDebt>1</HasDebt><Amount>lots</Amount></Arrears></GetTaxArrearsResponse>`, "", "", nil, "not a number"},
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
  founders:
    path: response/founders/founder
    fields:
      name: {path: fullName}
      id: {path: id}
      share: {path: share}
`

func TestLegacyListFields(t *testing.T) {
	m, err := Parse("f.yaml", []byte(legacyFounders))
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.ReadSOAP([]byte(`<getFoundersResponse><request><inn>1</inn></request><response><status>200</status><name>X</name>
	<founders><founder><fullName>A B</fullName><id>21504197800123</id><share>60</share></founder><founder><fullName>C</fullName><share>40</share></founder></founders></response></getFoundersResponse>`))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"name": "A B", "id": "21504197800123", "share": json.Number("60")}, {"name": "C", "share": json.Number("40")}}
	if !reflect.DeepEqual(a.Fields["founders"], want) {
		t.Errorf("founders = %#v", a.Fields["founders"])
	}
	a, err = m.ReadSOAP([]byte(`<getFoundersResponse><response><status>200</status><founders/></response></getFoundersResponse>`))
	if err != nil || len(a.Fields["founders"].([]map[string]any)) != 0 {
		t.Errorf("empty founders: %v %v", a, err)
	}
	_, err = m.ReadSOAP([]byte(`<getFoundersResponse><response><status>200</status><founders><founder><id>1</id></founder></founders></response></getFoundersResponse>`))
	if err == nil || !strings.Contains(err.Error(), "fullName is missing") {
		t.Errorf("founder without name: %v", err)
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
  founders:
    path: founders
    fields:
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
	a, err := m.ReadREST(200, []byte(`{"status":"ACTIVE","founders":[{"name":"A","share":60},{"name":"B","share":40.5}]}`))
	if err != nil || a.Outcome != OK || a.Code != "ACTIVE" || len(a.Fields["founders"].([]map[string]any)) != 2 {
		t.Fatalf("ReadREST = %+v, %v", a, err)
	}
	if a.Fields["founders"].([]map[string]any)[1]["share"] != json.Number("40.5") {
		t.Errorf("share = %#v", a.Fields["founders"])
	}
	if f := a.Fields["founders"].([]map[string]any); f[0]["id"] != nil {
		t.Errorf("id without pin or inn = %#v", f[0])
	}
	a, _ = m.ReadREST(200, []byte(`{"founders":[{"name":"A","pin":"21504197800123"},{"name":"B","inn":"01503201010234"}]}`))
	if f := a.Fields["founders"].([]map[string]any); f[0]["id"] != "21504197800123" || f[1]["id"] != "01503201010234" {
		t.Errorf("alternatives: %#v", f)
	}
	a, _ = m.ReadREST(500, []byte(`{"code":"INTERNAL_ERROR","message":"x"}`))
	if a.Outcome != ProviderError || a.Code != "INTERNAL_ERROR" {
		t.Errorf("errorCode: %+v", a)
	}
	a, err = m.ReadREST(200, []byte(`{"founders":[]}`))
	if err != nil || a.Outcome != OK || a.Code != "200" || len(a.Fields["founders"].([]map[string]any)) != 0 {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("Parse = %v, want *Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
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
