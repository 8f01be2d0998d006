package codec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/internal/catalog/codec"
)

func svc(qualified bool) *catalog.Service {
	s := &catalog.Service{Code: "getX", Version: "v1", Protocol: catalog.SOAP, Namespace: "urn:x",
		Input: []*catalog.Field{
			{Name: "inn", Type: catalog.TypeINN, Required: true},
			{Name: "from", Type: catalog.TypeDate},
			{Name: "kind", Type: catalog.TypeString, Enum: []string{"full", "short"}},
			{Name: "amount", Type: catalog.TypeDecimal},
		},
		Output: []*catalog.Field{
			{Name: "found", Type: catalog.TypeBoolean, Required: true},
			{Name: "debt", Type: catalog.TypeDecimal},
			{Name: "count", Type: catalog.TypeInteger},
			{Name: "lots", Type: catalog.TypeObject, Repeated: true, Fields: []*catalog.Field{{Name: "id", Type: catalog.TypeString, Required: true}}},
		},
		NotFound: &catalog.NotFound{Output: map[string]string{"found": "false"}},
		Errors:   []*catalog.BusinessError{{Code: "WITHHELD"}},
	}
	if !qualified {
		s.ElementFormDefault = catalog.FormUnqualified
	}
	return s
}

func TestDecodeRequestChecksDeclaredTypes(t *testing.T) {
	s := svc(true)
	for _, c := range []struct{ body, field, reason string }{
		{`<w><inn>02207200800561</inn><kind>full</kind><amount>12.50</amount><from>2024-02-29</from></w>`, "", ""},
		{`<w><x:inn xmlns:x="urn:x">02207200800561</x:inn></w>`, "", ""},
		{`<w><inn>0220720080056</inn></w>`, "inn", "14 digits"},
		{`<w><inn>32207200800561</inn></w>`, "inn", "starts with 0"},
		{`<w><inn>02207200800561&amp;x=1</inn></w>`, "inn", "14 digits"},
		{`<w></w>`, "inn", "required"},
		{`<w><inn>02207200800561</inn><inn>02207200800561</inn></w>`, "inn", "twice"},
		{`<w><inn>02207200800561</inn><extra>1</extra></w>`, "extra", "not an input"},
		{`<w><inn>02207200800561</inn><from>2024-02-30</from></w>`, "from", "calendar date"},
		{`<w><inn>02207200800561</inn><from>31.01.2024</from></w>`, "from", "YYYY-MM-DD"},
		{`<w><inn>02207200800561</inn><kind>all</kind></w>`, "kind", "one of full, short"},
		{`<w><inn>02207200800561</inn><amount>1e3</amount></w>`, "amount", "decimal"},
		{`<w><inn><b>02207200800561</b></inn></w>`, "inn", "simple value"},
	} {
		v, err := codec.DecodeRequest(s, []byte(c.body))
		var ie *codec.InputError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.body, err)
		case c.field == "" && v["inn"][0] != "02207200800561":
			t.Errorf("%s: inn = %v", c.body, v["inn"])
		case c.field != "" && (!errors.As(err, &ie) || ie.Field != c.field || !strings.Contains(ie.Reason, c.reason)):
			t.Errorf("%s: err = %v, want %s: …%s…", c.body, err, c.field, c.reason)
		case c.field != "" && strings.Contains(err.Error(), "0220720080056"):
			t.Errorf("%s: the error repeats the identifier: %v", c.body, err)
		}
	}
}

func TestEncodeOutputFollowsTheDescription(t *testing.T) {
	got, err := codec.EncodeOutput(svc(true), []byte(`{"lots":[{"id":"T-1","x":1},{"id":"T-2"}],"zzz":"undeclared","count":3,"debt":1.2505e3,"found":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `<tns:found>true</tns:found><tns:debt>1250.5</tns:debt><tns:count>3</tns:count><tns:lots><tns:id>T-1</tns:id></tns:lots><tns:lots><tns:id>T-2</tns:id></tns:lots>`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got, _ = codec.EncodeOutput(svc(false), []byte(`{"found":false,"debt":0.1}`))
	if string(got) != `<found>false</found><debt>0.1</debt>` {
		t.Errorf("unqualified: %s", got)
	}
	for _, bad := range []string{`{"debt":1}`, `{"found":"maybe"}`, `{"found":true,"count":1.5}`, `{"found":true,"lots":[{}]}`, `[]`, `{"found":true} {}`, `{"found":true,"debt":"1e3"}`} {
		var ae *codec.AnswerError
		if _, err := codec.EncodeOutput(svc(true), []byte(bad)); !errors.As(err, &ae) {
			t.Errorf("%s: err = %v, want an AnswerError", bad, err)
		}
	}
}

func TestBusinessAnswers(t *testing.T) {
	s := svc(true)
	if got := string(codec.EncodeFault(s, "WITHHELD", "by law <58>")); got != `<tns:fault><tns:faultCode>WITHHELD</tns:faultCode><tns:faultString>by law &lt;58&gt;</tns:faultString></tns:fault>` {
		t.Errorf("fault: %s", got)
	}
	if got := string(codec.EncodeFault(s, "UNDECLARED", "x")); !strings.Contains(got, ">BAD_REQUEST<") {
		t.Errorf("an undeclared code must become BAD_REQUEST: %s", got)
	}
	if got, err := codec.EncodeNotFound(s); err != nil || string(got) != `<tns:found>false</tns:found>` {
		t.Errorf("not found: %s %v", got, err)
	}
	s.NotFound = nil
	if got, _ := codec.EncodeNotFound(s); !strings.Contains(string(got), ">NOT_FOUND<") {
		t.Errorf("default not found: %s", got)
	}
}
