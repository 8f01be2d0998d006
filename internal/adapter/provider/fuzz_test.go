package provider

import (
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest"
)

// FuzzLegacyRepair feeds hostile legacy-backend answers to the repair: it
// must never panic, and whatever it accepts as an answer (not a fault)
// must parse and echo the request's header exactly.
func FuzzLegacyRepair(f *testing.F) {
	const env = `http://schemas.xmlsoap.org/soap/envelope/`
	for _, s := range []string{
		`<e:Envelope xmlns:e="` + env + `"><e:Body><x:getSupplierResponse xmlns:x="urn:a"><x:v>1</x:v></x:getSupplierResponse></e:Body></e:Envelope>`,
		`<e:Envelope xmlns:e="` + env + `" xmlns:p="urn:p"><e:Header><p:id>1</p:id></e:Header><e:Body xmlns="urn:d"><getSupplierResponse/></e:Body></e:Envelope>`,
		`<e:Envelope xmlns:e="` + env + `"><e:Body><e:Fault><faultcode>e:Server</faultcode><faultstring>x</faultstring></e:Fault></e:Body></e:Envelope>`,
		`<e:Envelope xmlns:e="` + env + `"><e:Header><a/></e:Header><e:Body><A/><B/></e:Body></e:Envelope>`,
		`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><R/></e:Body></e:Envelope>`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	req := xroadtest.NewRequest("central-server/GOV/70000001/portal", "central-server/GOV/70000099/registry/getSupplier/v1", "<inn>02207200800561</inn>")
	f.Fuzz(func(t *testing.T, raw []byte, rename bool) {
		if len(raw) > 1<<16 {
			return
		}
		m, isFault, err := repair(req, raw, Service{Code: "getSupplier", RenameWrapper: rename})
		if err != nil || isFault {
			return
		}
		if err := soap.Echoes(req, m); err != nil {
			t.Fatalf("accepted answer does not echo: %v\n%s", err, m.Bytes())
		}
		if m.BodyName().Local != "getSupplierResponse" {
			t.Fatalf("accepted answer's wrapper is %v", m.BodyName())
		}
	})
}
