package stack

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tunduk-kg/tunduk/internal/adapter"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// Receipts adapts the message log's evidence to the gateway (nil when ev
// is nil: the signed log is off and results carry no receipt).
func Receipts(ev *evidence.Log) adapter.Receipts {
	if ev == nil {
		return nil
	}
	return receipts{ev}
}

type receipts struct{ ev *evidence.Log }

func (r receipts) Receipt(recordID string, from uint64) (json.RawMessage, string, error) {
	seq, err := msglog.ParseID(recordID)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", adapter.ErrNoReceipt, err)
	}
	b, check, err := r.ev.ReceiptJSON(seq, from)
	if errors.Is(err, evidence.ErrUnknownRecord) {
		return nil, "", fmt.Errorf("%w: %v", adapter.ErrNoReceipt, err)
	}
	if err != nil {
		return nil, "", err
	}
	return b, check, nil
}

func (r receipts) Compact(recordID string) (json.RawMessage, error) {
	seq, err := msglog.ParseID(recordID)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", adapter.ErrNoReceipt, err)
	}
	return r.ev.AnswerJSON(seq)
}
