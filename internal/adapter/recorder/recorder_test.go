package recorder_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/recorder"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/soap"
)

const soapReq = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
<SOAP-ENV:Header>
<xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>central-server</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>70000001</id:memberCode><id:subsystemCode>portal</id:subsystemCode></xrd:client>
<xrd:service id:objectType="SERVICE"><id:xRoadInstance>central-server</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>70000002</id:memberCode><id:subsystemCode>gns-service</id:subsystemCode><id:serviceCode>tpDataByINNforBusinessActivity</id:serviceCode><id:serviceVersion>v1</id:serviceVersion></xrd:service>
<xrd:id>id-1</xrd:id>
<xrd:userId>KG12345678901234</xrd:userId>
<xrd:issue>tender-42</xrd:issue>
<xrd:protocolVersion>4.0</xrd:protocolVersion>
</SOAP-ENV:Header>
<SOAP-ENV:Body><tpDataByINNforBusinessActivity><INN>01234567890123</INN></tpDataByINNforBusinessActivity></SOAP-ENV:Body>
</SOAP-ENV:Envelope>`

func TestRecorderArchivesTheExchange(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)
	dir := t.TempDir()
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "j"), ArchiveDir: filepath.Join(dir, "a"), Signer: key, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder.Recorder{Log: l, Member: "central-server/GOV/70000001/portal", Direction: "consumer"}
	parsed, err := soap.ParseBytes([]byte(soapReq), "text/xml", soap.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// The URL says /r1/ but the runner said SOAP: the record believes the
	// runner (nothing is guessed from the URL).
	x := &exchange.Exchange{Protocol: exchange.SOAP, Client: "central-server/GOV/70000001/portal",
		Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Duration: 1500 * time.Millisecond,
		Check: "tax-debt", Caller: "zakupki", UserID: "KG12345678901234", Officer: "12345678901234", Issue: "tender-42",
		Service: "central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1", MessageID: "id-1", RequestHash: "abc",
		Request: exchange.Message{URL: "http://ss/r1/x", Method: "POST", Header: http.Header{"Content-Type": {"text/xml"}, "Soapaction": {`""`}}, Body: []byte(soapReq),
			XRoadHeader: exchange.SOAPHeader(parsed)},
		Response: &exchange.Message{Status: 200, Header: http.Header{"Content-Type": {"text/xml"}}, Body: []byte("<resp/>")},
		Outcome:  "found",
	}
	var journalRecorder exchange.Recorder = rec
	id, err := journalRecorder.Record(context.Background(), x)
	if err != nil || id != "mlog:1" {
		t.Fatalf("Record = %q, %v", id, err)
	}
	// A REST exchange keeps its protocol and the client it was sent as.
	rx := &exchange.Exchange{Protocol: exchange.REST, Client: "central-server/GOV/70000003/other", Time: x.Time, Check: "founders",
		Service: "central-server/GOV/70000002/gns-service/founders", MessageID: "id-2", Outcome: "found",
		Request: exchange.Message{URL: "http://ss/anything", Method: "GET"}}
	if _, err := rec.Record(context.Background(), rx); err != nil {
		t.Fatal(err)
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Close()
	as, _ := msglog.ListArchives(filepath.Join(dir, "a"))
	var recs []*msglog.Record
	msglog.ReadArchive(as[0].Path, nil, func(_ string, _ []byte, r *msglog.Record) error { recs = append(recs, r); return nil })
	if len(recs) != 2 {
		t.Fatalf("%d records archived, want 2", len(recs))
	}
	got := recs[0]
	ex := got.Exchange
	if ex.Protocol != "soap" || ex.Client != x.Client {
		t.Errorf("SOAP record: protocol %q client %q", ex.Protocol, ex.Client)
	}
	if r := recs[1].Exchange; r.Protocol != "rest" || r.Client != rx.Client || r.Request.XRoadHeader != "" {
		t.Errorf("REST record: protocol %q client %q header %q", r.Protocol, r.Client, r.Request.XRoadHeader)
	}
	if msglog.ID(got.Seq) != id || ex.Check != "tax-debt" || ex.UserID != x.UserID || ex.Officer != "12345678901234" || ex.Issue != "tender-42" ||
		string(ex.Request.Body) != soapReq || !strings.Contains(ex.Request.XRoadHeader, "<xrd:issue>tender-42</xrd:issue>") || string(ex.Response.Body) != "<resp/>" || ex.Response.Status != 200 ||
		ex.Finished.Sub(ex.Started) != 1500*time.Millisecond || ex.Request.ContentType != "text/xml" || len(ex.Request.Headers) != 2 {
		t.Fatalf("archived record %+v", ex)
	}
}
