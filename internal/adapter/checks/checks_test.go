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
			if (f.Type == List || f.Type == Object) && len(f.Fields) == 0 {
				t.Errorf("%s.%s: %s without fields", c.Name, f.Name, f.Type)
			}
			if (f.Type == Enum) != (len(f.Values) > 0) {
				t.Errorf("%s.%s: an enum needs values, and only an enum has them", c.Name, f.Name)
			}
			if f.Derived && (f.Required || c.Finish == nil) {
				t.Errorf("%s.%s: a derived field is filled by Finish, not required of a mapping", c.Name, f.Name)
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

// Finish derives hasActiveRecord from the records and refuses answers
// whose summary contradicts them; the debt checks refuse "no debt" with a
// positive amount.
func TestFinish(t *testing.T) {
	cr, _ := Lookup("criminal-record")
	rec := func(st ...string) []map[string]any {
		out := []map[string]any{}
		for _, s := range st {
			out = append(out, map[string]any{"status": s})
		}
		return out
	}
	for _, c := range []struct {
		any     bool
		records []map[string]any
		active  bool
		err     bool
	}{
		{false, rec(), false, false},
		{true, rec("expunged"), false, false},
		{true, rec("expunged", "active"), true, false},
		{false, rec("active"), false, true},
		{true, rec(), false, true},
	} {
		f := map[string]any{"hasAnyRecord": c.any, "records": c.records}
		err := cr.Finish(f)
		if (err != nil) != c.err || (err == nil && f["hasActiveRecord"] != c.active) {
			t.Errorf("%+v: err %v, hasActiveRecord %v", c, err, f["hasActiveRecord"])
		}
	}
	tax, _ := Lookup("tax-debt")
	for _, c := range []struct {
		has    bool
		amount string
		cur    string
		err    bool
	}{
		{false, "0.00", "KGS", false}, {true, "1.50", "KGS", false}, {false, "0", "KGS", false},
		{false, "0.01", "KGS", true}, {true, "1", "kgs", true}, {true, "1", "", true},
	} {
		err := tax.Finish(map[string]any{"hasDebt": c.has, "amount": num(c.amount), "currency": c.cur})
		if (err != nil) != c.err {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

type num string

func (n num) String() string { return string(n) }
