package notary

import (
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// hasher is the RFC 6962 SHA-256 hasher every tree and proof uses.
var hasher = rfc6962.DefaultHasher

// LeafHash is the Merkle leaf hash of a commit's stored bytes.
func LeafHash(stored []byte) []byte { return hasher.HashLeaf(stored) }

// Tree is an append-only RFC 6962 Merkle tree that keeps the hash of every
// perfect subtree, so that it can answer inclusion and consistency proofs
// and roots for any size up to its own. It is safe for concurrent use: one
// writer, many readers.
type Tree struct {
	rf *compact.RangeFactory

	mu  sync.RWMutex
	rng *compact.Range
	// nodes[level] holds the hashes of the perfect subtrees of that level,
	// in index order, one after another (hashSize bytes each): one
	// allocation a level rather than one a hash, which a tree of a
	// million leaves would otherwise pay two million times.
	nodes [][]byte
}

// hashSize is the size of every hash in the tree (RFC 6962 over SHA-256).
const hashSize = sha256.Size

// NewTree returns an empty tree.
func NewTree() *Tree {
	rf := &compact.RangeFactory{Hash: hasher.HashChildren}
	return &Tree{rf: rf, rng: rf.NewEmptyRange(0)}
}

// Size is the number of leaves.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.rng.End()
}

// Append adds a leaf whose leaf hash is h (see [LeafHash]).
func (t *Tree) Append(h []byte) error {
	if len(h) != hasher.Size() {
		return fmt.Errorf("merkle leaf hash of %d bytes, want %d", len(h), hasher.Size())
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rng.Append(h, t.visit)
}

// visit records a perfect subtree's hash; the compact range reports each
// node once, in index order on its level.
func (t *Tree) visit(id compact.NodeID, h []byte) {
	for uint(len(t.nodes)) <= id.Level {
		t.nodes = append(t.nodes, nil)
	}
	lvl := t.nodes[id.Level]
	if at := id.Index * hashSize; at < uint64(len(lvl)) {
		copy(lvl[at:at+hashSize], h)
		return
	}
	t.nodes[id.Level] = append(lvl, h...)
}

// node returns the hash of the perfect subtree id, false if the tree does
// not hold it. It points into the tree: the caller copies it before it
// leaves the tree. The caller holds t.mu.
func (t *Tree) node(id compact.NodeID) ([]byte, bool) {
	if id.Level >= uint(len(t.nodes)) {
		return nil, false
	}
	lvl := t.nodes[id.Level]
	if id.Index >= uint64(len(lvl))/hashSize {
		return nil, false
	}
	at := id.Index * hashSize
	return lvl[at : at+hashSize : at+hashSize], true
}

// hashes returns the hashes of the perfect subtrees ids, all of which must
// lie within the tree. The caller holds t.mu.
func (t *Tree) hashes(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := t.node(id)
		if !ok {
			return nil, fmt.Errorf("merkle node %d/%d is not in a tree of %d leaves", id.Level, id.Index, t.rng.End())
		}
		// A copy: proofs leave the tree, and their hashes may be altered.
		out[i] = append([]byte(nil), h...)
	}
	return out, nil
}

func (t *Tree) checkSize(size uint64) error {
	if size > t.rng.End() {
		return fmt.Errorf("tree size %d is beyond the tree's %d leaves", size, t.rng.End())
	}
	return nil
}

// Root returns the root hash of the tree's first size leaves; the root of
// the empty tree is SHA-256 of nothing.
func (t *Tree) Root(size uint64) ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.checkSize(size); err != nil {
		return nil, err
	}
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	hs, err := t.hashes(compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	r, err := t.rf.NewRange(0, size, hs)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// LeafHashAt returns the leaf hash at index.
func (t *Tree) LeafHashAt(index uint64) ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if index >= t.rng.End() {
		return nil, fmt.Errorf("leaf %d is beyond the tree's %d leaves", index, t.rng.End())
	}
	h, _ := t.node(compact.NewNodeID(0, index))
	return append([]byte(nil), h...), nil
}

// InclusionProof returns the RFC 6962 inclusion proof of leaf index in the
// tree's first size leaves.
func (t *Tree) InclusionProof(index, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.rehash(nodes, size)
}

// ConsistencyProof returns the RFC 6962 consistency proof between the tree's
// first size1 and first size2 leaves.
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.rehash(nodes, size2)
}

func (t *Tree) rehash(nodes proof.Nodes, size uint64) ([][]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.checkSize(size); err != nil {
		return nil, err
	}
	hs, err := t.hashes(nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hs, hasher.HashChildren)
}
