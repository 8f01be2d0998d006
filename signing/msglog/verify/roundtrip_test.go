package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// writeBatch signs and stamps msgs as one batch and returns the containers.
func writeBatch(t testing.TB, p *testPKI, msgs []seal.Message, stamp bool) [][]byte {
	t.Helper()
	seals, err := seal.SignBatch(p.signer, p.cert, msgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	sigs := make([][]byte, len(seals))
	for i, s := range seals {
		sigs[i] = s.Signature
	}
	var tss []*seal.Timestamp
	if stamp {
		if sigs, tss, err = seal.StampBatch(context.Background(), p.stamp, sigs); err != nil {
			t.Fatal(err)
		}
	}
	out := make([][]byte, len(msgs))
	for i, s := range seals {
		in := asic.ContainerInput{Message: msgs[i].Body, Attachments: msgs[i].Attachments, Signature: sigs[i],
			HashChainResult: s.HashChainResult, HashChain: s.HashChain, Time: p.now, Stored: true}
		if tss != nil {
			in.Timestamp = tss[i]
		}
		if out[i], err = asic.Build(in); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func messages(n, size int, tag string) []seal.Message {
	msgs := make([]seal.Message, n)
	for i := range msgs {
		body := fmt.Sprintf(`<?xml version="1.0"?><Envelope><Body id="%s-%d">`, tag, i)
		for len(body) < size {
			body += "<x>procurement check for INN 01234567890123</x>"
		}
		msgs[i].Body = []byte(body + "</Body></Envelope>")
		if i%3 == 1 {
			msgs[i].Attachments = [][]byte{[]byte("attachment of " + tag)}
		}
	}
	return msgs
}

// writeArchive writes containers as one archive file in dir and returns
// its path and last digest.
func writeArchive(t testing.TB, dir string, containers [][]byte, prev, prevName string, first time.Time) (string, string) {
	t.Helper()
	return writeArchiveWith(t, dir, containers, asic.ArchiveOptions{PrevDigest: prev, PrevName: prevName, Time: first})
}

// writeArchiveWith is writeArchive with the archive writer's options (o.Time
// is the first record's time, which names the file).
func writeArchiveWith(t testing.TB, dir string, containers [][]byte, o asic.ArchiveOptions) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w, err := asic.NewArchiveWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range containers {
		if _, err := w.Add(asic.ContainerName(fmt.Sprintf("q%d", i), i%2 == 1, fmt.Sprintf("%04d", i)), c); err != nil {
			t.Fatal(err)
		}
	}
	last, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, asic.ArchiveName(o.Time, o.Time.Add(time.Minute), last))
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, last
}

// TestRoundTrip: what we write, we verify — batch and single signatures,
// batch and embedded time-stamps, RSA and ECDSA, a chain of archives, with
// trust material; and the verifier catches a missing middle archive.
func TestRoundTrip(t *testing.T) {
	for _, rsaKey := range []bool{true, false} {
		t.Run(fmt.Sprintf("rsa=%v", rsaKey), func(t *testing.T) {
			p := newPKI(t, rsaKey)
			dir := t.TempDir()
			var containers [][]byte
			containers = append(containers, writeBatch(t, p, messages(7, 600, "a"), true)...)
			containers = append(containers, writeBatch(t, p, messages(1, 300, "b"), true)...)  // direct + embedded TS
			containers = append(containers, writeBatch(t, p, messages(1, 300, "c"), false)...) // direct, unstamped
			containers = append(containers, writeBatch(t, p, messages(3, 300, "d"), false)...)
			v := verify.New(verify.Options{Trust: p.trust()})
			for i, c := range containers {
				info, err := v.Container(c)
				if err != nil {
					t.Fatalf("container %d: %v", i, err)
				}
				if i < 8 && info.Timestamp.IsZero() {
					t.Fatalf("container %d: time-stamp lost", i)
				}
			}
			t0 := p.now
			a1, last1 := writeArchive(t, dir, containers[:5], "", "", t0)
			a2, last2 := writeArchive(t, dir, containers[5:9], last1, filepath.Base(a1), t0.Add(time.Hour))
			a3, last3 := writeArchive(t, dir, containers[9:], last2, filepath.Base(a2), t0.Add(2*time.Hour))
			rep, err := v.Paths([]string{dir}, verify.ChainOptions{First: true})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Valid() || rep.Containers != len(containers) {
				var b bytes.Buffer
				rep.WriteText(&b)
				t.Fatalf("chain not valid:\n%s", b.String())
			}
			for _, f := range rep.Files {
				if f.Path == a3 && f.LastDigest != last3 {
					t.Fatalf("last digest %s, want %s", f.LastDigest, last3)
				}
			}
			// A missing middle archive is a gap, named at the archive after it.
			os.Remove(a2)
			rep, _ = v.Paths([]string{dir}, verify.ChainOptions{First: true})
			found := false
			for _, f := range rep.Files {
				for _, pr := range f.Problems {
					if f.Path == a3 && pr.Code == asic.CodePrevDigestMismatch {
						found = true
					}
				}
			}
			if !found {
				var b bytes.Buffer
				rep.WriteText(&b)
				t.Fatalf("gap not reported:\n%s", b.String())
			}
			// Without -f, the gap is still found (two unanchored starts).
			rep, _ = v.Paths([]string{dir}, verify.ChainOptions{})
			if rep.Valid() {
				t.Fatal("gap not reported without -f")
			}
			// With trust material of another CA, the chain check fails.
			other := newPKI(t, false)
			if _, err := verify.New(verify.Options{Trust: other.trust()}).Container(containers[0]); verify.CodeOf(err) == "" || err == nil {
				t.Fatal("foreign CA accepted")
			}
		})
	}
}
