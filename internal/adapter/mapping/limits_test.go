package mapping

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
)

// TestMaxAnswerBytes: the default is small (a supplier check's answer is a
// few KB); maxAnswerBytes raises or lowers it; nonsense is a problem with
// its line.
func TestMaxAnswerBytes(t *testing.T) {
	m, err := Parse("tax.yaml", []byte(wcfTax))
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxAnswerBytes != DefaultMaxAnswerBytes || DefaultMaxAnswerBytes > 1<<20 {
		t.Fatalf("default MaxAnswerBytes = %d", m.MaxAnswerBytes)
	}
	for in, want := range map[string]int64{"256KiB": 256 << 10, "2MiB": 2 << 20, "4096": 4096, "64 KB": 64 << 10} {
		m, err := Parse("tax.yaml", []byte(strings.Replace(wcfTax, "timeout: 5s\n", "timeout: 5s\nmaxAnswerBytes: "+in+"\n", 1)))
		if err != nil || m.MaxAnswerBytes != want {
			t.Errorf("maxAnswerBytes %s: got %v, %v; want %d", in, m, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "lots", "65MiB", "99999999999999999999"} {
		_, err := Parse("tax.yaml", []byte(strings.Replace(wcfTax, "timeout: 5s\n", "timeout: 5s\nmaxAnswerBytes: "+in+"\n", 1)))
		if err == nil || !strings.Contains(err.Error(), "maxAnswerBytes") || !strings.Contains(err.Error(), "tax.yaml:") {
			t.Errorf("maxAnswerBytes %s: got %v, want a problem naming the key and line", in, err)
		}
	}
}

// TestParseXMLTextLinear: an element whose text is split by 200,000
// comments (1.6 MB) is read in linear time; appending to a string per
// piece made this quadratic (≈ 20 GB copied, seconds of CPU).
func TestParseXMLTextLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("<r><a>")
	for range 200000 {
		b.WriteString("x<!---->")
	}
	b.WriteString("</a></r>")
	c0 := cputime.Require(t)
	root, err := parseXML([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := root.kids[0].text; len(got) != 200000 {
		t.Fatalf("text of %d bytes, want 200000", len(got))
	}
	if d := cputime.Require(t) - c0; d > 2*time.Second {
		t.Errorf("took %v of CPU, want well under a second", d)
	}
}

// TestParseXMLCaps: attributes per element and depth are capped.
func TestParseXMLCaps(t *testing.T) {
	var b strings.Builder
	b.WriteString("<r")
	for i := range maxAttrs + 1 {
		fmt.Fprintf(&b, ` a%d="1"`, i)
	}
	b.WriteString("/>")
	if _, err := parseXML([]byte(b.String())); err == nil || !strings.Contains(err.Error(), "attributes") {
		t.Errorf("%d attributes: %v", maxAttrs+1, err)
	}
	deep := strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1)
	if _, err := parseXML([]byte(deep)); err == nil {
		t.Errorf("depth %d accepted", maxDepth+1)
	}
}
