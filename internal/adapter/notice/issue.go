package notice

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotDelivered marks Issue's error when the notice is recorded and
// listed but a channel could not be reached after its retries.
var ErrNotDelivered = errors.New("notice: not delivered on every channel")

// Issuing is where Issue puts a notice.
type Issuing struct {
	// Log is the signed administrative log; nil records nothing signed
	// (the entry's SignedSeq stays 0).
	Log Appender
	// Release, when set, is called once the notice is recorded, before it
	// is sent: the log is not held through the channels' retries.
	Release func() error
	// Sender delivers the notice; Journal lists it with the outcome.
	Sender  *Sender
	Journal Journal
}

// Issue validates n, records it in the signed log, sends it on every
// channel and appends it with each channel's outcome to the journal, in
// that order: a notice is never sent that is not recorded. The entry is
// returned whenever the notice was recorded; when a channel failed the
// error wraps ErrNotDelivered (the notice is still recorded and listed).
func Issue(ctx context.Context, n Notice, to Issuing) (Entry, error) {
	entry := Entry{Notice: n}
	if err := n.Validate(); err != nil {
		return entry, err
	}
	var err error
	if to.Log != nil {
		entry.SignedSeq, err = Record(ctx, to.Log, n)
	}
	if to.Release != nil {
		if rerr := to.Release(); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return entry, err
	}
	ds, sendErr := to.Sender.Send(ctx, n)
	entry.Deliveries = Entries(ds)
	if err := to.Journal.Append(entry); err != nil {
		return entry, err
	}
	if sendErr != nil {
		return entry, fmt.Errorf("%w: %w", ErrNotDelivered, sendErr)
	}
	return entry, nil
}
