package soap_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// baselineEnvelope is the naive approach (the other Go X-Road library's):
// encoding/xml Unmarshal into a plain struct of the header fields.
type baselineEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Header  struct {
		Client          baselineID `xml:"http://x-road.eu/xsd/xroad.xsd client"`
		Service         baselineID `xml:"http://x-road.eu/xsd/xroad.xsd service"`
		ID              string     `xml:"http://x-road.eu/xsd/xroad.xsd id"`
		UserID          string     `xml:"http://x-road.eu/xsd/xroad.xsd userId"`
		Issue           string     `xml:"http://x-road.eu/xsd/xroad.xsd issue"`
		ProtocolVersion string     `xml:"http://x-road.eu/xsd/xroad.xsd protocolVersion"`
		RequestHash     string     `xml:"http://x-road.eu/xsd/xroad.xsd requestHash"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
	Body struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type baselineID struct {
	ObjectType     string `xml:"http://x-road.eu/xsd/identifiers objectType,attr"`
	Instance       string `xml:"http://x-road.eu/xsd/identifiers xRoadInstance"`
	MemberClass    string `xml:"http://x-road.eu/xsd/identifiers memberClass"`
	MemberCode     string `xml:"http://x-road.eu/xsd/identifiers memberCode"`
	SubsystemCode  string `xml:"http://x-road.eu/xsd/identifiers subsystemCode"`
	ServiceCode    string `xml:"http://x-road.eu/xsd/identifiers serviceCode"`
	ServiceVersion string `xml:"http://x-road.eu/xsd/identifiers serviceVersion"`
}

func getstate(b *testing.B) []byte {
	raw, err := os.ReadFile(filepath.Join(corpus.Dir(b, "soap"), "getstate.query"))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func baselineUnmarshal(b testing.TB, raw []byte) {
	var env baselineEnvelope
	if err := xml.Unmarshal(raw, &env); err != nil {
		b.Fatal(err)
	}
	if env.Header.Service.ServiceCode != "getState" {
		b.Fatal("baseline misread the service")
	}
}

// BenchmarkParseValidate: parse + validate of getstate.query, beside the
// encoding/xml Unmarshal baseline.
func BenchmarkParseValidate(b *testing.B) {
	raw := getstate(b)
	b.Run("baseline=xml.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			baselineUnmarshal(b, raw)
		}
	})
	b.Run("soap", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			m, err := soap.ParseBytes(raw, "text/xml; charset=UTF-8", soap.Limits{})
			if err != nil {
				b.Fatal(err)
			}
			if err := m.Validate(soap.RoleRequest); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const benchBoundary = "jetty771207119h3h10dty"

func multipartBench(b *testing.B, size int) []byte {
	soapPart := getstate(b)
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i*7 + i/251) // binary-ish, with line breaks now and then
	}
	var m bytes.Buffer
	m.WriteString("--" + benchBoundary + "\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n")
	m.Write(soapPart)
	m.WriteString("\r\n--" + benchBoundary + "\r\nContent-Type: application/octet-stream\r\nContent-ID: <att>\r\n\r\n")
	m.Write(payload)
	m.WriteString("\r\n--" + benchBoundary + "--\r\n")
	return m.Bytes()
}

// baselineMultipart is the naive multipart read: mime/multipart, the SOAP
// part unmarshalled, attachments read into memory.
func baselineMultipart(b *testing.B, body []byte, ct string) { baselineMultipartT(b, body, ct) }

func baselineMultipartT(b testing.TB, body []byte, ct string) {
	_, params, _ := mime.ParseMediaType(ct)
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	p, err := mr.NextPart()
	if err != nil {
		b.Fatal(err)
	}
	soapPart, _ := io.ReadAll(p)
	baselineUnmarshal(b, soapPart)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMultipart: parse + validate of 1 MB and 10 MB SwA messages
// beside the mime/multipart + Unmarshal baseline (which holds attachments
// in memory): once with the attachment in memory, once spilled to a
// temporary file (MaxMemory 256 kB).
func BenchmarkMultipart(b *testing.B) {
	ct := "multipart/related; type=\"text/xml\"; boundary=" + benchBoundary
	for _, size := range []int{1 << 20, 10 << 20} {
		body := multipartBench(b, size)
		name := fmt.Sprintf("%dMB", size>>20)
		b.Run(name+"/baseline=mime+xml.Unmarshal", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				baselineMultipart(b, body, ct)
			}
		})
		b.Run(name+"/soap-in-memory", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				m, err := soap.Parse(bytes.NewReader(body), ct, soap.Limits{MaxMemory: 32 << 20})
				if err != nil {
					b.Fatal(err)
				}
				if err := m.Validate(soap.RoleRequest); err != nil {
					b.Fatal(err)
				}
				if !m.Attachments()[0].InMemory() {
					b.Fatal("spilled")
				}
				m.Close()
			}
		})
		b.Run(name+"/soap-spill", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			dir := b.TempDir()
			for b.Loop() {
				m, err := soap.Parse(bytes.NewReader(body), ct, soap.Limits{TempDir: dir, MaxMemory: 256 << 10})
				if err != nil {
					b.Fatal(err)
				}
				if err := m.Validate(soap.RoleRequest); err != nil {
					b.Fatal(err)
				}
				if m.Attachments()[0].Size != int64(size) {
					b.Fatal("attachment size")
				}
				m.Close()
			}
		})
	}
}

// BenchmarkNewRequest: building a request beside marshalling the baseline
// struct with encoding/xml.
func BenchmarkNewRequest(b *testing.B) {
	client, _ := soap.ParseClientID("SUBSYSTEM:central-server/GOV/70000001/portal")
	service, _ := soap.ParseServiceID("central-server/GOV/70000002/gns-service/getState/v1")
	body := []byte("<inn>01234567890123</inn>")
	b.Run("baseline=xml.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env baselineEnvelope
			env.Header.Client = baselineID{ObjectType: "SUBSYSTEM", Instance: client.Instance, MemberClass: client.MemberClass, MemberCode: client.MemberCode, SubsystemCode: client.SubsystemCode}
			env.Header.Service = baselineID{ObjectType: "SERVICE", Instance: service.Instance, MemberClass: service.MemberClass, MemberCode: service.MemberCode, SubsystemCode: service.SubsystemCode, ServiceCode: service.ServiceCode, ServiceVersion: service.ServiceVersion}
			env.Header.ID, env.Header.ProtocolVersion = "4894e35d-bf0f-44a6-867a-8e51f1daa7e0", "4.0"
			env.Body.Inner = body
			if _, err := xml.Marshal(&env); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("soap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := soap.NewRequest(soap.Request{Client: client, Service: service, BodyNamespace: "http://tunduk.kg/x", Body: body}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNewResponse: the echo (header spliced byte for byte) beside the
// naive unmarshal-then-marshal of the header.
func BenchmarkNewResponse(b *testing.B) {
	raw := getstate(b)
	req, err := soap.ParseBytes(raw, "text/xml; charset=UTF-8", soap.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	out := []byte("<response>1</response>")
	b.Run("baseline=xml.Unmarshal+Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env baselineEnvelope
			if err := xml.Unmarshal(raw, &env); err != nil {
				b.Fatal(err)
			}
			env.Body.Inner = out
			if _, err := xml.Marshal(&env); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("soap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := soap.NewResponse(req, "", out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestHeapGrowth10MB measures the heap while a 10 MB attachment is parsed
// from a reader, spilled (default Limits) and held in memory (MaxMemory
// 16 MiB): both must stay under twice the attachment's size.
func TestHeapGrowth10MB(t *testing.T) {
	const size = 10 << 20
	f, err := os.CreateTemp(t.TempDir(), "m")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	payload := bytes.Repeat([]byte{0, 1, 2, 3, '\r', '\n', 'x'}, size/7+1)[:size]
	fmt.Fprintf(f, "--%s\r\nContent-Type: text/xml\r\n\r\n%s\r\n--%s\r\nContent-Type: application/octet-stream\r\n\r\n", benchBoundary, msg("UTF-8", "u", ""), benchBoundary)
	f.Write(payload)
	fmt.Fprintf(f, "\r\n--%s--\r\n", benchBoundary)
	payload = nil
	for _, tc := range []struct {
		name     string
		lim      soap.Limits
		inMemory bool
	}{
		{"spilled", soap.Limits{TempDir: t.TempDir()}, false},
		{"in memory", soap.Limits{MaxMemory: 16 << 20}, true},
	} {
		f.Seek(0, 0)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := soap.Parse(f, "multipart/related; boundary="+benchBoundary, tc.lim)
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		total := after.TotalAlloc - before.TotalAlloc
		t.Logf("10 MB attachment, %s: heap growth %d bytes (%.3f× the attachment), %d bytes allocated in all (%.3f×)",
			tc.name, heap, float64(heap)/size, total, float64(total)/size)
		if heap > 2*size || total > 2*size {
			t.Errorf("%s: heap growth %d / allocated %d for a %d-byte attachment (limit 2×)", tc.name, heap, total, size)
		}
		if a := m.Attachments()[0]; a.Size != size || a.InMemory() != tc.inMemory {
			t.Errorf("%s: size %d, in memory %v", tc.name, a.Size, a.InMemory())
		}
		m.Close()
	}
}
