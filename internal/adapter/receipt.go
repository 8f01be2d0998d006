package adapter

import (
	"encoding/json"
	"errors"
)

// ErrNoReceipt is returned (wrapped) by a Receipts source for a record it
// holds no receipt of (unknown id, journal records, signed log off).
var ErrNoReceipt = errors.New("adapter: no receipt for this record")

// Receipts hands out the current receipt of a signed message-log record
// (internal/signing/evidence behind it, wired in cmd/): the JSON of
// signing/receipt.Receipt and the check it was made for. from, when
// non-zero, asks for a consistency proof from a checkpoint of that size.
type Receipts interface {
	Receipt(recordID string, from uint64) (receipt json.RawMessage, check string, err error)
}
