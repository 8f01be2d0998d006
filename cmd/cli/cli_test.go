package cli

import (
	"strconv"
	"strings"
	"testing"
)

// ParseArg stores what parses and turns what does not into a usage error
// naming the argument.
func TestParseArg(t *testing.T) {
	var n int
	if err := ParseArg("42", "N", strconv.Atoi, &n); err != nil || n != 42 {
		t.Fatalf("ParseArg(42) = %v, n = %d", err, n)
	}
	err := ParseArg("x", "N", strconv.Atoi, &n)
	if CodeOf(err) != ExitUsage || !strings.HasPrefix(err.Error(), "N: ") || n != 42 {
		t.Fatalf("ParseArg(x) = %v, n = %d; want a usage error naming N, n unchanged", err, n)
	}
}
