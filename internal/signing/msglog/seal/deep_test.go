package seal_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
)

// TestDeepXML: a signatures.xml nested 100,000 deep is refused as
// MalformedSignature (etree's depth limit), not parsed into a tree that
// canonicalization would then recurse through.
func TestDeepXML(t *testing.T) {
	doc := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">` + strings.Repeat("<a>", 100000) +
		strings.Repeat("</a>", 100000) + `</ds:Signature>`
	_, err := seal.Parse([]byte(doc))
	if !errors.Is(err, &seal.Error{Code: seal.CodeMalformedSignature}) {
		t.Fatalf("want MalformedSignature, got %v", err)
	}
}
