// Package notice tells the Tunduk operator about outages and planned works
// (DOMAIN.md §3.5: "notify the operator immediately of outages and planned
// works"): a Notice is recorded as an event in the signed administrative log
// (Record) and delivered to the configured channels, e-mail over SMTP with
// STARTTLS and HMAC-signed webhooks, with retries (Sender).
//
// Non-goals: a queue that survives restarts (a failed delivery is reported
// to the caller, who sends again), and receiving acknowledgements.
package notice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/soap"
)

// Kind is what a notice announces.
type Kind string

// Kinds of notice.
const (
	Outage      Kind = "outage"      // services are (or were) unavailable
	Maintenance Kind = "maintenance" // planned works
)

// TypeNotice is the signed log record type of a notice.
const TypeNotice msglog.Type = "notice"

// Notice is one announcement to the operator.
type Notice struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Services are the X-Road services concerned, slash form.
	Services []string `json:"services"`
	// From and To bound the outage or works (To zero: open-ended).
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
	Text string    `json:"text"`
	// Author is who issued it (the OS user of the command).
	Author  string    `json:"author,omitempty"`
	Created time.Time `json:"created"`
}

// MaxText bounds a notice's text.
const MaxText = 4000

// Validate reports what is wrong with n, with what to do.
func (n *Notice) Validate() error {
	var errs []error
	if n.Kind != Outage && n.Kind != Maintenance {
		errs = append(errs, fmt.Errorf("kind %q: use %s or %s", n.Kind, Outage, Maintenance))
	}
	if len(n.Services) == 0 {
		errs = append(errs, errors.New("no services: name the services concerned (--services id,id)"))
	}
	for _, s := range n.Services {
		if _, err := soap.ParseServiceID(s); err != nil {
			errs = append(errs, fmt.Errorf("service %q: %w", s, err))
		}
	}
	if n.From.IsZero() {
		errs = append(errs, errors.New("no start time (--from, RFC 3339)"))
	}
	if !n.To.IsZero() && n.To.Before(n.From) {
		errs = append(errs, fmt.Errorf("end %s is before start %s", n.To.Format(time.RFC3339), n.From.Format(time.RFC3339)))
	}
	if strings.TrimSpace(n.Text) == "" {
		errs = append(errs, errors.New("no text: say what happens and what users should do"))
	}
	if len(n.Text) > MaxText {
		errs = append(errs, fmt.Errorf("text of %d bytes is longer than %d", len(n.Text), MaxText))
	}
	if len(errs) > 0 {
		return fmt.Errorf("notice: %w", errors.Join(errs...))
	}
	return nil
}

// New fills in the id and creation time.
func New(n Notice, now time.Time) Notice {
	if n.ID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		n.ID = now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
	}
	if n.Created.IsZero() {
		n.Created = now.UTC()
	}
	return n
}

// Subject is the e-mail subject line.
func (n *Notice) Subject() string {
	what := "Outage"
	if n.Kind == Maintenance {
		what = "Planned maintenance"
	}
	return fmt.Sprintf("[Tunduk] %s from %s: %s", what, n.From.UTC().Format("2006-01-02 15:04 UTC"), strings.Join(n.Services, ", "))
}

// Body is the plain-text e-mail body.
func (n *Notice) Body() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nKind: %s\nServices:\n", n.Subject(), n.Kind)
	for _, s := range n.Services {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	fmt.Fprintf(&b, "From: %s\n", n.From.UTC().Format(time.RFC3339))
	if !n.To.IsZero() {
		fmt.Fprintf(&b, "To: %s\n", n.To.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "\n%s\n\nNotice id: %s\n", n.Text, n.ID)
	return b.String()
}

// Appender is where notices are recorded: a *msglog.Log (the signed
// administrative log).
type Appender interface {
	Append(ctx context.Context, r *msglog.Record) (uint64, error)
}

// Record appends n to the signed log and returns the record's sequence
// number, once it is durable.
func Record(ctx context.Context, log Appender, n Notice) (uint64, error) {
	if err := n.Validate(); err != nil {
		return 0, err
	}
	fields := []msglog.Field{{Name: "id", Value: n.ID}, {Name: "kind", Value: string(n.Kind)}, {Name: "from", Value: n.From.UTC().Format(time.RFC3339)}}
	if !n.To.IsZero() {
		fields = append(fields, msglog.Field{Name: "to", Value: n.To.UTC().Format(time.RFC3339)})
	}
	for _, s := range n.Services {
		fields = append(fields, msglog.Field{Name: "service", Value: s})
	}
	fields = append(fields, msglog.Field{Name: "text", Value: n.Text})
	seq, err := log.Append(ctx, &msglog.Record{Type: TypeNotice, Event: &msglog.Event{Actor: n.Author, Action: "notice-" + string(n.Kind), Outcome: "ok", Fields: fields}})
	if err != nil {
		return 0, fmt.Errorf("notice: recording in the signed log: %w", err)
	}
	return seq, nil
}
