package evidence

import (
	"encoding/json"
	"testing"

	"github.com/tunduk-kg/tunduk/signing/receipt"
)

// TestLineJSON: a statements.jsonl line written without reflection is
// json.Marshal's, byte for byte, with and without a batch.
func TestLineJSON(t *testing.T) {
	st := json.RawMessage(`{"origin":"o","recordId":"r","seq":7}`)
	for _, ln := range []line{
		{Seq: 7, Statement: st, Signature: []byte{1, 2, 3, 250}},
		{Seq: 1 << 40, Statement: st, Signature: []byte("sig"), Batch: &receipt.Batch{Index: 2, Size: 5, Proof: [][]byte{{1}, {2, 3}}}},
		{Seq: 0, Statement: st, Signature: []byte("s"), Batch: &receipt.Batch{Index: 0, Size: 2}},
	} {
		want, err := json.Marshal(ln)
		if err != nil {
			t.Fatal(err)
		}
		if got := ln.appendJSON(nil); string(got) != string(want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}
