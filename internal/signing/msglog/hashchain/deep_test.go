package hashchain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
)

// TestDeepXML: hash chain documents nested 100,000 deep are refused as
// MalformedHashChain, through the fast reader (which hands deep documents
// to etree) and etree's depth limit.
func TestDeepXML(t *testing.T) {
	deep := strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000)
	result := `<ns2:HashChainResult xmlns:ns2="http://cyber.ee/hashchain" URI="/c.xml#STEP0">` + deep + `</ns2:HashChainResult>`
	chainDoc := `<ns2:HashChain xmlns:ns2="http://cyber.ee/hashchain"><ns2:HashStep id="STEP0">` + deep + `</ns2:HashStep></ns2:HashChain>`
	okResult := `<ns2:HashChainResult xmlns:ns2="http://cyber.ee/hashchain" xmlns="http://www.w3.org/2000/09/xmldsig#" URI="/c.xml#STEP0">` +
		`<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/><DigestValue>AAAA</DigestValue></ns2:HashChainResult>`
	for name, c := range map[string][2]string{"result": {result, chainDoc}, "chain": {okResult, chainDoc}} {
		err := hashchain.Verify([]byte(c[0]), func(string) ([]byte, bool) { return []byte(c[1]), true }, nil)
		if !errors.Is(err, &hashchain.Error{Code: hashchain.CodeMalformedHashChain}) {
			t.Errorf("%s: want MalformedHashChain, got %v", name, err)
		}
	}
}
