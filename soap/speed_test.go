//go:build unix && !race

package soap_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// measure runs baseline and candidate n times each, alternating in
// rounds, and returns their CPU time per operation.
func measure(rounds, n int, baseline, candidate func()) (time.Duration, time.Duration) {
	var tb, tc time.Duration
	for r := 0; r < rounds; r++ {
		// Collect before each side, so neither pays for the other's
		// garbage.
		runtime.GC()
		t0 := cputime.Process()
		for i := 0; i < n; i++ {
			baseline()
		}
		tb += cputime.Process() - t0
		runtime.GC()
		t1 := cputime.Process()
		for i := 0; i < n; i++ {
			candidate()
		}
		tc += cputime.Process() - t1
	}
	total := time.Duration(rounds * n)
	return tb / total, tc / total
}

// TestSpeedAndAllocRatios checks the targets beside the
// encoding/xml baselines measured in the same run: at least 1.5× the
// baseline's speed (CPU time per operation) and fewer allocations, for
// parse+validate of getstate.query, of 1 MB and 10 MB multipart messages
// (attachment in memory and spilled), NewRequest and the NewResponse echo.
func TestSpeedAndAllocRatios(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test; skipped with -short")
	}
	raw, err := os.ReadFile(filepath.Join(corpus.Dir(t, "soap"), "getstate.query"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := soap.ParseBytes(raw, textXML, soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	client, _ := soap.ParseClientID("SUBSYSTEM:central-server/GOV/70000001/portal")
	service, _ := soap.ParseServiceID("central-server/GOV/70000002/gns-service/getState/v1")
	body := []byte("<inn>01234567890123</inn>")
	out := []byte("<response>1</response>")
	unmarshal := func() {
		var env baselineEnvelope
		if err := xml.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name                string
		n                   int
		baseline, candidate func()
	}{
		{"parse+validate getstate.query", 2000, unmarshal, func() {
			m, err := soap.ParseBytes(raw, textXML, soap.Limits{})
			if err != nil || m.Validate(soap.RoleRequest) != nil {
				t.Fatal(err)
			}
		}},
		{"NewRequest", 2000, func() {
			var env baselineEnvelope
			env.Header.Client = baselineID{ObjectType: "SUBSYSTEM", Instance: client.Instance, MemberClass: client.MemberClass, MemberCode: client.MemberCode, SubsystemCode: client.SubsystemCode}
			env.Header.Service = baselineID{ObjectType: "SERVICE", Instance: service.Instance, MemberClass: service.MemberClass, MemberCode: service.MemberCode, SubsystemCode: service.SubsystemCode, ServiceCode: service.ServiceCode, ServiceVersion: service.ServiceVersion}
			env.Header.ID, env.Header.ProtocolVersion = "4894e35d-bf0f-44a6-867a-8e51f1daa7e0", "4.0"
			env.Body.Inner = body
			if _, err := xml.Marshal(&env); err != nil {
				t.Fatal(err)
			}
		}, func() {
			if _, err := soap.NewRequest(soap.Request{Client: client, Service: service, BodyNamespace: "http://tunduk.kg/x", Body: body}); err != nil {
				t.Fatal(err)
			}
		}},
		{"NewResponse echo", 2000, func() {
			var env baselineEnvelope
			if err := xml.Unmarshal(raw, &env); err != nil {
				t.Fatal(err)
			}
			env.Body.Inner = out
			if _, err := xml.Marshal(&env); err != nil {
				t.Fatal(err)
			}
		}, func() {
			if _, err := soap.NewResponse(req, "", out); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		c.baseline()
		c.candidate()
		tb, tc := measure(5, c.n, c.baseline, c.candidate)
		ab := testing.AllocsPerRun(200, c.baseline)
		ac := testing.AllocsPerRun(200, c.candidate)
		t.Logf("%s: baseline %v/op %.0f allocs, soap %v/op %.0f allocs: %.2f× faster, %.2f× the allocations", c.name, tb, ab, tc, ac, float64(tb)/float64(tc), ac/ab)
		if float64(tb)/float64(tc) < 1.5 {
			t.Errorf("%s: %.2f× the baseline's speed, target ≥ 1.5×", c.name, float64(tb)/float64(tc))
		}
		if ac >= ab {
			t.Errorf("%s: %.0f allocations, baseline %.0f", c.name, ac, ab)
		}
	}

	ct := "multipart/related; type=\"text/xml\"; boundary=" + benchBoundary
	for _, size := range []int{1 << 20, 10 << 20} {
		msgBody := multipartBody(raw, size)
		base := func() { baselineMultipartT(t, msgBody, ct) }
		for _, mode := range []struct {
			name string
			lim  soap.Limits
		}{{"in memory", soap.Limits{MaxMemory: 32 << 20}}, {"spilled", soap.Limits{MaxMemory: 256 << 10, TempDir: t.TempDir()}}} {
			cand := func() {
				m, err := soap.Parse(bytes.NewReader(msgBody), ct, mode.lim)
				if err != nil || m.Validate(soap.RoleRequest) != nil {
					t.Fatal(err)
				}
				m.Close()
			}
			tb, tc := measure(5, 10, base, cand)
			ab := testing.AllocsPerRun(5, base)
			ac := testing.AllocsPerRun(5, cand)
			t.Logf("multipart %d MB, %s: baseline %v/op %.0f allocs, soap %v/op %.0f allocs: %.2f× faster, %.2f× the allocations",
				size>>20, mode.name, tb, ab, tc, ac, float64(tb)/float64(tc), ac/ab)
			if float64(tb)/float64(tc) < 1.5 {
				t.Errorf("multipart %d MB %s: %.2f× the baseline's speed, target ≥ 1.5×", size>>20, mode.name, float64(tb)/float64(tc))
			}
			if ac >= ab {
				t.Errorf("multipart %d MB %s: %.0f allocations, baseline %.0f", size>>20, mode.name, ac, ab)
			}
		}
	}
}

func multipartBody(soapPart []byte, size int) []byte {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i*7 + i/251)
	}
	var m bytes.Buffer
	fmt.Fprintf(&m, "--%s\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n", benchBoundary)
	m.Write(soapPart)
	fmt.Fprintf(&m, "\r\n--%s\r\nContent-Type: application/octet-stream\r\nContent-ID: <att>\r\n\r\n", benchBoundary)
	m.Write(payload)
	fmt.Fprintf(&m, "\r\n--%s--\r\n", benchBoundary)
	return m.Bytes()
}
