package soap_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
)

const minimal = `<?xml version="1.0" encoding="%s"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
<s:Header>
<x:client id:objectType="MEMBER"><id:xRoadInstance>KG</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>1</id:memberCode></x:client>
<x:service id:objectType="SERVICE"><id:xRoadInstance>KG</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>2</id:memberCode><id:serviceCode>getX</id:serviceCode></x:service>
<x:id>1</x:id><x:userId>%s</x:userId><x:protocolVersion>4.0</x:protocolVersion>
</s:Header>
<s:Body><getX>%s</getX></s:Body>
</s:Envelope>`

func msg(enc, user, body string) []byte { return []byte(fmt.Sprintf(minimal, enc, user, body)) }

func wantCode(t *testing.T, name string, err error, code soap.FaultCode, sentinel error) {
	t.Helper()
	if !errors.Is(err, &soap.ValidationError{Code: code}) {
		t.Errorf("%s: %v, want %s", name, err, code)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("%s: %v does not wrap %v", name, err, sentinel)
	}
}

func TestHostileXML(t *testing.T) {
	xxe := `<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + string(msg("UTF-8", "&xxe;", ""))[len(`<?xml version="1.0" encoding="UTF-8"?>`):]
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`
	for name, in := range map[string]string{"XXE": xxe, "billion laughs": laughs} {
		_, err := soap.ParseBytes([]byte(in), textXML, soap.Limits{})
		wantCode(t, name, err, soap.CodeInvalidSoap, soap.ErrDTD)
	}
	deep := strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200)
	_, err := soap.ParseBytes(msg("UTF-8", "u", deep), textXML, soap.Limits{})
	wantCode(t, "deep", err, soap.CodeInvalidSoap, soap.ErrTooDeep)
	if _, err := soap.ParseBytes(msg("UTF-8", "u", deep), textXML, soap.Limits{MaxDepth: 300}); err != nil {
		t.Errorf("MaxDepth 300: %v", err)
	}
	big := msg("UTF-8", "u", strings.Repeat("x", 2000))
	_, err = soap.Parse(bytes.NewReader(big), textXML, soap.Limits{MaxBytes: 1000})
	wantCode(t, "too large", err, soap.CodeInvalidMessage, soap.ErrTooLarge)
	_, err = soap.ParseBytes(big, textXML, soap.Limits{MaxBytes: 1000})
	wantCode(t, "too large (bytes)", err, soap.CodeInvalidMessage, soap.ErrTooLarge)

	for name, in := range map[string]string{
		"mismatched tags":    string(msg("UTF-8", "u", "<a></b>")),
		"undeclared prefix":  string(msg("UTF-8", "u", "<q:a/>")),
		"unclosed":           strings.TrimSuffix(string(msg("UTF-8", "u", "")), "</s:Envelope>"),
		"two roots":          string(msg("UTF-8", "u", "")) + "<x/>",
		"text after root":    string(msg("UTF-8", "u", "")) + "junk",
		"unknown entity":     string(msg("UTF-8", "&nope;", "")),
		"not soap":           `<a/>`,
		"SOAP 1.2":           `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`,
		"only a declaration": `<?xml version="1.0"?>`,
	} {
		_, err := soap.ParseBytes([]byte(in), textXML, soap.Limits{})
		wantCode(t, name, err, soap.CodeInvalidSoap, nil)
	}
}

