package hashchain

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"errors"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// Builder collects the input digests of a batch and builds X-Road's Merkle
// tree over them, so that every input gets a hash chain leading to one top
// hash. The tree shape is X-Road's (HashChainBuilder): a complete binary
// tree stored as an array, with lone nodes promoted rather than duplicated,
// so chains written here verify in X-Road and the other way round.
//
// Use [NewBuilder], [Builder.Add] once per message, then [Builder.Finish].
type Builder struct {
	h      crypto.Hash
	uri    string
	inputs [][]byte
	multi  map[int][][]byte
}

// NewBuilder returns a builder hashing with h (SHA-256, SHA-384 or SHA-512).
func NewBuilder(h crypto.Hash) (*Builder, error) {
	uri, err := URIOf(h)
	if err != nil {
		return nil, err
	}
	return &Builder{h: h, uri: uri, multi: map[int][][]byte{}}, nil
}

// Add adds one input: the digest of the message, followed by the digests
// of its attachments (attachment1, attachment2, … in order). All digests
// must have been computed with the builder's hash.
func (b *Builder) Add(message []byte, attachments ...[]byte) {
	if len(attachments) == 0 {
		b.inputs = append(b.inputs, message)
		return
	}
	parts := append([][]byte{message}, attachments...)
	b.multi[len(b.inputs)] = parts
	b.inputs = append(b.inputs, StepDigest(b.h, parts...))
}

// Len is the number of inputs added so far.
func (b *Builder) Len() int { return len(b.inputs) }

// ErrSingleInput is returned by Finish for a batch of one message without
// attachments: X-Road signs such a message directly, without a hash chain.
var ErrSingleInput = errors.New("hashchain: a single input without attachments needs no hash chain")

// Tree is a finished Merkle tree.
type Tree struct {
	h      crypto.Hash
	uri    string
	inputs [][]byte
	multi  map[int][][]byte
	nodes  [][]byte
	max    int
	// b64 caches the base64 of nodes for ChainURIs.
	b64 [][]byte
}

// Finish computes the tree.
func (b *Builder) Finish() (*Tree, error) {
	n := len(b.inputs)
	if n == 0 {
		return nil, errors.New("hashchain: no inputs")
	}
	if n == 1 && len(b.multi) == 0 {
		return nil, ErrSingleInput
	}
	t := &Tree{h: b.h, uri: b.uri, inputs: b.inputs, multi: b.multi}
	t.nodes = make([][]byte, (1<<ceilLog2(n))-1)
	t.max = len(t.nodes) + n
	if n < 2 {
		return t, nil
	}
	for i := 0; i+1 < n; i += 2 {
		t.nodes[parent(len(t.nodes)+i)] = StepDigest(t.h, t.inputs[i], t.inputs[i+1])
	}
	for start := len(t.nodes) / 2; start > 0; start /= 2 {
		end := 2 * start
		for i := start; i < end && t.nodes[i] != nil && t.nodes[i+1] != nil; i += 2 {
			t.nodes[parent(i)] = StepDigest(t.h, t.nodes[i], t.nodes[i+1])
		}
	}
	t.fix(0)
	return t, nil
}

// Top is the tree's top hash: what the batch signature covers (through
// the HashChainResult document).
func (t *Tree) Top() []byte {
	if len(t.inputs) == 1 {
		return t.inputs[0]
	}
	return t.nodes[0]
}

// Len is the number of inputs (messages) in the tree.
func (t *Tree) Len() int { return len(t.inputs) }

// Result returns the HashChainResult document naming STEP0 of chainURI
// (e.g. "/sig-hashchain.xml") and holding the top hash.
func (t *Tree) Result(chainURI string) []byte {
	var w bytes.Buffer
	w.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	w.WriteString(`<ns2:HashChainResult URI="` + xmlAttr(chainURI+"#STEP0") + `" xmlns="` + NSDsig + `" xmlns:ns2="` + NS + `">` + "\n")
	w.WriteString(`    <DigestMethod Algorithm="` + t.uri + `"/>` + "\n")
	w.WriteString(`    <DigestValue>` + base64.StdEncoding.EncodeToString(t.Top()) + `</DigestValue>` + "\n")
	w.WriteString(`</ns2:HashChainResult>`)
	return w.Bytes()
}

// EncodeAll computes the base64 of every node and input now, which
// ChainURIs otherwise caches as it goes: after it, ChainURIs only reads
// the tree and is safe for concurrent use (rotation writes a batch's
// chains on all cores).
func (t *Tree) EncodeAll() {
	if t.b64 == nil {
		t.b64 = make([][]byte, t.max)
	}
	for idx := range t.b64 {
		if d := t.get(idx); d != nil && t.b64[idx] == nil {
			enc := make([]byte, base64.StdEncoding.EncodedLen(len(d)))
			base64.StdEncoding.Encode(enc, d)
			t.b64[idx] = enc
		}
	}
}

// Chain returns the hash chain document for input i, whose message is
// referenced as dataURI (e.g. "/message.xml"; attachments are
// "/attachment1", …).
func (t *Tree) Chain(i int, dataURI string) []byte {
	return t.ChainURIs(i, []string{dataURI})
}

// ChainURIs is Chain with the URIs of input i's parts given: uris[0] is
// the message, uris[k] the k-th further part; a missing or empty uris[k]
// is "/attachmentK". tunduk's containers name their exchange metadata
// this way. Chain and ChainURIs are not safe for concurrent use, unless
// EncodeAll was called first.
func (t *Tree) ChainURIs(i int, uris []string) []byte {
	return t.AppendChainURIs(make([]byte, 0, t.ChainSize(i, uris)), i, uris)
}

