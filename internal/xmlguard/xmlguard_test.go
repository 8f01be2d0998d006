package xmlguard

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
)

func attrs(n int, dup bool) string {
	var b strings.Builder
	b.WriteString("<r")
	for i := range n {
		if dup && i == n-1 {
			b.WriteString(` a0="x"`)
			continue
		}
		fmt.Fprintf(&b, ` a%d="v"`, i)
	}
	b.WriteString("/>")
	return b.String()
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		doc  string
		lim  Limits
		want string // "" ⇒ accepted
	}{
		{"plain", `<a x="1"><b y="2">t</b></a>`, Limits{}, ""},
		{"dup of two", `<a x="1" x="2"/>`, Limits{}, "attribute x repeated"},
		{"dup prefixed", `<a xmlns:p="u" p:x="1" p:x="2"/>`, Limits{}, "attribute p:x repeated"},
		{"same local, other prefix", `<a xmlns:p="u" xmlns:q="v" p:x="1" q:x="2"/>`, Limits{}, ""},
		{"dup among many", attrs(200, true), Limits{}, "attribute a0 repeated"},
		{"many distinct", attrs(200, false), Limits{}, ""},
		{"too many attributes", attrs(300, false), Limits{}, "more than 256 attributes"},
		{"too deep", strings.Repeat("<a>", 129) + strings.Repeat("</a>", 129), Limits{}, "deeper than 128"},
		{"too many elements", "<r>" + strings.Repeat("<a/>", 11) + "</r>", Limits{MaxElements: 10}, "more than 10 elements"},
		{"too large", "<r>" + strings.Repeat(" ", 100) + "</r>", Limits{MaxBytes: 100}, "exceeds the limit of 100"},
		{"unclosed", "<r><a>", Limits{}, "xmlguard"},
		{"mismatched", "<r></a>", Limits{}, "xmlguard"},
	} {
		err := Check([]byte(c.doc), c.lim)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if err := Check([]byte(`<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>`), Limits{}); !errors.Is(err, ErrDTD) {
		t.Errorf("DTD: %v", err)
	}
}

// TestEtreeAloneTakesDuplicates is why the guard exists: etree keeps the
// last of two same-named attributes, so a signature reference could be
// read as one URI by us and refused (or read as the other) by X-Road.
func TestEtreeAloneTakesDuplicates(t *testing.T) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<Reference URI="/message.xml" URI="/other.xml"/>`); err != nil {
		t.Skipf("etree now refuses duplicate attributes itself: %v", err)
	}
	if got := doc.Root().SelectAttrValue("URI", ""); got != "/other.xml" {
		t.Logf("etree kept %q", got)
	}
	if err := Check([]byte(`<Reference URI="/message.xml" URI="/other.xml"/>`), Limits{}); err == nil {
		t.Fatal("guard accepted a duplicate attribute")
	}
}

// TestLinear: 40,000 distinct attributes (a limit raised out of the way)
// cost a set probe each, not a comparison with every earlier one.
func TestLinear(t *testing.T) {
	doc := []byte(attrs(40000, true))
	cpu0 := cputime.Require(t)
	err := Check(doc, Limits{MaxAttrs: 50000})
	cpu := cputime.Require(t) - cpu0
	if err == nil || !strings.Contains(err.Error(), "a0 repeated") {
		t.Fatalf("duplicate at the end of 40000: %v", err)
	}
	if cpu > 2*time.Second {
		t.Errorf("took %v of CPU", cpu)
	}
}
