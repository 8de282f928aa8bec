package notary

import (
	"context"
	"fmt"

	"github.com/laaledger/laaledger/eventstore"
)

// Builder grows the notary's Merkle tree from commits its caller reads,
// so that whoever reads the whole ledger anyway (verify checks every hash
// chain) does not make [Open] read it a second time. Feed it every stored
// commit from sequence 1 in stream order with [Builder.Add], then call
// [Builder.Open]. It is not safe for concurrent use.
type Builder struct {
	tree *Tree
	err  error
}

// NewBuilder returns a builder with an empty tree.
func NewBuilder() *Builder { return &Builder{tree: NewTree()} }

// Add adds the next stored commit to the tree. A commit already added is
// skipped; a gap in the sequences is an [ErrNotVerified] error. The first
// error is kept: later commits are ignored and [Builder.Open] returns it.
func (b *Builder) Add(c eventstore.StoredCommit) error {
	if b.err == nil {
		b.err = appendNext(b.tree, c)
	}
	return b.err
}

// Size is the number of commits added so far.
func (b *Builder) Size() uint64 { return b.tree.Size() }

// Open is [Open] on the tree built so far: it reads and checks the
// checkpoints, adds to the tree the commits stored after the last one
// added, and checks every checkpoint against it. The builder must not be
// used afterwards: the notary owns its tree.
func (b *Builder) Open(ctx context.Context, store *eventstore.Store, cfg Config) (*Notary, error) {
	if b.err != nil {
		return nil, fmt.Errorf("notary: %w", b.err)
	}
	b.err = fmt.Errorf("%w: the builder's tree was handed to a notary", eventstore.ErrInvalid)
	return open(ctx, store, cfg, b.tree)
}
