package verify_test

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// TestXmlsec1 has an independent implementation (xmlsec1, libxml2 +
// OpenSSL) verify our batch signature: the container entries the
// references name are mapped with --url-map, the CA is the only trust.
func TestXmlsec1(t *testing.T) {
	xmlsec := corpus.RequireTool(t, "xmlsec1", "apt-get install xmlsec1")
	for _, rsaKey := range []bool{true, false} {
		p := newPKI(t, rsaKey)
		dir := t.TempDir()
		ca := filepath.Join(dir, "ca.pem")
		os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}), 0o600)
		for _, n := range []int{1, 4} { // direct signature, batch signature
			cont := writeBatch(t, p, messages(n, 500, "x"), false)[0]
			c, err := asic.Read(cont, asic.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			write := func(name string, b []byte) string {
				f := filepath.Join(dir, name)
				if err := os.WriteFile(f, b, 0o600); err != nil {
					t.Fatal(err)
				}
				return f
			}
			sig := write("signatures.xml", c.Signature)
			args := []string{"--verify", "--trusted-pem", ca,
				"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
				"--url-map:/message.xml", write("message.xml", c.Message)}
			if c.SigHashChainResult != nil {
				args = append(args, "--url-map:/sig-hashchainresult.xml", write("sig-hashchainresult.xml", c.SigHashChainResult))
			}
			args = append(args, sig)
			out, err := exec.Command(xmlsec, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("rsa=%v n=%d: xmlsec1 rejects our signature: %v\n%s\n%s", rsaKey, n, err, out, c.Signature)
			}
			// And it notices a changed message.
			bad := append([]byte{}, c.Message...)
			bad[len(bad)/2] ^= 1
			write("message.xml", bad)
			if c.SigHashChainResult != nil {
				write("sig-hashchainresult.xml", append(c.SigHashChainResult, ' '))
			}
			if out, err := exec.Command(xmlsec, args...).CombinedOutput(); err == nil {
				t.Fatalf("rsa=%v n=%d: xmlsec1 accepted a tampered entry\n%s", rsaKey, n, out)
			}
		}
	}
}
