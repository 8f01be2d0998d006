package provider_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/catalog/wsdl"
	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/internal/testkit"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// zeepPython returns a python3 that can import zeep, skipping the test
// (failing it under TUNDUK_REQUIRE_TOOLS=1) when there is none.
func zeepPython(t *testing.T) string {
	t.Helper()
	var cands []string
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	cands = append(cands, "/usr/bin/python3")
	for _, p := range cands {
		if exec.Command(p, "-c", "import zeep").Run() == nil {
			return p
		}
	}
	msg := "python3-zeep not installed; install it with: apt-get install python3-zeep"
	corpus.Missing(t, msg)
	return ""
}

// sample returns a valid value of a field's type, as the backend's JSON
// would carry it.
func sample(t *testing.T, f *catalog.Field) any {
	t.Helper()
	if len(f.Enum) > 0 {
		return f.Enum[0]
	}
	if f.Pattern != "" {
		t.Fatalf("field %s has a pattern; give the test a sample value for it", f.Name)
	}
	switch f.Type {
	case catalog.TypeINN:
		return "02207200800561"
	case catalog.TypePIN:
		return "22201197000311"
	case catalog.TypeInteger:
		return json.Number("42")
	case catalog.TypeDecimal:
		return json.Number("1.2505e3") // an exponent: xs:decimal has none
	case catalog.TypeBoolean:
		return true
	case catalog.TypeDate:
		return "2024-03-15"
	case catalog.TypeDateTime:
		return "2024-03-15T10:30:00+06:00"
	case catalog.TypeObject:
		return sampleObject(t, f.Fields)
	}
	return "Ала-Тоо & <Co> \"ОсОО\""
}

func sampleObject(t *testing.T, fs []*catalog.Field) map[string]any {
	m := map[string]any{"undeclaredExtra": "dropped"}
	for _, f := range fs {
		v := sample(t, f)
		if f.Repeated {
			v = []any{v, v}
		}
		m[f.Name] = v
	}
	return m
}

// zeepType is the Python type zeep must give a field's value.
func zeepType(f *catalog.Field) string {
	switch f.Type {
	case catalog.TypeBoolean:
		return "bool"
	case catalog.TypeInteger:
		return "int"
	case catalog.TypeDecimal:
		return "Decimal"
	case catalog.TypeDate:
		return "date"
	case catalog.TypeDateTime:
		return "datetime"
	}
	return "str"
}

// checkTyped compares zeep's typed answer with the description, field by
// field: every field sent is there with the right Python type.
func checkTyped(t *testing.T, path string, fs []*catalog.Field, got map[string]any) {
	t.Helper()
	for _, f := range fs {
		v, ok := got[f.Name]
		if !ok {
			t.Errorf("%s%s: missing from zeep's answer %v", path, f.Name, got)
			continue
		}
		items := []any{v}
		if f.Repeated {
			items, _ = v.([]any)
		}
		for _, it := range items {
			m, _ := it.(map[string]any)
			if f.Type == catalog.TypeObject {
				checkTyped(t, path+f.Name+".", f.Fields, m)
				continue
			}
			if m["type"] != zeepType(f) {
				t.Errorf("%s%s: zeep read %v (%v), want a %s", path, f.Name, m["value"], m["type"], zeepType(f))
			}
		}
	}
}

// schemaOf extracts the WSDL's XML Schema as a standalone document for
// xmllint. The xroad.xsd import is left out: the body uses no X-Road type
// (xrd:title sits in xs:appinfo, which validators do not check).
func schemaOf(t *testing.T, w []byte) []byte {
	t.Helper()
	s := string(w)
	i, j := strings.Index(s, "<xs:schema "), strings.Index(s, "</xs:schema>")
	if i < 0 || j < 0 {
		t.Fatal("no xs:schema in the WSDL")
	}
	x := s[i : j+len("</xs:schema>")]
	tns := regexp.MustCompile(`xmlns:tns="([^"]*)"`).FindStringSubmatch(s)[1]
	x = strings.Replace(x, "<xs:schema ", `<xs:schema xmlns:xs="`+wsdl.NSXS+`" xmlns:xrd="`+wsdl.NSXRoad+`" xmlns:tns="`+tns+`" `, 1)
	x = regexp.MustCompile(`<xs:import [^>]*/>`).ReplaceAllString(x, "")
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + x)
}

// xmllintBody validates the answer's body wrapper against the WSDL's schema
// with libxml2.
func xmllintBody(t *testing.T, xmllint, xsd string, answer []byte) {
	t.Helper()
	m, err := soap.ParseBytes(answer, "text/xml; charset=UTF-8", soap.Limits{})
	if err != nil {
		t.Fatalf("answer does not parse: %v", err)
	}
	doc := filepath.Join(t.TempDir(), "body.xml")
	if err := os.WriteFile(doc, m.BodyElement(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, doc).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint --schema: the answer does not validate against the WSDL: %v\n%s\nbody: %s", err, out, m.BodyElement())
	}
}

