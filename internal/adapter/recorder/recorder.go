// Package recorder records the gateway's and the provider's exchanges in
// the signed message log: Recorder implements exchange.Recorder by
// appending each exchange to a *msglog.Log, so Record returns only once the
// exchange is durable (fsynced), and the id it returns ("mlog:<seq>") names
// the signed record the portal's evidence points to. The log is the one
// durable store of exchanges.
//
// The protocol and the X-Road header fields come from the exchange as the
// runner or the provider filled it from the message they already hold;
// nothing is guessed from the URL or parsed a second time.
//
// It lives in adapter/, not under signing/, so that nothing under signing/
// depends on the adapter: the log knows records, the adapter knows how an
// exchange becomes one.
package recorder

import (
	"context"
	"sort"

	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// Recorder appends exchanges to a message log.
type Recorder struct {
	// Log is the open message log.
	Log *msglog.Log
	// Member is our side's X-Road identifier (the gateway's client
	// subsystem); archives are grouped by it.
	Member string
	// Direction is "consumer" for the gateway, "provider" for the provider.
	Direction string
}

var _ exchange.Recorder = (*Recorder)(nil)

// Record appends x and returns its record id once it is durable. When the
// log's queue is full it waits (bounded by the log's QueueWait and ctx);
// errors then wrap msglog.ErrBackpressure.
func (r *Recorder) Record(ctx context.Context, x *exchange.Exchange) (string, error) {
	seq, err := r.Log.Append(ctx, Convert(x, r.Member, r.Direction))
	if err != nil {
		return "", err
	}
	return msglog.ID(seq), nil
}

// Convert maps an exchange to a log record.
func Convert(x *exchange.Exchange, member, direction string) *msglog.Record {
	client := x.Client
	if client == "" {
		client = member
	}
	protocol := x.Protocol
	if protocol == "" {
		protocol = exchange.SOAP
	}
	ex := &msglog.Exchange{
		Direction: direction, Protocol: protocol, Check: x.Check,
		MessageID: x.MessageID, Client: client, Service: x.Service,
		UserID: x.UserID, Officer: x.Officer, Issue: x.Issue, RequestHash: x.RequestHash, Caller: x.Caller,
		Started: x.Time, Finished: x.Time.Add(x.Duration),
		Outcome: x.Outcome, Fault: x.FaultCode,
		Subjects: x.Subjects, RequestID: x.RequestID, TraceParent: x.TraceParent,
		Request: message(&x.Request),
	}
	if x.Response != nil {
		ex.Response = message(x.Response)
	}
	return &msglog.Record{Type: msglog.TypeExchange, Time: x.Time, Member: member, Exchange: ex}
}

func message(m *exchange.Message) msglog.Message {
	out := msglog.Message{Method: m.Method, URL: m.URL, Status: m.Status, Body: m.Body,
		ContentType: m.Header.Get("Content-Type"), XRoadHeader: m.XRoadHeader}
	if len(m.Header) == 0 {
		return out
	}
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
