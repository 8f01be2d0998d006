package tlog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestCheckpointSignParse signs checkpoints with ECDSA and RSA keys and
// checks that a changed byte, another key or another origin is refused
// with the named error.
func TestCheckpointSignParse(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]crypto.Signer{"ecdsa": ecKey(t), "rsa": rk} {
		t.Run(name, func(t *testing.T) {
			c := Checkpoint{Origin: "tunduk.example/mlog", Size: 42, Root: bytes.Repeat([]byte{7}, 32), Time: time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)}
			signed, err := c.Sign(c.Origin, k)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseCheckpoint(signed, c.Origin, k.Public())
			if err != nil {
				t.Fatal(err)
			}
			if got.Size != 42 || !bytes.Equal(got.Root, c.Root) || !got.Time.Equal(c.Time) {
				t.Errorf("parsed %+v", got)
			}
			if _, err := ParseCheckpoint(signed, "other.example/log", k.Public()); !errors.Is(err, ErrCheckpointOrigin) {
				t.Errorf("other origin: %v", err)
			}
			if _, err := ParseCheckpoint(signed, c.Origin, ecKey(t).Public()); !errors.Is(err, ErrCheckpointSignature) {
				t.Errorf("other key: %v", err)
			}
			// Change the size line: 42 → 43.
			bad := bytes.Replace(signed, []byte("\n42\n"), []byte("\n43\n"), 1)
			if _, err := ParseCheckpoint(bad, c.Origin, k.Public()); !errors.Is(err, ErrCheckpointSignature) {
				t.Errorf("changed size: %v", err)
			}
			if _, err := ParseCheckpoint(signed[:len(signed)-20], c.Origin, k.Public()); err == nil {
				t.Error("truncated note accepted")
			}
		})
	}
}

// TestStoreProvesAcrossReopen adds records in two seals, reopens the store
// and checks inclusion and consistency proofs against the signed
// checkpoints, and that a retried seal adds nothing twice.
func TestStoreProvesAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	k := ecKey(t)
	var pushed [][]byte
	opts := Options{Dir: dir, Origin: "tunduk.example/mlog", Signer: k,
		OnCheckpoint: func(_ string, cp []byte) { pushed = append(pushed, cp) }}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	var es []Entry
	for seq := uint64(1); seq <= 5; seq++ {
		es = append(es, Entry{Group: "KG/GOV/1", Leaf: NewLeaf(seq, []byte("<record/>"), []byte{byte(seq)})})
	}
	if err := s.Add(context.Background(), es[:3]); err != nil {
		t.Fatal(err)
	}
	first := s.Checkpoint("KG/GOV/1")
	if err := s.Add(context.Background(), es); err != nil { // 1..3 again: skipped
		t.Fatal(err)
	}
	s.Close()
	if len(pushed) != 2 {
		t.Fatalf("%d checkpoints pushed, want 2", len(pushed))
	}
	s, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inc, err := s.Prove(4)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCheckpoint(inc.Checkpoint, "tunduk.example/mlog/KG/GOV/1", k.Public())
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != 5 || inc.Index != 3 || !bytes.Equal(inc.LeafHash, es[3].Leaf.Hash()) {
		t.Fatalf("size %d index %d", c.Size, inc.Index)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, inc.Index, c.Size, es[3].Leaf.Hash(), inc.Proof, c.Root); err != nil {
		t.Fatal(err)
	}
	c1, err := ParseCheckpoint(first, "", k.Public())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := s.Consistency("KG/GOV/1", c1.Size, c.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, c1.Size, c.Size, cp, c1.Root, c.Root); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prove(99); !errors.Is(err, ErrUnknownRecord) {
		t.Errorf("unknown record: %v", err)
	}
	// A torn leaf record at the end is dropped on open.
	s.Close()
	lf := filepath.Join(dir, groupDirName("KG/GOV/1"), "leaves")
	f, _ := os.OpenFile(lf, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{1, 2, 3})
	f.Close()
	s, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prove(5); err != nil {
		t.Errorf("after torn write: %v", err)
	}
}

