package tlog

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// ErrSize is returned for a proof request outside the tree.
var ErrSize = errors.New("tlog: size out of range")

var rf = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// Tree is an append-only RFC 6962 Merkle tree held in memory: it keeps the
// hash of every perfect subtree (about two hashes per leaf), which is every
// node an inclusion or consistency proof can name. A level's hashes are
// held in chunks of chunkHashes, so the tree holds no pointer per node (a
// tree of millions of records adds next to nothing to the garbage
// collector's marking) and growing never copies what is stored. It is not
// safe for concurrent use; Store serialises access.
type Tree struct {
	levels []level // levels[h] holds the hashes of perfect subtrees h, 0, 1, …
	rng    *compact.Range
}

const (
	hashSize    = 32
	chunkHashes = 4096 // 128 KiB
)

type level struct {
	chunks [][]byte // each of chunkHashes hashes, the last one filling
	n      uint64
}

func (lv *level) append(hash []byte) {
	if lv.n%chunkHashes == 0 {
		lv.chunks = append(lv.chunks, make([]byte, 0, chunkHashes*hashSize))
	}
	last := len(lv.chunks) - 1
	lv.chunks[last] = append(lv.chunks[last], hash...)
	lv.n++
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{rng: rf.NewEmptyRange(0)} }

// Size is the number of leaves.
func (t *Tree) Size() uint64 { return t.rng.End() }

// Append adds a leaf hash (32 bytes).
func (t *Tree) Append(leafHash []byte) error {
	if len(leafHash) != hashSize {
		return fmt.Errorf("tlog: leaf hash has %d bytes, want 32", len(leafHash))
	}
	return t.rng.Append(leafHash, t.visit)
}

func (t *Tree) visit(id compact.NodeID, hash []byte) {
	for uint(len(t.levels)) <= id.Level {
		t.levels = append(t.levels, level{})
	}
	if lv := &t.levels[id.Level]; id.Index == lv.n {
		lv.append(hash)
	}
}

// node returns the hash of a perfect subtree; the caller must not modify
// it (it is the tree's own memory).
func (t *Tree) node(id compact.NodeID) ([]byte, error) {
	if id.Level >= uint(len(t.levels)) || id.Index >= t.levels[id.Level].n {
		return nil, fmt.Errorf("tlog: node %d/%d not in tree: %w", id.Level, id.Index, ErrSize)
	}
	c, off := id.Index/chunkHashes, id.Index%chunkHashes*hashSize
	return t.levels[id.Level].chunks[c][off : off+hashSize : off+hashSize], nil
}

// Root is the root hash of the tree's first size leaves.
func (t *Tree) Root(size uint64) ([]byte, error) {
	if size > t.Size() {
		return nil, fmt.Errorf("tlog: root of %d leaves, tree has %d: %w", size, t.Size(), ErrSize)
	}
	if size == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	r, err := rf.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

func (t *Tree) fetch(n proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		hashes[i] = bytes.Clone(h) // the proof leaves the store's lock
	}
	return n.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
}

// InclusionProof proves leaf index in the tree of size leaves.
func (t *Tree) InclusionProof(index, size uint64) ([][]byte, error) {
	if index >= size || size > t.Size() {
		return nil, fmt.Errorf("tlog: inclusion of %d in %d (tree has %d): %w", index, size, t.Size(), ErrSize)
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.fetch(n)
}

// ConsistencyProof proves the tree of size2 leaves extends that of size1.
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	if size1 > size2 || size2 > t.Size() {
		return nil, fmt.Errorf("tlog: consistency %d→%d (tree has %d): %w", size1, size2, t.Size(), ErrSize)
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.fetch(n)
}
