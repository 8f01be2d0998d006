package mapping

import (
	"bytes"
	"testing"
	"text/template"
)

// A compiled request template renders exactly what text/template renders,
// for every shipped SOAP mapping and inputs that need escaping; templates
// beyond {{.Field}}/{{.Vars.name}} are not compiled.
func TestCompiledBodyMatchesTemplate(t *testing.T) {
	ms, err := LoadDir("../../../configs/mappings")
	if err != nil {
		t.Fatal(err)
	}
	inputs := []Input{
		{INN: "02207200800561", PIN: "21504197800123", RepresentativePIN: "", UserID: "KG21504197800123", OfficerPIN: "21504197800123", Issue: "tender/1"},
		{INN: `<x>&"'`, PIN: "é\x01\t\r\n", RepresentativePIN: "a]]>b", UserID: "\xff\xfe", OfficerPIN: "π", Issue: "<![CDATA[x]]>"},
	}
	soapMappings := 0
	for _, m := range ms {
		if !m.IsSOAP() {
			continue
		}
		soapMappings++
		if m.compiled == nil {
			t.Errorf("%s: shipped request template was not compiled", m.File)
			continue
		}
		for _, in := range inputs {
			got, err := m.Body(in)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := m.request.Execute(&want, escaped(in, m.vars, xmlEscape)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s: compiled body\n%s\nwant\n%s", m.File, got, want.Bytes())
			}
		}
	}
	if soapMappings == 0 {
		t.Fatal("no SOAP mappings shipped")
	}
	for _, text := range []string{`{{if .INN}}x{{end}}`, `{{.INN | printf "%s"}}`, `{{$x := .INN}}{{$x}}`, `{{.Vars.nope}}`, `{{.Other}}`, `{{"lit"}}`} {
		tm := template.Must(template.New("t").Parse(text))
		if c := compileSimple(tm, map[string]string{"a": "b"}); c != nil {
			t.Errorf("%s was compiled: %v", text, c)
		}
	}
}

func BenchmarkBody(b *testing.B) {
	ms, err := LoadDir("../../../configs/mappings")
	if err != nil {
		b.Fatal(err)
	}
	var m *Mapping
	for _, x := range ms {
		if x.IsSOAP() && x.compiled != nil {
			m = x
			break
		}
	}
	in := Input{INN: "02207200800561", PIN: "21504197800123", UserID: "KG21504197800123", OfficerPIN: "21504197800123"}
	b.Run("compiled", func(b *testing.B) {
		for b.Loop() {
			m.Body(in)
		}
	})
	b.Run("text-template-baseline", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			m.request.Execute(&buf, escaped(in, m.vars, xmlEscape))
		}
	})
}
