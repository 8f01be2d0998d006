package receipt

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/bits"
	"strconv"
)

// appendStatement writes st as json.Marshal does (the bytes a statement
// signature covers), without reflection: promises are made for every
// record. Strings needing escapes and times json.Marshal refuses fall
// back to encoding/json, so the output is always json.Marshal's.
func appendStatement(b []byte, st *Statement) ([]byte, error) {
	b = append(b, `{"origin":`...)
	b = appendString(b, st.Origin)
	b = append(b, `,"recordId":`...)
	b = appendString(b, st.RecordID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, st.Seq, 10)
	b = append(b, `,"time":"`...)
	b, err := st.Time.AppendText(b)
	if err != nil { // a year outside 0-9999: json.Marshal's error
		_, err = json.Marshal(st)
		return nil, err
	}
	b = append(b, '"')
	b = appendOpt(b, `,"check":`, st.Check)
	b = appendList(b, `,"subjects":[`, st.Subjects, appendString)
	b = appendOpt(b, `,"answerDigest":`, st.AnswerDigest)
	b = appendOpt(b, `,"messageId":`, st.MessageID)
	b = appendOpt(b, `,"requestHash":`, st.RequestHash)
	b = appendOpt(b, `,"userId":`, st.UserID)
	b = appendOpt(b, `,"issue":`, st.Issue)
	b = appendOpt(b, `,"requestId":`, st.RequestID)
	if st.LeafVersion != 0 {
		b = strconv.AppendInt(append(b, `,"leaf":`...), int64(st.LeafVersion), 10)
	}
	b = append(b, `,"messageDigest":`...)
	b = appendBytes(b, st.MessageDigest)
	b = appendList(b, `,"attachmentDigests":[`, st.AttachmentDigests, appendBytes)
	b = append(b, `,"leafHash":`...)
	b = appendBytes(b, st.LeafHash)
	return append(b, '}'), nil
}

// appendList writes key (`,"name":[`), the elements and `]`; nothing
// for none (omitempty).
func appendList[T any](b []byte, key string, xs []T, elem func([]byte, T) []byte) []byte {
	if len(xs) == 0 {
		return b
	}
	b = append(b, key...)
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(b, x)
	}
	return append(b, ']')
}

// statementSize is about what appendStatement writes for st, at least
// as much unless strings need escapes (the key names, numbers, time and
// digests take under 300 bytes with two digests).
func statementSize(st *Statement) int {
	n := 300 + len(st.Origin) + len(st.RecordID) + len(st.Check) + len(st.AnswerDigest) + len(st.MessageID) +
		len(st.RequestHash) + len(st.UserID) + len(st.Issue) + len(st.RequestID) + 48*len(st.AttachmentDigests)
	for _, s := range st.Subjects {
		n += len(s) + 3
	}
	return n
}

func appendOpt(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

// appendString writes s as a JSON string as json.Marshal does (HTML
// characters escaped, invalid UTF-8 replaced): printable ASCII that needs
// no escape is copied, anything else goes through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendBytes writes a []byte as json.Marshal does: null when nil, else
// standard base64 in quotes.
func appendBytes(b, d []byte) []byte {
	if d == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, d)
	return append(b, '"')
}

// batchTree returns the RFC 6962 root of the batch's leaf hashes and each
// leaf's inclusion proof (audit path, leaf to root), in one pass: the
// batches are small and built once, so the tree is computed recursively
// (RFC 6962 section 2.1: split at the largest power of two below n) rather
// than through an incremental tree.
func batchTree(leaves [][]byte) (root []byte, proofs [][][]byte) {
	n := len(leaves)
	depth := bits.Len(uint(n - 1))
	nodes := make([]byte, 0, 32*n) // the n-1 inner hashes
	paths := make([][]byte, n*depth)
	proofs = make([][][]byte, n)
	for i := range proofs {
		proofs[i] = paths[i*depth : i*depth : (i+1)*depth]
	}
	var build func(lo, hi int) []byte
	build = func(lo, hi int) []byte {
		if hi-lo == 1 {
			return leaves[lo]
		}
		k := 1 << (bits.Len(uint(hi-lo-1)) - 1)
		l, r := build(lo, lo+k), build(lo+k, hi)
		for i := lo; i < lo+k; i++ {
			proofs[i] = append(proofs[i], r)
		}
		for i := lo + k; i < hi; i++ {
			proofs[i] = append(proofs[i], l)
		}
		var buf [65]byte
		buf[0] = 1 // RFC 6962 node prefix
		copy(buf[1:], l)
		copy(buf[33:], r)
		d := sha256.Sum256(buf[:])
		at := len(nodes)
		nodes = append(nodes, d[:]...)
		return nodes[at:len(nodes):len(nodes)]
	}
	return build(0, n), proofs
}
