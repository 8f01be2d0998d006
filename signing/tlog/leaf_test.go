package tlog

import (
	"bytes"
	"fmt"
	"testing"
)

// AppendHash is Hash, appended, for any number of attachments (on the
// stack up to 4, beyond on the heap).
func TestLeafAppendHash(t *testing.T) {
	for n := range 7 {
		atts := make([][]byte, n)
		for i := range atts {
			atts[i] = fmt.Appendf(nil, "attachment %d", i)
		}
		l := NewLeaf(uint64(40+n), []byte("<record/>"), atts...)
		if got := l.AppendHash([]byte("x")); !bytes.Equal(got, append([]byte("x"), l.Hash()...)) {
			t.Errorf("%d attachments: AppendHash %x, Hash %x", n, got[1:], l.Hash())
		}
	}
}
