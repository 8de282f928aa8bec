package notary_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/laaledger/laaledger/eventstore/notary"
)

// The tree's roots are the RFC 6962 test vectors' (the ones
// transparency-dev/merkle and Certificate Transparency publish).
func TestTreeRootsMatchPublishedVectors(t *testing.T) {
	tr := notary.NewTree()
	root, err := tr.Root(0)
	require.NoError(t, err)
	require.Equal(t, testonly.EmptyRootHash(), root)
	for i, leaf := range testonly.LeafInputs() {
		require.NoError(t, tr.Append(notary.LeafHash(leaf)))
		root, err := tr.Root(uint64(i + 1))
		require.NoError(t, err)
		require.Equal(t, testonly.RootHashes()[i+1], root, "tree size %d", i+1)
	}
}

// Every inclusion and consistency proof of trees up to 70 leaves verifies
// with transparency-dev/merkle's own verifier, and equals its reference
// tree's proof.
func TestTreeProofsVerifyWithTransparencyDev(t *testing.T) {
	const n = 70
	tr, ref := notary.NewTree(), testonly.New(rfc6962.DefaultHasher)
	for i := 0; i < n; i++ {
		data := []byte(fmt.Sprintf(`{"command_id":"c%d"}`, i))
		require.NoError(t, tr.Append(notary.LeafHash(data)))
		ref.AppendData(data)
	}
	h := rfc6962.DefaultHasher
	for size := uint64(1); size <= n; size++ {
		root, err := tr.Root(size)
		require.NoError(t, err)
		require.Equal(t, ref.HashAt(size), root)
		for i := uint64(0); i < size; i++ {
			p, err := tr.InclusionProof(i, size)
			require.NoError(t, err)
			leaf, err := tr.LeafHashAt(i)
			require.NoError(t, err)
			require.NoError(t, proof.VerifyInclusion(h, i, size, leaf, p, root), "leaf %d of %d", i, size)
			want, err := ref.InclusionProof(i, size)
			require.NoError(t, err)
			require.Equal(t, want, p)
		}
		for from := uint64(1); from <= size; from++ {
			p, err := tr.ConsistencyProof(from, size)
			require.NoError(t, err)
			old, err := tr.Root(from)
			require.NoError(t, err)
			require.NoError(t, proof.VerifyConsistency(h, from, size, p, old, root), "%d to %d", from, size)
		}
	}
	_, err := tr.InclusionProof(3, n+1)
	require.ErrorContains(t, err, "beyond the tree's 70 leaves")
	_, err = tr.Root(n + 1)
	require.Error(t, err)
	require.Error(t, tr.Append(bytes.Repeat([]byte{1}, 31)))
}