func TestCharsets(t *testing.T) {
	// UTF-8 BOM before the envelope.
	in := append([]byte{0xEF, 0xBB, 0xBF}, msg("UTF-8", "Ä", "")...)
	m, err := soap.ParseBytes(in, textXML, soap.Limits{})
	if err != nil || m.Header().UserID != "Ä" {
		t.Fatalf("BOM: %v %+v", err, m)
	}
	if !bytes.Equal(m.Bytes(), in) {
		t.Error("BOM message not kept as received")
	}
	if soap.RequestHash(m.SOAP()) != soap.RequestHash(in) {
		t.Error("requestHash must cover the BOM")
	}
	// ISO-8859-1 from Content-Type and from the declaration.
	latin := bytes.Replace(msg("ISO-8859-1", "\xc4ra", "\xe9"), []byte(`encoding="ISO-8859-1"`), []byte(`encoding="ISO-8859-1"`), 1)
	for _, ct := range []string{"text/xml; charset=ISO-8859-1", "text/xml"} {
		m, err := soap.ParseBytes(latin, ct, soap.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", ct, err)
		}
		if m.Header().UserID != "Ära" {
			t.Errorf("%s: userId %q", ct, m.Header().UserID)
		}
		if !bytes.Equal(m.Bytes(), latin) {
			t.Errorf("%s: bytes not kept", ct)
		}
		resp, err := soap.NewResponse(m, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header().UserID != "Ära" || soap.Echoes(m, resp) != nil {
			t.Errorf("%s: response from a Latin-1 request: %q, %v", ct, resp.Header().UserID, soap.Echoes(m, resp))
		}
	}
	_, err = soap.ParseBytes(msg("UTF-8", "u", ""), "text/xml; charset=EBCDIC", soap.Limits{})
	wantCode(t, "EBCDIC", err, soap.CodeInvalidContentType, nil)
}

func TestHeaderRules(t *testing.T) {
	base := string(msg("UTF-8", "u", ""))
	for name, tc := range map[string]struct {
		from, to string
		code     soap.FaultCode
	}{
		"client objectType wrong":   {`x:client id:objectType="MEMBER"`, `x:client id:objectType="SUBSYSTEM"`, soap.CodeInvalidClientIdentifier},
		"service objectType absent": {`x:service id:objectType="SERVICE"`, `x:service`, soap.CodeInvalidXML},
		"bad identifier char":       {`<id:memberCode>1</id:memberCode>`, `<id:memberCode>1;2</id:memberCode>`, soap.CodeInvalidClientIdentifier},
		"duplicate id":              {`<x:id>1</x:id>`, `<x:id>1</x:id><x:id>2</x:id>`, soap.CodeDuplicateHeaderField},
		"missing id":                {`<x:id>1</x:id>`, ``, soap.CodeMissingHeaderField},
		"missing client":            {`<x:client id:objectType="MEMBER"><id:xRoadInstance>KG</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>1</id:memberCode></x:client>`, ``, soap.CodeMissingHeaderField},
		"version 3.1":               {`4.0</x:protocolVersion>`, `3.1</x:protocolVersion>`, soap.CodeInvalidProtocolVersion},
		"two body children":         {`<getX></getX>`, `<getX/><getX/>`, soap.CodeInvalidBody},
		"fault and more":            {`<getX></getX>`, `<s:Fault><faultcode>x</faultcode></s:Fault><getX/>`, soap.CodeInvalidBody},
		"empty body":                {`<getX></getX>`, ``, soap.CodeInvalidBody},
		"wrong wrapper":             {`<getX></getX>`, `<getY/>`, soap.CodeInconsistentHeaders},
	} {
		m, err := soap.ParseBytes([]byte(strings.Replace(base, tc.from, tc.to, 1)), textXML, soap.Limits{})
		if err == nil {
			err = m.Validate(soap.RoleRequest)
		}
		wantCode(t, name, err, tc.code, nil)
	}
	m, _ := soap.ParseBytes([]byte(strings.Replace(base, `4.0</x:protocolVersion>`, `4.5</x:protocolVersion>`, 1)), textXML, soap.Limits{})
	if err := m.Validate(soap.RoleRequest); err != nil {
		t.Errorf("4.x must pass: %v", err)
	}
	unknown := strings.Replace(base, `<x:id>1</x:id>`, `<x:id>1</x:id><z:ext xmlns:z="urn:z">v</z:ext><x:novel>n</x:novel>`, 1)
	m, err := soap.ParseBytes([]byte(unknown), textXML, soap.Limits{})
	if err != nil || m.Validate(soap.RoleRequest) != nil {
		t.Fatalf("unknown header elements: %v", err)
	}
	if u := m.Header().Unknown; len(u) != 2 || u[0].Local != "ext" || u[1].Local != "novel" {
		t.Errorf("unknown %v", u)
	}
}

const boundary = "b0undary"

func multipartMsg(nl string, soapPart []byte, atts ...string) []byte {
	var b bytes.Buffer
	b.WriteString("preamble" + nl + "--" + boundary + nl + "Content-Type: text/xml; charset=UTF-8" + nl + nl)
	b.Write(soapPart)
	for i, a := range atts {
		fmt.Fprintf(&b, "%s--%s \t%sContent-Type: application/octet-stream%sContent-ID: <a%d>%s%s", nl, boundary, nl, nl, i, nl, nl)
		b.WriteString(a)
	}
	b.WriteString(nl + "--" + boundary + "--" + nl + "epilogue")
	return b.Bytes()
}

func TestMultipartEdges(t *testing.T) {
	ct := "multipart/related; type=\"text/xml\"; boundary=" + boundary
	soapPart := msg("UTF-8", "u", "")
	for _, nl := range []string{"\r\n", "\n"} {
		in := multipartMsg(nl, soapPart, "one"+nl+"--"+boundary+"x not a delimiter", "", "two"+nl)
		m, err := soap.ParseBytes(in, ct, soap.Limits{})
		if err != nil {
			t.Fatalf("%q: %v", nl, err)
		}
		if !bytes.Equal(m.Bytes(), in) {
			t.Errorf("%q: round trip differs:\n%q\n%q", nl, m.Bytes(), in)
		}
		if !bytes.Equal(m.SOAP(), soapPart) {
			t.Errorf("%q: SOAP part %q", nl, m.SOAP())
		}
		want := []string{"one" + nl + "--" + boundary + "x not a delimiter", "", "two" + nl}
		if len(m.Attachments()) != 3 {
			t.Fatalf("%d attachments", len(m.Attachments()))
		}
		for i, a := range m.Attachments() {
			rc, _ := a.Open()
			got, _ := io.ReadAll(rc)
			if string(got) != want[i] || a.Size != int64(len(want[i])) {
				t.Errorf("%q: attachment %d = %q", nl, i, got)
			}
		}
	}
	for name, tc := range map[string]struct {
		in   []byte
		code soap.FaultCode
	}{
		"empty":                   {nil, soap.CodeMissingSoap},
		"BOM only":                {[]byte{0xEF, 0xBB, 0xBF}, soap.CodeMissingSoap},
		"no boundary":             {[]byte("hello\n"), soap.CodeInvalidMessage},
		"only closing":            {[]byte("--" + boundary + "--\n"), soap.CodeMissingSoap},
		"truncated soap":          {[]byte("--" + boundary + "\nContent-Type: text/xml\n\n<a>"), soap.CodeInvalidMessage},
		"truncated header":        {[]byte("--" + boundary + "\nContent-Type: text/xml\n"), soap.CodeInvalidMessage},
		"soap not xml":            {[]byte("--" + boundary + "\nContent-Type: text/plain\n\nx\n--" + boundary + "--"), soap.CodeInvalidContentType},
		"attachment without type": {[]byte("--" + boundary + "\nContent-Type: text/xml\n\n" + string(soapPart) + "\n--" + boundary + "\nX: y\n\nz\n--" + boundary + "--"), soap.CodeInvalidContentType},
		"truncated attachment":    {[]byte("--" + boundary + "\nContent-Type: text/xml\n\n" + string(soapPart) + "\n--" + boundary + "\nContent-Type: a/b\n\nz"), soap.CodeInvalidMessage},
	} {
		_, err := soap.ParseBytes(tc.in, ct, soap.Limits{})
		wantCode(t, name, err, tc.code, nil)
	}
	// Too many parts.
	many := multipartMsg("\n", soapPart, "a", "b", "c", "d")
	_, err := soap.ParseBytes(many, ct, soap.Limits{MaxParts: 3})
	wantCode(t, "too many parts", err, soap.CodeInvalidMessage, soap.ErrTooLarge)
	if _, err := soap.ParseBytes(many, ct, soap.Limits{MaxParts: 4}); err != nil {
		t.Errorf("4 parts with MaxParts 4: %v", err)
	}
	// A missing closing delimiter after the last part is tolerated.
	in := []byte("--" + boundary + "\nContent-Type: text/xml\n\n" + string(soapPart) + "\n--" + boundary)
	m, err := soap.ParseBytes(in, ct, soap.Limits{})
	if err != nil || !bytes.Equal(m.Bytes(), in) {
		t.Errorf("unterminated multipart: %v", err)
	}
	// Parameters mime.ParseMediaType rejects, as X-Road's AttachmentSmallMantis sends them.
	mantis := "multipart/related; start-info=text/xml; type='application/xop+xml'; boundary=:gkMa5KAvuHP7ahe9IQHONLgnncvv:"
	in = []byte("--:gkMa5KAvuHP7ahe9IQHONLgnncvv:\r\nContent-Type: application/xop+xml; type='text/xml'\r\n\r\n" + string(soapPart) + "\r\n--:gkMa5KAvuHP7ahe9IQHONLgnncvv:--\r\n")
	if m, err := soap.ParseBytes(in, mantis, soap.Limits{}); err != nil || m.Validate(soap.RoleRequest) != nil || !bytes.Equal(m.Bytes(), in) {
		t.Errorf("lenient content type: %v", err)
	}
	for _, bad := range []string{"blah", "text/html", "multipart/related", "application/soap+xml", ""} {
		_, err := soap.ParseBytes(soapPart, bad, soap.Limits{})
		wantCode(t, bad, err, soap.CodeInvalidContentType, nil)
	}
}

// TestAttachmentSpill streams a 3 MB attachment: it goes to a temporary
// file, Parse allocates less than twice its size, the message writes back
// byte for byte, and Close removes the file. (TestHeapGrowth10MB measures
// the 10 MB case.)
func TestAttachmentSpill(t *testing.T) {
	const size = 3 << 20
	payload := bytes.Repeat([]byte("tunduk attachment line\n"), size/23+1)[:size]
	in := multipartMsg("\r\n", msg("UTF-8", "u", ""), string(payload))
	f, err := os.CreateTemp(t.TempDir(), "msg")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(in)
	f.Seek(0, 0)
	defer f.Close()
	in = nil
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := soap.Parse(f, "multipart/related; boundary="+boundary, soap.Limits{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	growth := after.TotalAlloc - before.TotalAlloc
	t.Logf("3 MB attachment: %d bytes allocated during Parse (%.3f× the attachment)", growth, float64(growth)/size)
	if growth > 2*size {
		t.Errorf("Parse allocated %d bytes for a %d-byte attachment (> 2×)", growth, size)
	}
	a := m.Attachments()[0]
	if a.InMemory() || a.Size != size {
		t.Errorf("attachment in memory %v, size %d", a.InMemory(), a.Size)
	}
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, 0)
	orig, _ := io.ReadAll(f)
	if !bytes.Equal(out.Bytes(), orig) {
		t.Error("spilled message does not write back byte for byte")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Open(); err == nil {
		t.Error("attachment readable after Close")
	}
	_, err = soap.Parse(bytes.NewReader(orig), "multipart/related; boundary="+boundary, soap.Limits{MaxAttachmentBytes: 1 << 20})
	wantCode(t, "attachment limit", err, soap.CodeInvalidMessage, soap.ErrTooLarge)
}
