package hashchain

import (
	"crypto/subtle"
	"encoding/base64"
	"sort"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/tunduk-kg/tunduk/internal/xmlguard"
)

// Limits that reject crafted chains; X-Road's builder never comes close
// (a chain has one step per tree level).
const (
	maxDepth  = 64
	maxSteps  = 1024
	maxValues = 10000
)

// Resolver returns the bytes behind a URI such as "/message.xml" or
// "/sig-hashchain.xml". ok=false declines: for a DataRef the chain's own
// digest is then used unchecked (X-Road does this for attachments that are
// not stored in a container); for a chain file it is an error.
type Resolver func(uri string) (data []byte, ok bool)

// Verify checks a HashChainResult document against the chains and data it
// references. inputs maps data URIs to digests the caller vouches for; a
// nil digest means "resolve the URI and hash it". Every input must be
// referenced by the chain. Failures are *Error values with X-Road's codes.
func Verify(result []byte, resolve Resolver, inputs map[string]*Digest) error {
	res, err := ParseResult(result)
	if err != nil {
		return err
	}
	return VerifyResult(res, resolve, inputs)
}

// VerifyResult is Verify for a result document already parsed with
// ParseResult: the containers of a batch share one, so a verifier parses
// it once.
func VerifyResult(res *Result, resolve Resolver, inputs map[string]*Digest) error {
	v := &verifier{resolve: resolve, inputs: inputs, chains: map[string]*chain{},
		done: map[string][]byte{}, active: map[string]bool{}, used: map[string]bool{}}
	step, err := v.step(res.URI, nil)
	if err != nil {
		return err
	}
	h, err := HashOf(res.Method)
	if err != nil {
		return errf(CodeMalformedHashChain, res.URI, "%v", err)
	}
	if subtle.ConstantTimeCompare(sum(h, step), res.Value) != 1 {
		return errf(CodeInvalidHashChain, res.URI, "hash chain result does not match hash chain calculation")
	}
	var unused []string
	for uri := range inputs {
		if !v.used[uri] {
			unused = append(unused, uri)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return errf(CodeHashChainUnusedInputs, "", "inputs not referenced by hash chain: %s", strings.Join(unused, ", "))
	}
	return nil
}

type verifier struct {
	resolve Resolver
	inputs  map[string]*Digest
	chains  map[string]*chain
	done    map[string][]byte
	active  map[string]bool
	used    map[string]bool
	steps   int
	values  int
}

func (v *verifier) step(uri string, cur *chain) ([]byte, error) {
	base, frag, hasFrag := strings.Cut(uri, "#")
	if !hasFrag || frag == "" {
		return nil, errf(CodeMalformedHashChain, uri, "invalid hash step URI")
	}
	if base == "" {
		if cur == nil {
			return nil, errf(CodeMalformedHashChain, uri, "invalid hash step URI")
		}
		base = cur.uri
	}
	full := base + "#" + frag
	if d, ok := v.done[full]; ok {
		return d, nil
	}
	if v.active[full] {
		return nil, errf(CodeMalformedHashChain, uri, "cycle in hash chain")
	}
	if len(v.active) >= maxDepth || v.steps >= maxSteps {
		return nil, errf(CodeMalformedHashChain, uri, "hash chain too deep or too long")
	}
	c, err := v.chain(base)
	if err != nil {
		return nil, err
	}
	st, ok := c.steps[frag]
	if !ok {
		return nil, errf(CodeMalformedHashChain, uri, "no hash step %q", frag)
	}
	v.active[full] = true
	v.steps++
	defer delete(v.active, full)
	if v.values+len(st) > maxValues {
		return nil, errf(CodeMalformedHashChain, uri, "hash chain has too many values")
	}
	v.values += len(st)
	ds := make([]Digest, len(st))
	for i, val := range st {
		d, err := v.value(val, c)
		if err != nil {
			return nil, err
		}
		ds[i] = d
	}
	out := DigestList(ds...)
	v.done[full] = out
	return out, nil
}

func (v *verifier) chain(uri string) (*chain, error) {
	if c, ok := v.chains[uri]; ok {
		return c, nil
	}
	data, ok := v.resolve(uri)
	if !ok {
		return nil, errf(CodeInvalidReference, uri, "cannot resolve hash chain")
	}
	c, err := parseChain(data)
	if err != nil {
		return nil, err
	}
	c.uri = uri
	v.chains[uri] = c
	return c, nil
}

func (v *verifier) value(val value, c *chain) (Digest, error) {
	method := val.method
	if method == "" {
		method = c.defaultMethod
	}
	h, err := HashOf(method)
	if err != nil {
		return Digest{}, errf(CodeMalformedHashChain, val.uri, "%v", err)
	}
	switch val.kind {
	case kindHash:
		return Digest{Method: method, Value: val.digest}, nil
	case kindStep:
		s, err := v.step(val.uri, c)
		if err != nil {
			return Digest{}, err
		}
		return Digest{Method: method, Value: sum(h, s)}, nil
	}
	// DataRef
	if _, ok := v.inputs[val.uri]; ok {
		v.used[val.uri] = true
	}
	if in := v.inputs[val.uri]; in != nil && in.Method == method {
		return *in, nil
	}
	data, ok := v.resolve(val.uri)
	if !ok {
		return Digest{Method: method, Value: val.digest}, nil
	}
	if val.c14n != "" {
		data, err = canonicalize(data, val.c14n)
		if err != nil {
			return Digest{}, errf(CodeInvalidHashChainRef, val.uri, "transform: %v", err)
		}
	}
	d := sum(h, data)
	if subtle.ConstantTimeCompare(d, val.digest) != 1 {
		return Digest{}, errf(CodeInvalidHashChainRef, val.uri, "invalid digest value in hash chain reference")
	}
	return Digest{Method: method, Value: d}, nil
}

func canonicalize(data []byte, alg string) ([]byte, error) {
	if err := xmlguard.Check(data, xmlguard.Limits{}); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, err
	}
	root := doc.Root()
	if root == nil {
		return nil, errf(CodeInvalidHashChainRef, "", "no root element")
	}
	var c dsig.Canonicalizer
	switch alg {
	case NSC14N:
		c = dsig.MakeC14N10RecCanonicalizer()
	case NSC14NC:
		c = dsig.MakeC14N10WithCommentsCanonicalizer()
	case "http://www.w3.org/2001/10/xml-exc-c14n#":
		c = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	default:
		return nil, errf(CodeInvalidHashChainRef, "", "unsupported transform %q", alg)
	}
	return c.Canonicalize(root)
}

// DecodeBase64 decodes base64 text, ignoring whitespace (X-Road's Java
// writers wrap lines with CR LF).
func DecodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}
