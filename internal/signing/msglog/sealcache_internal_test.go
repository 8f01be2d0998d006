package msglog

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestContainersOfParsedAgrees: sealing uses the record as appended (no
// second parse of message.xml), rotation parses the stored copy; both must
// give the same containers byte for byte, or the archive would not match
// its seal. Cases: SOAP with CRLF in its header and body, a SOAP fault
// answer, REST with headers, no response, metadata-only.
func TestContainersOfParsedAgrees(t *testing.T) {
	hdr := "<xrd:id>m1</xrd:id>\r\n<xrd:userId>KG1 &amp; \"x\"</xrd:userId>\r\n"
	soapBody := []byte("<?xml version=\"1.0\"?>\r\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header>" +
		hdr + "</SOAP-ENV:Header><SOAP-ENV:Body><a>\r\n1 &lt; 2</a></SOAP-ENV:Body></SOAP-ENV:Envelope>")
	when := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	cases := map[string]*Exchange{
		"soap": {Direction: "consumer", Protocol: "soap", Check: "tax-debt", MessageID: "m1", Client: "c", Service: "s",
			UserID: "KG1", Issue: "t\r\n42", Started: when, Finished: when.Add(time.Second), Outcome: "ok",
			Request: Message{Method: "POST", URL: "http://ss/", ContentType: "text/xml; charset=UTF-8", XRoadHeader: hdr, Body: soapBody,
				Headers: []Header{{Name: "Content-Type", Value: "text/xml"}}},
			Response: Message{Status: 200, ContentType: "text/xml", XRoadHeader: hdr, Body: soapBody}},
		"fault": {Protocol: "soap", MessageID: "m2", Outcome: "fault", Fault: "Server.X",
			Request:  Message{Method: "POST", URL: "http://ss/", ContentType: "text/xml", XRoadHeader: hdr, Body: soapBody},
			Response: Message{Status: 500, ContentType: "text/xml", Body: []byte("<fault/>")}},
		"rest": {Protocol: "rest", MessageID: "r1", Client: "c", Service: "s",
			Request: Message{Method: "GET", URL: "http://ss/r1/a/b/c/d/svc/x?q=1", Headers: []Header{{Name: "X-Road-Client", Value: "a/b/c/d"},
				{Name: "Accept", Value: "application/json"}}},
			Response: Message{Status: 200, ContentType: "application/json", Body: []byte(`{"a":"b\r\n"}`),
				Headers: []Header{{Name: "X-Road-Request-Hash", Value: "h"}}}},
		"no-response": {Protocol: "soap", MessageID: "m3", Outcome: "timeout",
			Request: Message{Method: http.MethodPost, URL: "http://ss/", ContentType: "text/xml", XRoadHeader: hdr, Body: soapBody}},
	}
	for name, ex := range cases {
		for _, metadataOnly := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/metadataOnly=%v", name, metadataOnly), func(t *testing.T) {
				x := *ex
				rec := Record{Type: TypeExchange, Time: when, Member: "c", Exchange: &x}
				atts, err := rec.prepare(metadataOnly)
				if err != nil {
					t.Fatal(err)
				}
				doc, err := MarshalRecord(&rec)
				if err != nil {
					t.Fatal(err)
				}
				payload := encodeParts(kindRecord, append([][]byte{[]byte("1|c"), doc}, atts...)...)
				_, parts, err := decodeParts(payload)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := withFormatSeq(parts[1], FormatXRoad, 7), withFormat(withSeq(parts[1], 7), FormatXRoad); !bytes.Equal(got, want) {
					t.Fatalf("withFormatSeq = %q, want %q", got, want)
				}
				cached := rec
				cx := *rec.Exchange
				cached.Exchange = &cx
				cached.useStoredBodies(parts[2:])
				for _, format := range []int{FormatXRoad - 1, FormatXRoad} {
					fromRec, err := containersOf(7, parts, format, &cached)
					if err != nil {
						t.Fatal(err)
					}
					parsed, err := containersOf(7, parts, format, nil)
					if err != nil {
						t.Fatal(err)
					}
					if len(fromRec) != len(parsed) {
						t.Fatalf("format %d: %d containers from the record, %d parsed", format, len(fromRec), len(parsed))
					}
					for i := range parsed {
						a, b := fromRec[i], parsed[i]
						if a.suffix != b.suffix || !bytes.Equal(a.message, b.message) || !bytes.Equal(a.exchange, b.exchange) || len(a.attachments) != len(b.attachments) {
							t.Fatalf("format %d container %d differs:\nrecord: %s %q\nparsed: %s %q", format, i, a.suffix, a.message, b.suffix, b.message)
						}
						for j := range a.attachments {
							if !bytes.Equal(a.attachments[j], b.attachments[j]) {
								t.Fatalf("format %d container %d attachment %d differs", format, i, j)
							}
						}
					}
				}
			})
		}
	}
}

// withFormat is what withFormatSeq did in two copies (after withSeq).
func withFormat(doc []byte, format int) []byte {
	i := bytes.Index(doc, seqPrefix)
	if i < 0 {
		return doc
	}
	i += len(seqPrefix)
	attr := ` format="` + strconv.Itoa(format) + `"`
	out := make([]byte, 0, len(doc)+len(attr))
	out = append(out, doc[:i]...)
	out = append(out, attr...)
	return append(out, doc[i:]...)
}
