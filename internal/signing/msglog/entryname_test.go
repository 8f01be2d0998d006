package msglog

import (
	"fmt"
	"testing"
)

func TestEntryName(t *testing.T) {
	for _, seq := range []uint64{0, 1, 42, 1 << 40, 18446744073709551615} {
		if got, want := entryName(seq, "request"), fmt.Sprintf("%020d-%s.asice", seq, "request"); got != want {
			t.Errorf("entryName(%d) = %q, want %q", seq, got, want)
		}
	}
}
