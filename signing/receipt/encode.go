package receipt

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendStatement writes st as json.Marshal does (the bytes a statement
// signature covers), without reflection: promises are made for every
// record. Strings are escaped as encoding/json escapes them (see
// appendString); a time json.Marshal refuses fails with its error.
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

// statementSize bounds what appendStatement writes for st when no string
// needs an escape: the keys, quotes and commas, the longest seq and time,
// and the strings and digests themselves.
func statementSize(st *Statement) int {
	const fixed = len(`{"origin":"","recordId":"","seq":,"time":"","messageDigest":"","leafHash":""}`) +
		20 + len(time.RFC3339Nano) + // seq and time at their longest
		len(`,"check":"","answerDigest":"","messageId":"","requestHash":"","userId":"","issue":"","requestId":""`) +
		len(`,"subjects":[],"attachmentDigests":[]`) +
		len(`,"leaf":`) + 20 // leaf version at its longest
	n := fixed + len(st.Origin) + len(st.RecordID) + len(st.Check) + len(st.AnswerDigest) + len(st.MessageID) +
		len(st.RequestHash) + len(st.UserID) + len(st.Issue) + len(st.RequestID) +
		digestSize(st.MessageDigest) + digestSize(st.LeafHash)
	for _, s := range st.Subjects {
		n += len(s) + 3 // quotes, comma
	}
	for _, d := range st.AttachmentDigests {
		n += digestSize(d) + 1
	}
	return n
}

// digestSize bounds what appendBytes writes for d (quotes included).
func digestSize(d []byte) int { return base64.StdEncoding.EncodedLen(len(d)) + 4 }

func appendOpt(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

// jsonSafe holds the bytes json.Marshal copies into a string as they are:
// printable ASCII but '"', '\\' and the HTML characters '<', '>' and '&'
// (and DEL, which it leaves alone too).
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string exactly as json.Marshal does
// (encoding/json's appendString with HTML escaping): runs of safe bytes
// (jsonSafe) are copied whole, '"' '\\' \b \f \n \r \t get their short
// escapes, other control characters and '<' '>' '&' \u00XX, invalid UTF-8
// \ufffd, and U+2028 and U+2029 \u2028 and \u2029; other runes are
// copied.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
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