// TestZeepStrictReadsShippedServices is issue 11's quality bar: for every
// SOAP service of the shipped catalog, a python3-zeep client in strict mode
// loads the WSDL generated from the catalog, calls the provider (configured
// from the same description) through the emulated security server, and
// gets typed values for a success, a not-found and a business error; each
// answer also validates against the WSDL's schema with xmllint.
func TestZeepStrictReadsShippedServices(t *testing.T) {
	py := zeepPython(t)
	xmllint := corpus.RequireTool(t, "xmllint", "apt-get install libxml2-utils")
	schemas := corpus.Dir(t, "schemas")
	cat := testkit.ExampleCatalog(t)
	n := 0
	for _, d := range cat.Services {
		if d.Protocol != catalog.SOAP {
			continue
		}
		n++
		t.Run(d.FullCode(), func(t *testing.T) { zeepService(t, py, xmllint, schemas, cat, d) })
	}
	if n == 0 {
		t.Fatal("the shipped catalog has no SOAP service")
	}
}

func zeepService(t *testing.T, py, xmllint, schemas string, cat *catalog.Catalog, d *catalog.Service) {
	var scenario atomic.Value
	okAnswer := sampleObject(t, d.Output)
	businessCode := d.ErrorCodes()[len(d.ErrorCodes())-1]
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch scenario.Load() {
		case "found":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(okAnswer)
		case "not-found":
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusUnprocessableEntity)
			_ = json.NewEncoder(w).Encode(map[string]string{"code": businessCode, "message": "record withheld: Закон № 58"})
		}
	}))
	t.Cleanup(be.Close)

	provID := cat.Organisation.SubsystemID(d.Subsystem)
	backendURL := be.URL + "/api"
	inputs := map[string]any{}
	for _, f := range d.Input {
		v := sample(t, f)
		inputs[f.Name] = v
		backendURL += "/{" + f.Name + "}"
	}
	h, err := provider.New(provider.Options{Provider: provID, Services: []provider.Service{{
		Code: d.Code, Version: d.Version, Backend: backendURL, Timeout: 5 * time.Second, Description: d,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var last []byte
	ss := xroadtest.NewSecurityServer(xroadtest.Options{OnExchange: func(x xroadtest.Exchange) {
		mu.Lock()
		last = x.Response
		mu.Unlock()
	}})
	t.Cleanup(ss.Close)
	sid := d.ServiceID(cat.Organisation)
	ss.Handle(sid, h)

	dir := t.TempDir()
	w, err := wsdl.Generate([]*catalog.Service{d}, wsdl.Options{Address: ss.URL})
	if err != nil {
		t.Fatal(err)
	}
	wsdlPath, xsdPath := filepath.Join(dir, d.Code+".wsdl"), filepath.Join(dir, d.Code+".xsd")
	if err := os.WriteFile(wsdlPath, w, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(xsdPath, schemaOf(t, w), 0o600); err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(inputs)
	consumer := "central-server/GOV/70000002/gns-service"
	idPath := func(id soap.ServiceID) string {
		return fmt.Sprintf("%s/%s/%s/%s/%s/%s", id.Instance, id.MemberClass, id.MemberCode, id.SubsystemCode, id.ServiceCode, id.ServiceVersion)
	}
	call := func(sc string) map[string]any {
		t.Helper()
		scenario.Store(sc)
		cmd := exec.Command(py, "testdata/zeep_client.py", wsdlPath, schemas, ss.URL, d.Code, consumer, idPath(sid), string(in))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: zeep (strict) failed: %v\n%s", sc, err, stderr.String())
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: zeep printed %q: %v", sc, out, err)
		}
		mu.Lock()
		answer := last
		mu.Unlock()
		xmllintBody(t, xmllint, xsdPath, answer)
		return got
	}

	t.Run("found", func(t *testing.T) {
		got := call("found")
		if _, isFault := got["fault"]; isFault {
			t.Fatalf("business fault instead of data: %v", got)
		}
		checkTyped(t, "", d.Output, got)
	})
	t.Run("not-found", func(t *testing.T) {
		got := call("not-found")
		if code := d.NotFoundError(); code != "" {
			f, _ := got["fault"].(map[string]any)
			if c, _ := f["faultCode"].(map[string]any); c["value"] != code {
				t.Fatalf("not-found answer %v, want fault %s", got, code)
			}
			return
		}
		for name, want := range d.NotFound.Output {
			v, _ := got[name].(map[string]any)
			if v == nil || !strings.EqualFold(fmt.Sprint(v["value"]), want) {
				t.Errorf("not-found answer %s = %v, want %s (%v)", name, v, want, got)
			}
		}
		if _, isFault := got["fault"]; isFault {
			t.Errorf("not-found is declared as data, got a fault: %v", got)
		}
	})
	t.Run("business-error", func(t *testing.T) {
		got := call("business")
		f, _ := got["fault"].(map[string]any)
		code, _ := f["faultCode"].(map[string]any)
		msg, _ := f["faultString"].(map[string]any)
		if code["value"] != businessCode || code["type"] != "str" || !strings.Contains(fmt.Sprint(msg["value"]), "Закон № 58") {
			t.Fatalf("business error = %v, want faultCode %s and the backend's message", got, businessCode)
		}
	})
}
