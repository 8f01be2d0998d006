package hashchain_test

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// TestCorpus runs X-Road's HashChainVerifierTest cases from the conformance
// corpus (hashchain/EXPECTATIONS.md).
func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t, "hashchain")
	files := func(m map[string]string) hashchain.Resolver {
		return func(uri string) ([]byte, bool) {
			f, ok := m[uri]
			if !ok {
				return nil, false
			}
			return read(t, dir, f), true
		}
	}
	in := func(d []byte) *hashchain.Digest { return &hashchain.Digest{Method: hashchain.SHA256, Value: d} }
	msg1 := read(t, dir, "hc-verifier1-message.xml")
	cases := []struct {
		name     string
		result   string
		resolve  map[string]string
		declines bool
		inputs   map[string]*hashchain.Digest
		wantCode string
	}{
		{"simpleCorrect", "hc-verifier1-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier1-hashchain.xml", "/message.xml": "hc-verifier1-message.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": nil}, ""},
		{"simpleAttachedInput", "hc-verifier1-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier1-hashchain.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": in(sha(msg1))}, ""},
		{"simpleUnusedInputs", "hc-verifier1-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier1-hashchain.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": in(sha(msg1)), "/unused1": in(sha(msg1)), "/unused2": in(sha(msg1))},
			hashchain.CodeHashChainUnusedInputs},
		{"simpleDigestMismatch", "hc-verifier1-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier1-hashchain.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": in(sha(read(t, dir, "hc-verifier1-hashchain.xml")))},
			hashchain.CodeInvalidHashChain},
		{"simpleTwoHashChains", "hc-verifier4-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier4-hashchain1.xml", "/hashchain2.xml": "hc-verifier4-hashchain2.xml", "/message.xml": "hc-verifier4-message.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": nil}, ""},
		{"attachments", "hc-verifier2-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier2-hashchain.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": in([]byte{11}), "/attachment1": in([]byte{12}), "/attachment2": in([]byte{13}), "/attachment3": in([]byte{14})}, ""},
		{"attachmentsCannotResolve", "hc-verifier2-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier2-hashchain.xml"},
			true, map[string]*hashchain.Digest{"/message.xml": in([]byte{11})}, ""},
		{"transforms", "hc-verifier3-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier3-hashchain.xml", "/message.xml": "hc-verifier3-message.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": nil}, ""},
		{"transformsError", "hc-verifier3-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier3-hashchain-invalid.xml", "/message.xml": "hc-verifier3-message.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": nil}, hashchain.CodeInvalidHashChainRef},
		{"invalidSchema", "hc-verifier3-hashchainresult.xml",
			map[string]string{"/hashchain.xml": "hc-verifier5-hashchain-invalid-schema.xml", "/message.xml": "hc-verifier3-message.xml"},
			false, map[string]*hashchain.Digest{"/message.xml": nil}, hashchain.CodeMalformedHashChain},
	}
	pass := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := hashchain.Verify(read(t, dir, c.result), files(c.resolve), c.inputs)
			if c.wantCode == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				pass++
				return
			}
			var he *hashchain.Error
			if !errors.As(err, &he) || he.Code != c.wantCode {
				t.Fatalf("want %s, got %v", c.wantCode, err)
			}
			pass++
		})
	}
	t.Logf("hashchain corpus: %d of %d cases as expected", pass, len(cases))
}

// TestGlobalconfBatchChain is the hash-chain half of X-Road's
// SignatureVerifierTest.verifyValidSignatureHashChain (SHA-512).
func TestGlobalconfBatchChain(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "hashchain"), "globalconf-impl-signatures")
	resolve := func(uri string) ([]byte, bool) {
		switch uri {
		case "/sig-hashchain.xml":
			return read(t, dir, "hash-chain-1.xml"), true
		case "/message.xml":
			return read(t, dir, "message-1.xml"), true
		case "/attachment1":
			return []byte("blaah"), true
		}
		return nil, false
	}
	res := read(t, dir, "hash-chain-result.xml")
	if err := hashchain.Verify(res, resolve, map[string]*hashchain.Digest{"/message.xml": nil, "/attachment1": nil}); err != nil {
		t.Fatal(err)
	}
	r, err := hashchain.ParseResult(res)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(r.Value); got != "Vmegk1RCSyu5T2frByyNgEwFHE8BROxvwQ6gfkrCCVzxSbPQrWUrElnKI29pN1qd7xW4ibMJ8SToRFcBxeqZnA==" {
		t.Fatalf("result value %s", got)
	}
}

// TestBuilderVector is X-Road's HashChainBuilderTest.hashValues vector.
func TestBuilderVector(t *testing.T) {
	b, _ := hashchain.NewBuilder(crypto.SHA256)
	for _, s := range []string{"one", "two", "three", "four"} {
		b.Add(sha([]byte(s)))
	}
	tree, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(tree.Top()); got != "D7oIIfhfp4ToT729xyx991PvstI5XvpW+d7oeWvXw8E=" {
		t.Fatalf("top = %s", got)
	}
}

// TestBuildVerifyRoundTrip builds trees of many sizes, with and without
// attachments, and verifies every chain against the real data.
func TestBuildVerifyRoundTrip(t *testing.T) {
	for n := 1; n <= 19; n++ {
		for _, withAtt := range []bool{false, true} {
			if n == 1 && !withAtt {
				continue
			}
			b, _ := hashchain.NewBuilder(crypto.SHA512)
			msgs := make([][]byte, n)
			att := make([][]byte, n)
			for i := range msgs {
				msgs[i] = []byte{byte(i), byte(n), 'm'}
				att[i] = []byte{byte(i), byte(n), 'a'}
				mh, ah := sha512.Sum512(msgs[i]), sha512.Sum512(att[i])
				if withAtt && i%2 == 0 {
					b.Add(mh[:], ah[:])
				} else {
					b.Add(mh[:])
				}
			}
			tree, err := b.Finish()
			if err != nil {
				t.Fatal(err)
			}
			result := tree.Result("/sig-hashchain.xml")
			for i := range msgs {
				chain := tree.Chain(i, "/message.xml")
				files := map[string][]byte{"/sig-hashchain.xml": chain, "/message.xml": msgs[i], "/attachment1": att[i]}
				resolve := func(uri string) ([]byte, bool) { d, ok := files[uri]; return d, ok }
				inputs := map[string]*hashchain.Digest{"/message.xml": nil}
				if withAtt && i%2 == 0 {
					inputs["/attachment1"] = nil
				}
				if err := hashchain.Verify(result, resolve, inputs); err != nil {
					t.Fatalf("n=%d att=%v i=%d: %v\n%s", n, withAtt, i, err, chain)
				}
				// A different message must be detected.
				files["/message.xml"] = []byte("other")
				err := hashchain.Verify(result, resolve, inputs)
				if !errors.Is(err, &hashchain.Error{Code: hashchain.CodeInvalidHashChainRef}) {
					t.Fatalf("n=%d i=%d: tampered message gave %v", n, i, err)
				}
			}
		}
	}
}
