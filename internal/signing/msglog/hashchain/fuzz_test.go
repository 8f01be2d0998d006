package hashchain_test

import (
	"crypto"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// FuzzVerify: hash chain verification over untrusted result, chain and
// message documents never panics and fails only with X-Road's codes. The
// chain document answers for every URI but the message's.
func FuzzVerify(f *testing.F) {
	files := corpus.Files(f, "hashchain/hc-verifier*.xml")
	for n := 1; n <= 4; n++ {
		dir := fmt.Sprintf("hashchain/hc-verifier%d-", n)
		for name, chain := range files {
			if strings.HasPrefix(name, dir+"hashchain") && !strings.HasSuffix(name, "result.xml") && files[dir+"hashchainresult.xml"] != nil {
				f.Add(files[dir+"hashchainresult.xml"], chain, files[dir+"message.xml"])
			}
		}
	}
	b, _ := hashchain.NewBuilder(crypto.SHA512)
	msg := []byte("<m/>")
	for i := 0; i < 5; i++ {
		d := crypto.SHA512.New()
		if i == 2 {
			d.Write(msg)
		} else {
			d.Write([]byte{byte(i)})
		}
		b.Add(d.Sum(nil))
	}
	tree, _ := b.Finish()
	f.Add(tree.Result("/sig-hashchain.xml"), tree.Chain(2, "/message.xml"), msg)
	f.Fuzz(func(t *testing.T, result, chain, message []byte) {
		resolve := func(uri string) ([]byte, bool) {
			if uri == "/message.xml" {
				return message, true
			}
			if strings.HasPrefix(uri, "/attachment") {
				return nil, false
			}
			return chain, true
		}
		err := hashchain.Verify(result, resolve, map[string]*hashchain.Digest{"/message.xml": nil})
		var he *hashchain.Error
		if err != nil && (!errors.As(err, &he) || he.Code == "") {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
