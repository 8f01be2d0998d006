package msglog_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

func TestRecordXMLRoundTrip(t *testing.T) {
	tricky := "a<b>&c\"d'e\tf\ng\rh — кыргыз"
	recs := []*msglog.Record{
		{Seq: 7, Type: msglog.TypeExchange, Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Member: "central-server/GOV/70000001/portal",
			Exchange: &msglog.Exchange{
				Direction: "consumer", Protocol: "rest", Check: "tax-debt", MessageID: tricky, Client: "c", Service: "s", UserID: "u", Issue: tricky,
				RequestHash: "h", Caller: "portal", Officer: "o", Subjects: []string{"01234567890123", "98765432109876"},
				Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Finished: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC),
				Outcome: "fault", Fault: "Server.X: " + tricky,
				Request: msglog.Message{Method: "POST", URL: "http://ss/?a=1&b=<2>", ContentType: "text/xml; charset=utf-8", Size: 3, Digest: "SHA-512:x", BodyRef: "/attachment1",
					Headers: []msglog.Header{{Name: "X-Road-Client", Value: tricky}}, XRoadHeader: "<SOAP-ENV:Header>\n\t<x/></SOAP-ENV:Header>"},
				Response: msglog.Message{Status: 500, Size: 0, Digest: "SHA-512:y"},
			}},
		{Type: msglog.TypeArchiveRead, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Event: &msglog.Event{Actor: "alice", Role: "auditor", Purpose: tricky, Action: "search", Outcome: "ok",
				Fields: []msglog.Field{{Name: "query", Value: tricky}, {Name: "results", Value: "3"}}}},
	}
	for _, r := range recs {
		data, err := msglog.MarshalRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := msglog.UnmarshalRecord(data, nil)
		if err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		got.XMLName = r.XMLName
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip differs:\n got %+v\nwant %+v\n%s", got, r, data)
		}
	}
	if _, err := msglog.MarshalRecord(&msglog.Record{Type: "x", Event: &msglog.Event{Action: "a\x01"}}); err == nil {
		t.Error("control character accepted")
	}
}
