package hashchain

import (
	"bytes"
	"crypto"
	"testing"
)

// TestStepDigestIsDigestListHash: StepDigest, which builds the DER in one
// buffer, is H(DigestList(...)) for every hash, short and long values
// (long-form DER lengths) and one value.
func TestStepDigestIsDigestListHash(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		uri, _ := URIOf(h)
		for _, vals := range [][][]byte{{bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 64)}, {make([]byte, 300), {}, bytes.Repeat([]byte{3}, 70000)}, {{5}}} {
			ds := make([]Digest, len(vals))
			for i, v := range vals {
				ds[i] = Digest{Method: uri, Value: v}
			}
			if !bytes.Equal(StepDigest(h, vals...), sum(h, DigestList(ds...))) {
				t.Fatalf("%v, %d values: StepDigest differs from H(DigestList)", h, len(vals))
			}
		}
	}
}
