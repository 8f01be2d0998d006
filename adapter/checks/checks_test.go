package checks

import (
	"strings"
	"testing"
)

func TestRegistryHoldsTheFourChecks(t *testing.T) {
	got := strings.Join(Names(), ",")
	if got != "criminal-record,founders,social-fund-debt,tax-debt" {
		t.Fatalf("Names() = %s", got)
	}
	for _, c := range All() {
		var req int
		for _, f := range c.Fields {
			if f.Required {
				req++
			}
			if f.Type == List && len(f.Fields) == 0 {
				t.Errorf("%s.%s: list without fields", c.Name, f.Name)
			}
		}
		if req == 0 {
			t.Errorf("%s has no required field: an ok answer would prove nothing", c.Name)
		}
		want := "{inn}"
		if c.Subject == Person {
			want = "{pin}"
		}
		if !strings.Contains(c.Route, want) || !strings.HasSuffix(c.Route, "/"+c.Name) {
			t.Errorf("%s: route %q does not fit subject %s", c.Name, c.Route, c.Subject)
		}
	}
}

func TestRegisterRejectsDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("duplicate registration did not panic")
		}
	}()
	Register(Check{Name: "tax-debt", Subject: Organisation})
}

func TestLookup(t *testing.T) {
	c, ok := Lookup("founders")
	if !ok || c.Subject != Organisation {
		t.Fatalf("Lookup(founders) = %+v, %v", c, ok)
	}
	if f, ok := c.Field("founders"); !ok || f.Type != List {
		t.Errorf("founders field = %+v", f)
	}
	if _, ok := Lookup("tax"); ok {
		t.Error("Lookup(tax) found something")
	}
}