// TestStoreGroupsInterleaved: records of two groups interleaved by
// sequence number are found in their own group, at their own index, before
// and after a reopen (which loads the groups one after the other).
func TestStoreGroupsInterleaved(t *testing.T) {
	dir := t.TempDir()
	k := ecKey(t)
	opts := Options{Dir: dir, Origin: "tunduk.example/mlog", Signer: k}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	groups := []string{"KG/GOV/1", "KG/GOV/2"}
	var es []Entry
	for seq := uint64(1); seq <= 9; seq++ {
		e := Entry{Group: groups[seq%2], Leaf: NewLeaf(seq, []byte("<record/>"), []byte{byte(seq)})}
		if seq%3 == 0 { // leaves of both versions in one tree
			e.Leaf = NewLeafV2(seq, []byte("<record/>"))
		}
		if seq > 5 { // the leaf hash given, as evidence hands a promise's
			e.Hash = e.Leaf.Hash()
		}
		es = append(es, e)
	}
	if err := s.Add(context.Background(), es[:4]); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(context.Background(), es[4:]); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		for _, e := range es {
			inc, err := s.Prove(e.Leaf.Seq)
			if err != nil {
				t.Fatalf("seq %d: %v", e.Leaf.Seq, err)
			}
			c, err := ParseCheckpoint(inc.Checkpoint, s.Origin(e.Group), k.Public())
			if err != nil {
				t.Fatal(err)
			}
			if inc.Group != e.Group || inc.Index != (e.Leaf.Seq-1)/2 {
				t.Fatalf("seq %d: group %q index %d, want %q %d", e.Leaf.Seq, inc.Group, inc.Index, e.Group, (e.Leaf.Seq-1)/2)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, inc.Index, c.Size, e.Leaf.Hash(), inc.Proof, c.Root); err != nil {
				t.Fatalf("seq %d: %v", e.Leaf.Seq, err)
			}
		}
		if _, err := s.Prove(10); !errors.Is(err, ErrUnknownRecord) {
			t.Errorf("seq 10: %v", err)
		}
	}
	check(s)
	s.Close()
	if s, err = Open(opts); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s)
}

// TestStoreCheckpointAfterCrash: the checkpoint is not fsynced, so a
// crash may lose it (gone, empty, zero-filled) or leave an older one. Open
// signs the tree again — covering every leaf, consistent with what was
// lost — without publishing it; a checkpoint that does not match the
// leaves (more records than they hold, another root) fails Open by name.
func TestStoreCheckpointAfterCrash(t *testing.T) {
	k := ecKey(t)
	const grp = "KG/GOV/1"
	es := make([]Entry, 6)
	for i := range es {
		es[i] = Entry{Group: grp, Leaf: NewLeaf(uint64(i+1), []byte("<record/>"), []byte{byte(i)})}
	}
	// setup stores es[:3], then es, keeping the first checkpoint's file.
	setup := func(t *testing.T) (Options, string, []byte, []byte, *[][]byte) {
		var pushed [][]byte
		opts := Options{Dir: t.TempDir(), Origin: "tunduk.example/mlog", Signer: k,
			OnCheckpoint: func(_ string, cp []byte) { pushed = append(pushed, cp) }}
		s, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Add(context.Background(), es[:3]); err != nil {
			t.Fatal(err)
		}
		first := s.Checkpoint(grp)
		if err := s.Add(context.Background(), es); err != nil {
			t.Fatal(err)
		}
		pushed = nil
		return opts, filepath.Join(opts.Dir, groupDirName(grp), "checkpoint"), first, s.Checkpoint(grp), &pushed
	}
	for _, tc := range []struct {
		name  string
		crash func(cp string, first []byte) error
	}{
		{"gone", func(cp string, _ []byte) error { return os.Remove(cp) }},
		{"empty", func(cp string, _ []byte) error { return os.WriteFile(cp, nil, 0o640) }},
		{"zeros", func(cp string, _ []byte) error { return os.WriteFile(cp, make([]byte, 300), 0o640) }},
		{"older", func(cp string, first []byte) error { return os.WriteFile(cp, first, 0o640) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, cpFile, first, lost, pushed := setup(t)
			if err := tc.crash(cpFile, first); err != nil {
				t.Fatal(err)
			}
			s, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c, err := ParseCheckpoint(s.Checkpoint(grp), s.Origin(grp), k.Public())
			if err != nil {
				t.Fatalf("no checkpoint after reopen: %v", err)
			}
			if c.Size != uint64(len(es)) {
				t.Fatalf("checkpoint of %d records, want %d", c.Size, len(es))
			}
			if stored, _ := os.ReadFile(cpFile); !bytes.Equal(stored, s.Checkpoint(grp)) {
				t.Error("the new checkpoint is not stored")
			}
			if len(*pushed) != 0 {
				t.Errorf("Open published %d checkpoints", len(*pushed))
			}
			for _, held := range [][]byte{first, lost} { // what a receipt or a witness may hold
				h, err := ParseCheckpoint(held, "", k.Public())
				if err != nil {
					t.Fatal(err)
				}
				p, err := s.Consistency(grp, h.Size, c.Size)
				if err != nil {
					t.Fatal(err)
				}
				if err := proof.VerifyConsistency(rfc6962.DefaultHasher, h.Size, c.Size, p, h.Root, c.Root); err != nil {
					t.Fatalf("from %d: %v", h.Size, err)
				}
			}
			inc, err := s.Prove(6)
			if err != nil || inc.Size != c.Size {
				t.Fatalf("prove 6: %v", err)
			}
		})
	}
	for _, tc := range []struct {
		name, want string
		crash      func(leaves string) error
	}{
		{"leaves lost", "leaves were lost", func(lf string) error { return os.Truncate(lf, 2*leafRecord) }},
		{"leaf changed", "root is not the leaves'", func(lf string) error {
			f, err := os.OpenFile(lf, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte{0xff}, leafRecord+9)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, cpFile, _, _, _ := setup(t)
			if err := tc.crash(filepath.Join(filepath.Dir(cpFile), "leaves")); err != nil {
				t.Fatal(err)
			}
			s, err := Open(opts)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a checkpoint its leaves do not match")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want %q", err, tc.want)
			}
		})
	}
}