// ChainSize is at least the length of ChainURIs(i, uris).
func (t *Tree) ChainSize(i int, uris []string) int {
	// A HashStep of the path is under 300 bytes with a 64-byte digest
	// (88 in base64); the input's own step has a DataRef per part.
	n := 256 + len(t.uri) + ceilLog2(len(t.inputs))*(300+len(uris[0]))
	for k := range max(len(t.multi[i]), 1) {
		l := len("/attachment") + 5
		if k < len(uris) {
			l = max(l, 6*len(uris[k])) // "&quot;" at worst
		}
		n += 200 + l
	}
	return n
}

// AppendChainURIs appends ChainURIs(i, uris) to w.
func (t *Tree) AppendChainURIs(w []byte, i int, uris []string) []byte {
	dataURI := uris[0]
	w = append(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<ns2:HashChain xmlns="`+NSDsig+`" xmlns:ns2="`+NS+`">`+"\n"+
		`    <ns2:DefaultDigestMethod Algorithm="`...)
	w = append(w, t.uri...)
	w = append(w, `"/>`+"\n"...)
	step := 0
	if len(t.inputs) > 1 {
		node := 0
		level := ceilLog2(len(t.inputs)) - 1
		for node < len(t.nodes) {
			dir := (i >> uint(level)) & 1
			mine := child(node, dir)
			other := child(node, 1-dir)
			for t.get(mine) == nil && mine < t.max {
				mine = child(mine, 0)
				level--
			}
			w = append(w, `    <ns2:HashStep id="STEP`...)
			w = strconv.AppendInt(w, int64(step), 10)
			w = append(w, `">`+"\n"...)
			ref := func(w []byte) []byte {
				if mine >= len(t.nodes) && t.multi[i] == nil {
					return appendDataRef(w, dataURI, t.get(mine))
				}
				w = append(w, `        <ns2:StepRef URI="#STEP`...)
				w = strconv.AppendInt(w, int64(step+1), 10)
				return append(w, `"/>`+"\n"...)
			}
			if dir == 0 {
				w = ref(w)
				w = t.appendHashValue(w, other)
			} else {
				w = t.appendHashValue(w, other)
				w = ref(w)
			}
			w = append(w, "    </ns2:HashStep>\n"...)
			step++
			node = mine
			level--
		}
	}
	if parts := t.multi[i]; parts != nil {
		w = append(w, `    <ns2:HashStep id="STEP`...)
		w = strconv.AppendInt(w, int64(step), 10)
		w = append(w, `">`+"\n"...)
		for k, p := range parts {
			uri := dataURI
			if k > 0 {
				uri = "/attachment" + strconv.Itoa(k)
				if k < len(uris) && uris[k] != "" {
					uri = uris[k]
				}
			}
			w = appendDataRef(w, uri, p)
		}
		w = append(w, "    </ns2:HashStep>\n"...)
	}
	return append(w, `</ns2:HashChain>`...)
}

// appendHashValue appends the HashValue of node idx (deep: a promoted
// lone subtree's value). The base64 of the tree's nodes is computed once
// per node, as every chain of a batch repeats the upper levels.
func (t *Tree) appendHashValue(w []byte, idx int) []byte {
	for t.get(idx) == nil && idx < t.max {
		idx = child(idx, 0)
	}
	if t.b64 == nil {
		t.b64 = make([][]byte, t.max)
	}
	var enc []byte
	if idx < t.max {
		enc = t.b64[idx]
		if enc == nil {
			d := t.get(idx)
			enc = make([]byte, base64.StdEncoding.EncodedLen(len(d)))
			base64.StdEncoding.Encode(enc, d)
			t.b64[idx] = enc
		}
	}
	w = append(w, "        <ns2:HashValue>\n            <DigestValue>"...)
	w = append(w, enc...)
	return append(w, "</DigestValue>\n        </ns2:HashValue>\n"...)
}

func appendDataRef(w []byte, uri string, d []byte) []byte {
	w = append(w, `        <ns2:DataRef URI="`...)
	w = appendXMLAttr(w, uri)
	w = append(w, `">`+"\n"+`            <DigestValue>`...)
	w = base64.StdEncoding.AppendEncode(w, d)
	return append(w, `</DigestValue>`+"\n"+"        </ns2:DataRef>\n"...)
}

// appendXMLAttr appends s escaped for an attribute value, as xmlAttr.
func appendXMLAttr(w []byte, s string) []byte {
	if !utf8.ValidString(s) {
		return append(w, xmlAttr(s)...) // invalid bytes become U+FFFD
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&':
			w = append(w, "&amp;"...)
		case '<':
			w = append(w, "&lt;"...)
		case '"':
			w = append(w, "&quot;"...)
		default:
			w = append(w, s[i])
		}
	}
	return w
}

func xmlAttr(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fix computes the nodes an incomplete tree left empty, promoting a lone
// left subtree instead of hashing it with nothing.
func (t *Tree) fix(idx int) []byte {
	if idx >= t.max {
		return nil
	}
	if v := t.get(idx); v != nil {
		return v
	}
	left := t.get(child(idx, 0))
	if left == nil {
		return t.fix(child(idx, 0))
	}
	right := t.fix(child(idx, 1))
	if right == nil {
		return left
	}
	t.nodes[idx] = StepDigest(t.h, left, right)
	return t.nodes[idx]
}

func (t *Tree) get(idx int) []byte {
	switch {
	case idx < len(t.nodes):
		return t.nodes[idx]
	case idx < t.max:
		return t.inputs[idx-len(t.nodes)]
	}
	return nil
}

func parent(i int) int   { return (i - 1) / 2 }
func child(i, n int) int { return 2*i + 1 + n }
func ceilLog2(n int) int { return bits.Len(uint(n - 1)) }
