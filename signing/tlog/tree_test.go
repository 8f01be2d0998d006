package tlog

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

type vectors struct {
	EmptyRoot string   `json:"emptyRoot"`
	Leaves    []string `json:"leaves"`
	Roots     []string `json:"roots"`
	Inclusion []struct {
		Leaf, Size uint64
		Proof      []string
	} `json:"inclusion"`
	Consistency []struct {
		Size1, Size2 uint64
		Proof        []string
	} `json:"consistency"`
}

func hx(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hxs(t *testing.T, ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = hx(t, s)
	}
	return out
}

// TestTreeMerkleVectors builds our Tree from transparency-dev/merkle's RFC
// 6962 leaves and checks every root, inclusion and consistency proof
// against the vectors (testdata/tlog/rfc6962-vectors.json, provenance in
// the file), and that the library's verifiers accept what we produce.
func TestTreeMerkleVectors(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/tlog/rfc6962-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	tr := NewTree()
	if r, _ := tr.Root(0); !bytes.Equal(r, hx(t, v.EmptyRoot)) {
		t.Errorf("empty root %x", r)
	}
	for _, l := range v.Leaves {
		if err := tr.Append(rfc6962.DefaultHasher.HashLeaf(hx(t, l))); err != nil {
			t.Fatal(err)
		}
	}
	failed := 0
	for i, want := range v.Roots {
		got, err := tr.Root(uint64(i + 1))
		if err != nil || !bytes.Equal(got, hx(t, want)) {
			t.Errorf("root of %d leaves = %x, %v; want %s", i+1, got, err, want)
			failed++
		}
	}
	for _, c := range v.Inclusion {
		got, err := tr.InclusionProof(c.Leaf-1, c.Size)
		want := hxs(t, c.Proof)
		n, ok := sameHashes(t, fmt.Sprintf("inclusion %d/%d", c.Leaf, c.Size), got, err, want)
		if failed += n; !ok {
			continue
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(hx(t, v.Leaves[c.Leaf-1]))
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, c.Leaf-1, c.Size, leaf, got, hx(t, v.Roots[c.Size-1])); err != nil {
			t.Errorf("inclusion %d/%d does not verify: %v", c.Leaf, c.Size, err)
			failed++
		}
	}
	for _, c := range v.Consistency {
		got, err := tr.ConsistencyProof(c.Size1, c.Size2)
		want := hxs(t, c.Proof)
		n, ok := sameHashes(t, fmt.Sprintf("consistency %d→%d", c.Size1, c.Size2), got, err, want)
		if failed += n; !ok {
			continue
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, c.Size1, c.Size2, got, hx(t, v.Roots[c.Size1-1]), hx(t, v.Roots[c.Size2-1])); err != nil {
			t.Errorf("consistency %d→%d does not verify: %v", c.Size1, c.Size2, err)
			failed++
		}
	}
	total := len(v.Roots) + len(v.Inclusion) + len(v.Consistency)
	if failed > 0 {
		t.Errorf("%d of %d vectors failed", failed, total)
	}
	// Every other (index, size) and (size1, size2) pair also verifies.
	for size := uint64(1); size <= tr.Size(); size++ {
		root, _ := tr.Root(size)
		for i := uint64(0); i < size; i++ {
			p, err := tr.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			leaf := rfc6962.DefaultHasher.HashLeaf(hx(t, v.Leaves[i]))
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, size, leaf, p, root); err != nil {
				t.Errorf("inclusion %d in %d: %v", i, size, err)
			}
		}
		for s1 := uint64(1); s1 <= size; s1++ {
			r1, _ := tr.Root(s1)
			p, err := tr.ConsistencyProof(s1, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, s1, size, p, r1, root); err != nil {
				t.Errorf("consistency %d→%d: %v", s1, size, err)
			}
		}
	}
	if _, err := tr.InclusionProof(8, 8); err == nil {
		t.Error("inclusion of a leaf beyond the tree: no error")
	}
}

// sameHashes reports (as test errors, returning how many) where a proof
// differs from the expected one; ok is false when it has another length
// or an error came instead.
func sameHashes(t *testing.T, what string, got [][]byte, err error, want [][]byte) (n int, ok bool) {
	t.Helper()
	if err != nil || len(got) != len(want) {
		t.Errorf("%s: %d hashes, %v; want %d", what, len(got), err, len(want))
		return 1, false
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("%s hash %d = %x, want %x", what, i, got[i], want[i])
			n++
		}
	}
	return n, true
}

// TestTreeAcrossChunks: a tree of more than two chunks of hashes per
// level has the root the library computes, and proves inclusion and
// consistency at and around the chunk boundaries.
func TestTreeAcrossChunks(t *testing.T) {
	const n = 2*chunkHashes + 5
	tr := NewTree()
	ref := rf.NewEmptyRange(0)
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = NewLeaf(uint64(i+1), []byte("<record/>")).Hash()
		if err := tr.Append(leaves[i]); err != nil {
			t.Fatal(err)
		}
		if err := ref.Append(leaves[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	want, err := ref.GetRootHash(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []uint64{chunkHashes, chunkHashes + 1, n} {
		root, err := tr.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if size == n && !bytes.Equal(root, want) {
			t.Fatalf("root of %d leaves differs from the library's", n)
		}
		for _, i := range []uint64{0, chunkHashes - 1, chunkHashes, 2*chunkHashes - 1, 2 * chunkHashes, n - 1} {
			if i >= size {
				continue
			}
			p, err := tr.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, size, leaves[i], p, root); err != nil {
				t.Fatalf("leaf %d in %d: %v", i, size, err)
			}
		}
		old, _ := tr.Root(chunkHashes - 1)
		p, err := tr.ConsistencyProof(chunkHashes-1, size)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, chunkHashes-1, size, p, old, root); err != nil {
			t.Fatalf("consistency %d -> %d: %v", chunkHashes-1, size, err)
		}
	}
}