// failingSigner fails while off is set.
type failingSigner struct {
	crypto.Signer
	off bool
}

func (f *failingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if f.off {
		return nil, errors.New("key out of reach")
	}
	return f.Signer.Sign(r, d, o)
}

// TestStoreStaleCheckpointSignedByAdd: when Open cannot sign the lost
// checkpoint again (the key is out of reach), the next Add does — even one
// adding nothing (the seal retried after the crash) — and publishes it;
// likewise after a seal whose checkpoint failed.
func TestStoreStaleCheckpointSignedByAdd(t *testing.T) {
	sig := &failingSigner{Signer: ecKey(t)}
	var pushed int
	opts := Options{Dir: t.TempDir(), Origin: "tunduk.example/mlog", Signer: sig,
		OnCheckpoint: func(string, []byte) { pushed++ }}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	es := []Entry{{Leaf: NewLeaf(1, []byte("<a/>"))}, {Leaf: NewLeaf(2, []byte("<b/>"))}}
	if err := s.Add(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Remove(filepath.Join(opts.Dir, groupDirName(""), "checkpoint")); err != nil {
		t.Fatal(err)
	}
	sig.off = true
	if s, err = Open(opts); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Prove(2); !errors.Is(err, ErrUnknownRecord) {
		t.Fatalf("prove before a checkpoint: %v", err)
	}
	sig.off, pushed = false, 0
	if err := s.Add(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	if inc, err := s.Prove(2); err != nil || inc.Size != 2 || pushed != 1 {
		t.Fatalf("after Add: %v, pushed %d", err, pushed)
	}
	// A seal whose checkpoint fails (the key, or what runs alongside the
	// leaves' fsync) fails, and its retry, which adds nothing, signs it.
	es = append(es, Entry{Leaf: NewLeaf(3, []byte("<c/>"))}, Entry{Leaf: NewLeaf(4, []byte("<d/>"))})
	boom := errors.New("statements not durable")
	for i, fail := range []func(){func() { sig.off = true }, func() {}} {
		fail()
		var along func() error
		if i == 1 {
			along = func() error { return boom }
		}
		n := uint64(3 + i)
		if err := s.AddAlong(context.Background(), es[:n], along); err == nil {
			t.Fatalf("seal %d: Add succeeded", i)
		}
		if _, err := s.Prove(n); !errors.Is(err, ErrUnknownRecord) {
			t.Fatalf("seal %d: proved without a checkpoint: %v", i, err)
		}
		sig.off = false
		if err := s.Add(context.Background(), es[:n]); err != nil {
			t.Fatal(err)
		}
		if inc, err := s.Prove(n); err != nil || inc.Size != n {
			t.Fatalf("seal %d retried: %v", i, err)
		}
	}
}
