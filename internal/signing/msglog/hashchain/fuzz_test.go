package hashchain_test

import (
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// FuzzVerify: hash chain verification over untrusted result, chain and
// message documents never panics and fails only with X-Road's codes. The
// chain document answers for every URI but the message's.
func FuzzVerify(f *testing.F) {
	if root := corpus.Root(); root != "" {
		dir := filepath.Join(root, "hashchain")
		rd := func(n string) []byte { b, _ := os.ReadFile(filepath.Join(dir, n)); return b }
		for _, n := range []string{"1", "2", "3", "4"} {
			res, _ := filepath.Glob(filepath.Join(dir, "hc-verifier"+n+"-hashchainresult.xml"))
			chains, _ := filepath.Glob(filepath.Join(dir, "hc-verifier"+n+"-hashchain*.xml"))
			for _, r := range res {
				for _, c := range chains {
					if !strings.HasSuffix(c, "result.xml") {
						f.Add(rd(filepath.Base(r)), rd(filepath.Base(c)), rd("hc-verifier"+n+"-message.xml"))
					}
				}
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
