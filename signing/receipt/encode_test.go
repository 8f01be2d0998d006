package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// appendStatement must write exactly what json.Marshal writes: that is
// what a verifier re-marshals and checks the signature over.
func TestAppendStatementIsJSONMarshal(t *testing.T) {
	d := bytes.Repeat([]byte{0xfb}, 32)
	full := Statement{Origin: "tunduk.test/mlog", RecordID: "mlog:7", Seq: 7,
		Time:  time.Date(2026, 12, 5, 12, 0, 0, 123456789, time.UTC),
		Check: "tax-debt", Subjects: []string{"01503201010234", "22222222222222"}, AnswerDigest: "SHA-512:abc+/=",
		MessageID: "f3c1e2d0-1", RequestHash: "q+/w==", UserID: "KG12345678901234", Issue: "tender-2026-117/lot-3",
		RequestID: "req-1", MessageDigest: d, AttachmentDigests: [][]byte{d, d[:3]}, LeafHash: d}
	cases := map[string]Statement{
		"full":              full,
		"zero":              {},
		"empty digests":     {MessageDigest: []byte{}, LeafHash: []byte{}, AttachmentDigests: [][]byte{}, Subjects: []string{}},
		"nil attachment":    {AttachmentDigests: [][]byte{nil, {}}},
		"html and quotes":   {Origin: `a<b>&"c"\d`, Check: "<script>", Issue: "x&y", Subjects: []string{`"`, `\`}},
		"control and utf-8": {Origin: "line\nbreak\ttab\x00\x1f\x7f", UserID: "Кыргызстан ✓", RequestID: "bad\xff\xfeutf8", MessageID: "\u2028\u2029"},
		"time zone":         {Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("KGT", 6*3600))},
		"time nanos":        {Time: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)},
		"leaf version 2":    {Seq: 7, LeafVersion: 2, MessageDigest: d, LeafHash: d},
		"leaf version -1":   {LeafVersion: -1},
	}
	for name, st := range cases {
		want, err := json.Marshal(&st)
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		got, err := appendStatement([]byte("prefix"), &st)
		if err != nil || !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("%s: %v\n got %s\nwant prefix%s", name, err, got, want)
		}
		if n := statementSize(&st); n < len(want) && !strings.ContainsAny(string(want), `\\`) {
			t.Errorf("%s: statementSize %d, the statement has %d bytes", name, n, len(want))
		}
	}
	// A time json.Marshal refuses is refused with its error.
	bad := Statement{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, want := json.Marshal(&bad)
	if _, err := appendStatement(nil, &bad); err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("year 10000: %v, want %v", err, want)
	}
}

// appendString writes what json.Marshal writes for a string (which the
// encoder before the byte table fell back to for anything but plain
// ASCII): every byte alone and after a multi-byte rune, every pair of
// bytes, and random strings drawn from escapes, HTML characters, U+2028/9,
// multi-byte runes and broken UTF-8.
func TestAppendStringIsJSONMarshal(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, _ := json.Marshal(s)
		if got := appendString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("%q: got %s, want %s", s, got[1:], want)
		}
	}
	for c := range 256 {
		check(string([]byte{byte(c)}))
		check("ok" + string([]byte{byte(c)}) + "ok")
		check("ж" + string([]byte{byte(c)}))
		for d := range 256 {
			check(string([]byte{byte(c), byte(d)}))
		}
	}
	pieces := []string{"a", "Z", " ", "~", "\x7f", `"`, `\`, "<", ">", "&", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f",
		"\u2028", "\u2029", "\u2027", "\u202a", "ж", "✓", "😀", "\xff", "\xfe", "\xe2\x80", "\xf0\x9f\x98", "\xc0\xaf", "\xed\xa0\x80", "\ufffd"}
	rnd := rand.New(rand.NewPCG(16, 1))
	for range 20000 {
		var sb strings.Builder
		for range rnd.IntN(12) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		check(sb.String())
	}
}

// A statement signed before the byte-table encoder keeps its bytes: the
// SHA-256 of its encoding was taken from json.Marshal.
func TestAppendStatementPinned(t *testing.T) {
	d := bytes.Repeat([]byte{0xfb}, 32)
	st := Statement{Origin: "tunduk.test/mlog/KG/GOV/70000001", RecordID: "mlog:18446744073709551615", Seq: 1<<64 - 1,
		Time: time.Date(2026, 12, 6, 2, 50, 0, 120, time.UTC), Check: "tax-debt<&>", Subjects: []string{"Кыргызстан ✓", "tab\there", "\u2028"},
		AnswerDigest: "SHA-512:\"q\"", MessageID: "bad\xffutf8", RequestHash: "q+/w==", UserID: "\x00\x1f\x7f", Issue: "a\\b",
		RequestID: "req-1", MessageDigest: d, AttachmentDigests: [][]byte{d, nil, {}}, LeafHash: d[:31]}
	b, err := appendStatement(nil, &st)
	if err != nil {
		t.Fatal(err)
	}
	const want = "a0cd0b07e1e024f62b7fce988e331e47acd5de5c3dd44ffa1a0beb64ea6852ab"
	if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != want {
		t.Errorf("statement encoding changed: sha256 %s, want %s\n%s", got, want, b)
	}
}

func FuzzAppendStatement(f *testing.F) {
	f.Add("tunduk.test/mlog", "tax-debt", "<&>", int64(1764936000123456789), []byte{1, 2})
	f.Fuzz(func(t *testing.T, origin, check, issue string, nanos int64, digest []byte) {
		st := Statement{Origin: origin, Check: check, Issue: issue, Subjects: []string{issue, check},
			Time: time.Unix(0, nanos).UTC(), MessageDigest: digest, AttachmentDigests: [][]byte{digest}}
		want, werr := json.Marshal(&st)
		got, err := appendStatement(nil, &st)
		if (err == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("got %s (%v), want %s (%v)", got, err, want, werr)
		}
	})
}

// batchTree gives the root and inclusion proofs of an RFC 6962 tree, as
// signing/tlog's incremental tree does, for every batch size.
func TestBatchTree(t *testing.T) {
	for n := 1; n <= 70; n++ {
		leaves := make([][]byte, n)
		tr := tlog.NewTree()
		for i := range leaves {
			d := sha256.Sum256([]byte(fmt.Sprint(n, i)))
			leaves[i] = d[:]
			if err := tr.Append(leaves[i]); err != nil {
				t.Fatal(err)
			}
		}
		root, proofs := batchTree(leaves)
		want, _ := tr.Root(uint64(n))
		if !bytes.Equal(root, want) {
			t.Fatalf("n=%d: root %x, want %x", n, root, want)
		}
		for i := range leaves {
			wp, err := tr.InclusionProof(uint64(i), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%x", proofs[i]) != fmt.Sprintf("%x", wp) {
				t.Fatalf("n=%d leaf %d: proof %x, want %x", n, i, proofs[i], wp)
			}
		}
	}
}

// Promises signed as one batch verify, each with its place in the batch,
// and a statement moved to another place fails with promise-batch or
// statement-signature.
func TestNewPromisesVerify(t *testing.T) {
	signer, cert := certstest.Signing(t)
	for _, n := range []int{1, 2, 3, 5, 8, 13} {
		sts := make([]*Statement, n)
		for i := range sts {
			d := sha256.Sum256([]byte{byte(i)})
			sts[i] = &Statement{Origin: "tunduk.test/mlog", RecordID: fmt.Sprintf("mlog:%d", i+1), Seq: uint64(i + 1),
				Time: time.Date(2026, 12, 5, 12, 0, 0, i, time.UTC), Check: "tax-debt<&>", MessageDigest: d[:]}
			leaf, _ := sts[i].Leaf()
			sts[i].LeafHash = leaf.Hash()
		}
		rs, err := NewPromises(sts, signer, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			if (r.Batch != nil) != (n > 1) {
				t.Fatalf("n=%d: batch %v", n, r.Batch)
			}
			b, _ := json.Marshal(r)
			res, err := Verify(b, Options{Certificate: cert})
			if err != nil || res.Statement.Seq != uint64(i+1) {
				t.Fatalf("n=%d receipt %d: %v\n%s", n, i, err, b)
			}
			if n == 1 {
				continue
			}
			// Another statement of the batch in this one's place.
			moved := *r
			moved.Statement = rs[(i+1)%n].Statement
			b, _ = json.Marshal(&moved)
			if _, err := Verify(b, Options{Certificate: cert}); !errors.Is(err, &Error{Reason: ReasonStatementSignature}) {
				t.Errorf("n=%d receipt %d with the next statement: %v", n, i, err)
			}
		}
	}
}

// Statement.Leaf accepts leaf version 2 without attachment digests, or
// none (version 1); anything else is malformed.
func TestStatementLeafVersion(t *testing.T) {
	d := bytes.Repeat([]byte{7}, 32)
	for _, c := range []struct {
		st      Statement
		version int
		ok      bool
	}{
		{Statement{MessageDigest: d, AttachmentDigests: [][]byte{d}}, 0, true},
		{Statement{MessageDigest: d}, 0, true},
		{Statement{LeafVersion: 2, MessageDigest: d}, 2, true},
		{Statement{LeafVersion: 2, MessageDigest: d, AttachmentDigests: [][]byte{d}}, 0, false},
		{Statement{LeafVersion: 2, MessageDigest: d, AttachmentDigests: [][]byte{}}, 0, false},
		{Statement{LeafVersion: 1, MessageDigest: d}, 0, false}, // version 1 is spelled by omission
		{Statement{LeafVersion: 3, MessageDigest: d}, 0, false},
	} {
		l, err := c.st.Leaf()
		if (err == nil) != c.ok || (c.ok && l.Version != c.version) {
			t.Errorf("leaf %d with %d attachment digests: version %d, %v", c.st.LeafVersion, len(c.st.AttachmentDigests), l.Version, err)
		}
	}
}

// BenchmarkAppendStatement encodes a gateway record's statement (ASCII
// strings, two attachments), as every promise does.
func BenchmarkAppendStatement(b *testing.B) {
	d := bytes.Repeat([]byte{0xfb}, 32)
	st := Statement{Origin: "tunduk.test/mlog/KG/GOV/70000001", RecordID: "mlog:1234567", Seq: 1234567,
		Time: time.Date(2026, 12, 6, 2, 50, 0, 123456789, time.UTC), Check: "tax-debt", Subjects: []string{"01234567890123"},
		AnswerDigest: "SHA-512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
		MessageID:    "f3c1e2d0-8a4b-4c8e-9d7f-123456789abc", RequestHash: "q+/w==", UserID: "KG12345678901234", Issue: "tender-2026-117/lot-3",
		RequestID: "req-7f3a9c", MessageDigest: d, AttachmentDigests: [][]byte{d, d}, LeafHash: d}
	buf := make([]byte, 0, statementSize(&st))
	for b.Loop() {
		if _, err := appendStatement(buf[:0], &st); err != nil {
			b.Fatal(err)
		}
	}
}
