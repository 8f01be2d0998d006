package adapter

import (
	"encoding/json"
	"errors"
)

// ErrNoReceipt is returned (wrapped) by a Receipts source for a record it
// holds no receipt of (unknown id, journal records, signed log off).
var ErrNoReceipt = errors.New("adapter: no receipt for this record")

// Receipts hands out the current receipt of a signed message-log record
// (internal/signing/evidence behind it, wired in cmd/): Receipt gives the
// full form (the JSON of signing/receipt.Receipt with the log's
// certificate, GET /v1/evidence/{recordId}) and the check it was made
// for; from, when non-zero, asks for a consistency proof from a
// checkpoint of that size. Compact gives the form a check's answer
// carries: the key named by keyId, no certificate.
type Receipts interface {
	Receipt(recordID string, from uint64) (receipt json.RawMessage, check string, err error)
	Compact(recordID string) (json.RawMessage, error)
}
