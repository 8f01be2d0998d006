// Package recorder puts the gateway's exchange journal behind the signed
// message log: Recorder implements internal/adapter/journal.Recorder by appending
// each exchange to a *msglog.Log, so Record returns only once the exchange
// is durable, and the id it returns ("mlog:<seq>") names the signed record
// the portal's evidence points to.
//
// It lives in adapter/, not under signing/, so that nothing under signing/
// depends on the adapter: the log knows records, the adapter knows how an
// exchange becomes one.
package recorder

import (
	"context"
	"sort"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/adapter/journal"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/soap"
)

// Recorder appends journal exchanges to a message log.
type Recorder struct {
	// Log is the open message log.
	Log *msglog.Log
	// Member is our side's X-Road identifier (the gateway's client
	// subsystem); archives are grouped by it.
	Member string
	// Direction is "consumer" for the gateway, "provider" for the provider.
	Direction string
}

var _ journal.Recorder = (*Recorder)(nil)

// Record appends x and returns its record id once it is durable. Errors
// wrap msglog.ErrBackpressure when the log's queue is full.
func (r *Recorder) Record(ctx context.Context, x *journal.Exchange) (string, error) {
	seq, err := r.Log.Append(ctx, Convert(x, r.Member, r.Direction))
	if err != nil {
		return "", err
	}
	return msglog.ID(seq), nil
}

// Convert maps a journal exchange to a log record.
func Convert(x *journal.Exchange, member, direction string) *msglog.Record {
	ex := &msglog.Exchange{
		Direction: direction, Protocol: "soap", Check: x.Check,
		MessageID: x.MessageID, Client: member, Service: x.Service,
		UserID: x.UserID, Officer: x.Officer, Issue: x.Issue, RequestHash: x.RequestHash, Caller: x.Caller,
		Started: x.Time, Finished: x.Time.Add(x.Duration),
		Outcome: x.Outcome, Fault: x.FaultCode,
		Subjects: x.Subjects, RequestID: x.RequestID, TraceParent: x.TraceParent,
		Request: message(&x.Request),
	}
	if strings.Contains(x.Request.URL, "/r1/") {
		ex.Protocol = "rest"
	}
	if x.Response != nil {
		ex.Response = message(x.Response)
	}
	return &msglog.Record{Type: msglog.TypeExchange, Time: x.Time, Member: member, Exchange: ex}
}

func message(m *journal.Message) msglog.Message {
	out := msglog.Message{Method: m.Method, URL: m.URL, Status: m.Status, Body: m.Body, ContentType: m.Header.Get("Content-Type")}
	out.XRoadHeader = xroadHeader(m.Body, out.ContentType)
	names := make([]string, 0, len(m.Header))
	for n := range m.Header {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, v := range m.Header[n] {
			out.Headers = append(out.Headers, msglog.Header{Name: n, Value: v})
		}
	}
	return out
}

// xroadHeader returns the SOAP message's header fields, byte for byte, so
// they stay in message.xml even in metadata-only mode; "" when the body is
// not SOAP.
func xroadHeader(body []byte, contentType string) string {
	if len(body) == 0 || !strings.Contains(contentType, "xml") && !strings.Contains(contentType, "multipart") {
		return ""
	}
	msg, err := soap.ParseBytes(body, contentType, soap.Limits{})
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, f := range msg.HeaderFields() {
		b.Write(f.Raw)
		b.WriteByte('\n')
	}
	return b.String()
}
