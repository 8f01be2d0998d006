// Package hashchain builds and verifies X-Road hash chains: the Merkle trees
// X-Road uses to cover a batch of messages with one signature (sig-hashchain)
// or one RFC 3161 time-stamp (ts-hashchain).
//
// The format is X-Road's (namespace http://cyber.ee/hashchain, schema
// hashchain.xsd). A HashStep's value is the DER encoding of
//
//	DigestList   ::= SEQUENCE OF SingleDigest
//	SingleDigest ::= SEQUENCE { digest OCTET STRING,
//	                            digestMethod UTF8String, -- algorithm URI
//	                            transforms SEQUENCE {} } -- always empty
//
// with one SingleDigest per HashValue, StepRef or DataRef child, in document
// order. A HashChainResult names the top step and holds H(DER of that step).
//
// The package is pure: it hashes bytes it is given and reads other chain
// files and data only through a caller's [Resolver]. Non-goals: XML schema
// validation beyond the structure hashchain.xsd imposes, and the
// EvidenceRecord (RFC 4998) variant of newer X-Road versions.
//
// XML input limits: every document read into a tree here is first checked
// by internal/xmlguard in one linear pass — at most 16 MiB, nesting 128,
// 256 attributes per element, no repeated attribute (etree would keep the
// last one silently, X-Road's parser refuses it), no DTD.
// Chains themselves are bounded further (steps, digest sizes; see Limits
// in verify.go), and the container entries they come from by asic.Limits.
package hashchain

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // register SHA-256
	"crypto/sha512"   // registers SHA-384, SHA-512
	"fmt"
)

// Namespaces used in hash chain documents.
const (
	NS      = "http://cyber.ee/hashchain"
	NSDsig  = "http://www.w3.org/2000/09/xmldsig#"
	NSC14N  = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	NSC14NC = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
)

// Digest algorithm URIs (XML Encryption / XML Signature).
const (
	SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

// HashOf maps a digest algorithm URI to its hash function.
func HashOf(uri string) (crypto.Hash, error) {
	switch uri {
	case SHA256:
		return crypto.SHA256, nil
	case SHA384, "http://www.w3.org/2001/04/xmlenc#sha384":
		return crypto.SHA384, nil
	case SHA512:
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("hashchain: unsupported digest algorithm %q", uri)
}

// URIOf maps a hash function to its digest algorithm URI.
func URIOf(h crypto.Hash) (string, error) {
	switch h {
	case crypto.SHA256:
		return SHA256, nil
	case crypto.SHA384:
		return SHA384, nil
	case crypto.SHA512:
		return SHA512, nil
	}
	return "", fmt.Errorf("hashchain: unsupported hash %v", h)
}

// Digest is a digest value together with the URI of the algorithm that
// produced it.
type Digest struct {
	Method string // algorithm URI, e.g. SHA512
	Value  []byte
}

// DigestList returns the DER encoding of an X-Road DigestList holding the
// given digests, in order.
func DigestList(ds ...Digest) []byte {
	var body []byte
	for _, d := range ds {
		var inner []byte
		inner = appendTLV(inner, 0x04, d.Value)
		inner = appendTLV(inner, 0x0c, []byte(d.Method))
		inner = append(inner, 0x30, 0x00) // transforms: empty SEQUENCE
		body = appendTLV(body, 0x30, inner)
	}
	return appendTLV(nil, 0x30, body)
}

// StepDigest returns H(DigestList(values...)) where every value is
// labelled with h's URI: the digest of a Merkle node whose children are
// values. It panics if h is not SHA-256/384/512.
func StepDigest(h crypto.Hash, values ...[]byte) []byte {
	uri, err := URIOf(h)
	if err != nil {
		panic(err)
	}
	// DigestList(values labelled uri...) built in one buffer: a Merkle
	// tree of a batch computes one per node.
	var stack [512]byte
	body := 0
	for _, v := range values {
		body += tlvLen(tlvLen(len(v)) + tlvLen(len(uri)) + 2)
	}
	b := stack[:0]
	if n := tlvLen(body); n > len(stack) {
		b = make([]byte, 0, n)
	}
	b = appendHeader(b, 0x30, body)
	for _, v := range values {
		b = appendHeader(b, 0x30, tlvLen(len(v))+tlvLen(len(uri))+2)
		b = appendTLV(b, 0x04, v)
		b = appendHeader(b, 0x0c, len(uri))
		b = append(b, uri...)
		b = append(b, 0x30, 0x00) // transforms: empty SEQUENCE
	}
	return stepSum(h, b)
}

// stepSum hashes a step's DigestList; b stays on StepDigest's stack (the
// SHA-512 case, every node of a batch's tree, allocates only the digest).
func stepSum(h crypto.Hash, b []byte) []byte {
	if h == crypto.SHA512 {
		d := sha512.Sum512(b)
		return d[:]
	}
	return sum(h, bytes.Clone(b))
}

// tlvLen is the length of a DER TLV with n bytes of value.
func tlvLen(n int) int {
	switch {
	case n < 0x80:
		return 2 + n
	case n < 0x100:
		return 3 + n
	case n < 0x10000:
		return 4 + n
	case n < 0x1000000:
		return 5 + n
	}
	return 6 + n
}

// appendHeader appends a DER tag and length.
func appendHeader(dst []byte, tag byte, n int) []byte {
	dst = append(dst, tag)
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n < 0x100:
		return append(dst, 0x81, byte(n))
	case n < 0x10000:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func sum(h crypto.Hash, b []byte) []byte {
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil)
}

func appendTLV(dst []byte, tag byte, v []byte) []byte {
	return append(appendHeader(dst, tag, len(v)), v...)
}
