package wsdl_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/wsdl"
	"github.com/tunduk-kg/tunduk/internal/testkit"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func TestGenerateGolden(t *testing.T) {
	s := testkit.ExampleService(t, "getSupplierInfo")
	b, err := wsdl.Generate([]*catalog.Service{s}, wsdl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "catalog/golden/getSupplierInfo.wsdl", b)

	pub, err := wsdl.Generate([]*catalog.Service{s}, wsdl.Options{Address: wsdl.PlaceholderAddress})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pub, []byte(s.Backend.URL)) || !bytes.Contains(pub, []byte(wsdl.PlaceholderAddress)) {
		t.Error("public WSDL leaks the backend URL or lacks the placeholder")
	}
}

// The generated WSDL is what the security server accepts: its parser finds
// exactly the catalog's service with its version and address, and the
// wsdlvalidator checks report neither errors nor warnings.
func TestGeneratedPassesXRoadRules(t *testing.T) {
	s := testkit.ExampleService(t, "getSupplierInfo")
	b, err := wsdl.Generate([]*catalog.Service{s}, wsdl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := wsdl.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []wsdl.Service{{Code: "getSupplierInfo", Version: "v1", Title: s.Title.EN, Address: s.Backend.URL}}
	if !reflect.DeepEqual(d.Services, want) {
		t.Errorf("parsed %+v, want %+v", d.Services, want)
	}
	if d.TargetNamespace != s.Namespace {
		t.Errorf("targetNamespace %q", d.TargetNamespace)
	}
	if r := wsdl.Validate(b, wsdl.ValidateOptions{}); len(r.Errors)+len(r.Warnings) > 0 {
		t.Errorf("validator: %+v", r)
	}
}

// Several services of one subsystem share a WSDL; mixing subsystems,
// protocols or namespaces is refused.
func TestGenerateSeveral(t *testing.T) {
	c := testkit.ExampleCatalog(t)
	s := testkit.Service(t, c, "getSupplierInfo")
	s2 := *s
	s2.Code, s2.Version = "getSupplierHistory", "v2"
	b, err := wsdl.Generate([]*catalog.Service{s, &s2}, wsdl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := wsdl.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range d.Services {
		got = append(got, x.FullCode())
	}
	if strings.Join(got, ",") != "getSupplierInfo.v1,getSupplierHistory.v2" {
		t.Errorf("services %v", got)
	}
	rest := testkit.Service(t, c, "unreliableSupplier")
	other := *s
	other.Subsystem = "zakupki-portal"
	otherNS := *s
	otherNS.Namespace = "http://other.example/"
	for name, set := range map[string][]*catalog.Service{
		"none": nil, "rest": {rest}, "two subsystems": {s, &other}, "two namespaces": {s, &otherNS},
	} {
		if _, err := wsdl.Generate(set, wsdl.Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The generated header matches PR-MESS Annex C: the same requestHeader
// parts bound to the same xrd elements, in the same order, on input and output.
func TestHeaderMatchesAnnexC(t *testing.T) {
	dir := corpus.Dir(t, "schemas")
	annex, err := os.ReadFile(filepath.Join(dir, "pr-mess-annex-c-example.wsdl"))
	if err != nil {
		t.Fatal(err)
	}
	s := testkit.ExampleService(t, "getSupplierInfo")
	gen, _ := wsdl.Generate([]*catalog.Service{s}, wsdl.Options{})
	partsOf := func(b []byte) []string {
		var out []string
		i := bytes.Index(b, []byte(`<wsdl:message name="requestHeader">`))
		j := bytes.Index(b[i:], []byte(`</wsdl:message>`))
		for _, l := range strings.Split(string(b[i:i+j]), "\n") {
			if k := strings.Index(l, `element="`); k >= 0 {
				out = append(out, strings.Fields(l)[1]+" "+strings.TrimSuffix(strings.TrimSuffix(l[k:], "/>"), " "))
			}
		}
		return out
	}
	if a, g := partsOf(annex), partsOf(gen); !reflect.DeepEqual(a, g) || len(a) != 6 {
		t.Errorf("requestHeader parts differ:\nannex C:   %q\ngenerated: %q", a, g)
	}
	// Both input and output bind all six header parts.
	if n := bytes.Count(gen, []byte(`<soap:header message="tns:requestHeader"`)); n != 12 {
		t.Errorf("%d soap:header bindings, want 12", n)
	}
	// And Annex C's own example passes our parser.
	d, err := wsdl.Parse(annex)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Services) != 3 || d.Services[0].Code != "exampleService" || d.Services[0].Version != "v1" {
		t.Errorf("annex C: %+v", d.Services)
	}
}

// The admin-service cases of the corpus (wsdl/EXPECTATIONS.md).
func TestAdminServiceCorpus(t *testing.T) {
	dir := corpus.Dir(t, "wsdl/admin-service")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	codes := func(name string) []string {
		d, err := wsdl.Parse(read(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var out []string
		for _, s := range d.Services {
			out = append(out, s.FullCode())
		}
		sort.Strings(out)
		return out
	}
	for name, want := range map[string][]string{
		"valid.wsdl":                 {"xroadBigAttachment.v1", "xroadGetRandom.v1", "xroadSmallAttachment.v1"},
		"valid-getrandom.wsdl":       {"xroadGetRandom.v1"},
		"valid-smallattachment.wsdl": {"xroadSmallAttachment.v1"},
		// testservice.wsdl (= warning.wsdl) also has bodyMassIndex; the
		// corpus states only that it holds xroadGetRandom.v1 (ERROR_SERVICE_EXISTS).
		"testservice.wsdl":               {"bodyMassIndex.v1", "xroadGetRandom.v1"},
		"warning.wsdl":                   {"bodyMassIndex.v1", "xroadGetRandom.v1"},
		"valid-additional-services.wsdl": nil, // checked below: contains getRandom and helloService
	} {
		got := codes(name)
		if want != nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: services %v, want %v", name, got, want)
		}
	}
	add := strings.Join(codes("valid-additional-services.wsdl"), ",")
	if !strings.Contains(add, "getRandom.v1") || !strings.Contains(add, "helloService.v1") {
		t.Errorf("valid-additional-services.wsdl: %s", add)
	}

	for _, name := range []string{"invalid.wsdl", "xxe.wsdl", "fault.xml"} {
		_, err := wsdl.Parse(read(name))
		if !errors.Is(err, wsdl.ErrInvalidWSDL) {
			t.Errorf("%s: err = %v, want ErrInvalidWSDL", name, err)
		}
	}
	if _, err := wsdl.Parse(read("xxe.wsdl")); !errors.Is(err, wsdl.ErrDTD) {
		t.Errorf("xxe.wsdl: err = %v, want ErrDTD", err)
	}

	var ue *wsdl.InvalidServiceURLError
	if _, err := wsdl.Parse(read("invalid-serviceurl.wsdl")); !errors.As(err, &ue) || !strings.HasPrefix(ue.URL, "sftp://") {
		t.Errorf("invalid-serviceurl.wsdl: err = %v", err)
	}

	for name, want := range map[string][]string{
		"invalid-servicecode-colon.wsdl":      {"xroadGetRandom:aa"},
		"invalid-servicecode-all.wsdl":        {"xroadGetRandom%aa", "xroadGetRandom/../aa", "xroadGetRandom/aa", "xroadGetRandom:aa", "xroadGetRandom;aa", `xroadGetRandom\aa`},
		"invalid-serviceversion-percent.wsdl": {"v1%234"},
	} {
		var ie *wsdl.InvalidServiceIDError
		_, err := wsdl.Parse(read(name))
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want InvalidServiceIDError", name, err)
			continue
		}
		got := append([]string(nil), ie.Identifiers...)
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: identifiers %q, want %q", name, got, want)
		}
	}
}

// The wsdlvalidator cases (exit code 0/1 and whether there is output): our
// Validate must agree on pass/fail and on whether it says anything.
func TestWSDLValidatorCorpus(t *testing.T) {
	dir := corpus.Dir(t, "wsdl/wsdlvalidator")
	for _, tc := range []struct {
		file       string
		pass       bool
		wantOutput bool
	}{
		{"testservice.wsdl", true, false},
		{"warn.wsdl", true, true},
		{"warnanderror.wsdl", false, true},
		{"error.wsdl", false, true},
	} {
		b, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		r := wsdl.Validate(b, wsdl.ValidateOptions{Dir: dir})
		output := len(r.Errors)+len(r.Warnings) > 0
		if r.OK() != tc.pass || output != tc.wantOutput {
			t.Errorf("%s: pass=%v output=%v (%+v), want pass=%v output=%v", tc.file, r.OK(), output, r, tc.pass, tc.wantOutput)
		}
	}
}

// Parse never panics and never resolves anything, whatever the input.
func FuzzParse(f *testing.F) {
	for _, b := range corpus.Files(f, "wsdl/admin-service/*") {
		f.Add(b)
	}
	f.Add([]byte(`<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := wsdl.Parse(b)
		if err == nil && len(d.Services) == 0 {
			t.Error("nil error without services")
		}
		_ = wsdl.Validate(b, wsdl.ValidateOptions{})
	})
}
