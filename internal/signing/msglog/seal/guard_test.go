package seal_test

import (
	"bytes"
	"errors"
	"regexp"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic/asictest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
)

// TestParseRefusesDuplicateAttributes: a real signatures.xml whose first
// Reference repeats its URI attribute (etree alone would keep the second
// value) is a MalformedSignature; the original parses.
func TestParseRefusesDuplicateAttributes(t *testing.T) {
	seeds := asictest.Entries(t, "META-INF/signatures.xml")
	if len(seeds) == 0 {
		t.Skip("no signatures.xml in the corpus or testdata")
	}
	uri := regexp.MustCompile(`(<(?:ds:)?Reference[^>]*?)( URI="[^"]*")`)
	tried := 0
	for _, s := range seeds {
		if _, err := seal.Parse(s); err != nil {
			continue
		}
		loc := uri.FindSubmatchIndex(s)
		if loc == nil {
			continue
		}
		dup := bytes.Clone(s[:loc[5]])
		dup = append(dup, ` URI="/other.xml"`...)
		dup = append(dup, s[loc[5]:]...)
		_, err := seal.Parse(dup)
		var se *seal.Error
		if !errors.As(err, &se) || se.Code != seal.CodeMalformedSignature {
			t.Errorf("repeated URI attribute: %v, want MalformedSignature", err)
		}
		tried++
	}
	if tried == 0 {
		t.Fatal("no parsable signature with a Reference URI to mutate")
	}
}
