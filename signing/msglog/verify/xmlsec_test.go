package verify_test

import (
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic/asictest"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestXmlsec1 has an independent implementation (xmlsec1, libxml2 +
// OpenSSL) verify our batch signature: the container entries the
// references name are mapped with --url-map, the CA is the only trust.
func TestXmlsec1(t *testing.T) {
	corpus.RequireTool(t, "xmlsec1", "apt-get install xmlsec1")
	for _, rsaKey := range []bool{true, false} {
		p := newPKI(t, rsaKey)
		for _, n := range []int{1, 4} { // direct signature, batch signature
			cont := writeBatch(t, p, messages(n, 500, "x"), false)[0]
			c, err := asic.Read(cont, asic.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if out, err := asictest.Xmlsec1(t, p.ca, c); err != nil {
				t.Fatalf("rsa=%v n=%d: xmlsec1 rejects our signature: %v\n%s\n%s", rsaKey, n, err, out, c.Signature)
			}
			// And it notices a changed message.
			bad := append([]byte{}, c.Message...)
			bad[len(bad)/2] ^= 1
			c.Message = bad
			if c.SigHashChainResult != nil {
				c.SigHashChainResult = append(c.SigHashChainResult, ' ')
			}
			if out, err := asictest.Xmlsec1(t, p.ca, c); err == nil {
				t.Fatalf("rsa=%v n=%d: xmlsec1 accepted a tampered entry\n%s", rsaKey, n, out)
			}
		}
	}
}
