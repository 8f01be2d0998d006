package msglog

import (
	"bytes"
	"testing"
)

// withSeqParts, concatenated, is withSeq: the bytes the evidence's leaf
// digests are the bytes sealed.
func TestWithSeqParts(t *testing.T) {
	doc, err := MarshalRecord(&Record{Type: TypeExchange, Member: "KG/GOV/1", Exchange: &Exchange{MessageID: "m"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range [][]byte{doc, []byte("<other/>"), nil} {
		for _, seq := range []uint64{1, 42, 1 << 60} {
			if got := bytes.Join(withSeqParts(d, seq), nil); !bytes.Equal(got, withSeq(d, seq)) {
				t.Errorf("seq %d: %q, want %q", seq, got, withSeq(d, seq))
			}
		}
	}
}
