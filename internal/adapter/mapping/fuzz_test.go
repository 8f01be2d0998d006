package mapping

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/checks"
)

// decimal never yields something that is not a plain JSON number, and
// keeps every digit it was given.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"184 250,75", "0.00", "-3", "007", "1e5", "NaN", ".5", "5.", "1\u00a0000", "--1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := decimal(s)
		if !ok {
			return
		}
		if !json.Valid([]byte(out)) || strings.ContainsAny(out, "eE+") {
			t.Fatalf("decimal(%q) = %q: not a plain JSON number", s, out)
		}
		digits := func(x string) string {
			return strings.TrimLeft(strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, x), "0")
		}
		if digits(out) != digits(s) {
			t.Fatalf("decimal(%q) = %q: digits changed", s, out)
		}
	})
}

// Whatever a producer answers, reading it with the shipped mappings either
// fails with a MalformedError or gives fields of the promised types.
func FuzzReadShipped(f *testing.F) {
	ms, err := LoadDir("../../../configs/mappings")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(0, []byte(`<GetCriminalRecordByPINResponse><ServiceErrors>OK</ServiceErrors><response><status>200</status><HasCriminalRecord>true</HasCriminalRecord><Records><Record><Article>a</Article><ConvictionDate>2012-06-14T00:00:00</ConvictionDate><Status>погашена</Status></Record></Records></response></GetCriminalRecordByPINResponse>`))
	f.Add(1, []byte(`{"status":"Банкрот","registrationDate":"2010-01-01","founders":[{"type":"PERSON","pin":"1","name":"A","sharePercent":"1,5"}]}`))
	f.Add(2, []byte(`<GetInsuranceArrearsByINNResponse><CauseOfError>OK</CauseOfError><IsFound>true</IsFound><HasArrears>true</HasArrears><ArrearsSum>1.00</ArrearsSum><PeriodEnd>2026-03-31T00:00:00</PeriodEnd><Periods><Period><Sum>1</Sum></Period></Periods></GetInsuranceArrearsByINNResponse>`))
	f.Add(3, []byte(`<getTaxArrearsByINNResponse><response><HasArrears>false</HasArrears><ArrearsAmount>0</ArrearsAmount><Currency>KGS</Currency><AsOfDate>31.03.2026</AsOfDate></response></getTaxArrearsByINNResponse>`))
	f.Fuzz(func(t *testing.T, which int, body []byte) {
		if which < 0 {
			which = -which
		}
		m := ms[which%len(ms)]
		var a *Answer
		var err error
		if m.IsSOAP() {
			a, err = m.ReadSOAP(body)
		} else {
			a, err = m.ReadREST(200, body)
		}
		if err != nil {
			if _, ok := err.(*MalformedError); !ok {
				t.Fatalf("%s: error %T %v, want *MalformedError", m.Check.Name, err, err)
			}
			return
		}
		if a.Outcome == OK {
			checkTypes(t, m.Check.Name, a.Fields, m.Check.Fields)
		}
	})
}

func checkTypes(t *testing.T, at string, got map[string]any, fields []checks.Field) {
	for _, f := range fields {
		v, ok := got[f.Name]
		if !ok {
			if f.Required || f.Derived {
				t.Fatalf("%s.%s: required field missing from an ok answer", at, f.Name)
			}
			continue
		}
		bad := false
		switch f.Type {
		case checks.Bool:
			_, ok = v.(bool)
			bad = !ok
		case checks.Decimal, checks.Number:
			n, ok := v.(json.Number)
			bad = !ok || !json.Valid([]byte(n))
		case checks.Date:
			s, _ := v.(string)
			_, err := time.Parse(time.DateOnly, s)
			bad = err != nil
		case checks.Enum:
			s, _ := v.(string)
			bad = !contains(f.Values, s)
		case checks.String:
			_, ok = v.(string)
			bad = !ok
		case checks.List:
			items, ok := v.([]map[string]any)
			bad = !ok
			for _, it := range items {
				checkTypes(t, at+"."+f.Name, it, f.Fields)
			}
		case checks.Object:
			o, ok := v.(map[string]any)
			bad = !ok
			if ok {
				checkTypes(t, at+"."+f.Name, o, f.Fields)
			}
		}
		if bad {
			t.Fatalf("%s.%s = %#v: not a %s", at, f.Name, v, f.Type)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Reading a criminal-record answer (two convictions) with the shipped
// declarative mapping, beside a hand-written encoding/xml decode of the
// same facts into structs (no dates parsed, no enums mapped): the cost of
// the mapping language on the request path, as a ratio.
func BenchmarkReadCriminalRecord(b *testing.B) {
	m, err := LoadFile("../../../configs/mappings/criminal-record.yaml")
	if err != nil {
		b.Fatal(err)
	}
	answer := []byte(`<GetCriminalRecordByPINResponse xmlns="http://tempuri.org/"><ServiceErrors>OK</ServiceErrors><response><status>200</status>` +
		`<HasCriminalRecord>true</HasCriminalRecord><FullName>Токтогулов Нурлан Асылбекович</FullName><BirthDate>1970-01-22T00:00:00</BirthDate><Records>` +
		`<Record><Article>УК КР ст. 209 (Мошенничество)</Article><ConvictionDate>2012-06-14T00:00:00</ConvictionDate><Court>Первомайский районный суд г. Бишкек</Court><Sentence>лишение свободы 3 года условно</Sentence><Status>погашена</Status></Record>` +
		`<Record><Article>УК КР ст. 336 (Уклонение от уплаты налогов)</Article><ConvictionDate>2019-11-02T00:00:00</ConvictionDate><Court>Ленинский районный суд г. Бишкек</Court><Sentence>штраф 500 расчетных показателей</Sentence><Status>не погашена</Status></Record>` +
		`</Records></response></GetCriminalRecordByPINResponse>`)
	if a, err := m.ReadSOAP(answer); err != nil || len(a.Fields["records"].([]map[string]any)) != 2 {
		b.Fatalf("ReadSOAP = %v, %v", a, err)
	}
	b.Run("mapping", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.ReadSOAP(answer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-encoding-xml-structs", func(b *testing.B) {
		type record struct{ Article, ConvictionDate, Court, Sentence, Status string }
		type answerXML struct {
			ServiceErrors string
			Response      struct {
				Status            string
				HasCriminalRecord bool
				FullName          string
				BirthDate         string
				Records           []record `xml:"Records>Record"`
			} `xml:"response"`
		}
		b.ReportAllocs()
		for b.Loop() {
			var v answerXML
			if err := xml.Unmarshal(answer, &v); err != nil || len(v.Response.Records) != 2 {
				b.Fatal(err)
			}
		}
	})
}
