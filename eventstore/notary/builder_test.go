package notary_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/notary"
)

// A notary opened on a tree its caller fed is the notary Open builds: the
// same checkpoints verify, and commits stored after the caller's read are
// read into the tree as it opens.
func TestBuilderOpensTheNotaryOpenWouldBuild(t *testing.T) {
	l, k, n := notarisedLedger(t)
	appendN(t, l, 5)
	cp := issue(t, n)
	ctx := estest.Context(t)

	b := notary.NewBuilder()
	_, err := l.Store.ReadStored(ctx, 1, b.Add)
	require.NoError(t, err)
	require.Equal(t, uint64(5), b.Size())
	appendN(t, l, 2) // stored after the caller's read
	built, err := b.Open(ctx, l.Store, notary.Config{Key: k})
	require.NoError(t, err)
	require.Equal(t, uint64(7), built.TreeSize())
	got, ok := built.Latest()
	require.True(t, ok)
	require.Equal(t, cp.Note, got.Note)

	want := openNotary(t, l, k)
	for seq := uint64(1); seq <= cp.Size; seq++ {
		a, err := built.InclusionProof(ctx, seq, cp.Size)
		require.NoError(t, err)
		w, err := want.InclusionProof(ctx, seq, cp.Size)
		require.NoError(t, err)
		require.Equal(t, w, a)
	}

	// The tree now belongs to the notary.
	_, err = b.Open(ctx, l.Store, notary.Config{Key: k})
	require.ErrorIs(t, err, eventstore.ErrInvalid)
}

// A gap in what the caller feeds is refused, as Open refuses a gap in the
// stream, and the notary is not opened.
func TestBuilderRefusesAGap(t *testing.T) {
	l, k, _ := notarisedLedger(t)
	appendN(t, l, 3)
	ctx := estest.Context(t)
	b := notary.NewBuilder()
	one, err := l.Store.StoredCommit(ctx, 1)
	require.NoError(t, err)
	three, err := l.Store.StoredCommit(ctx, 3)
	require.NoError(t, err)
	require.NoError(t, b.Add(one))
	require.NoError(t, b.Add(one)) // already in: skipped
	err = b.Add(three)
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorContains(t, err, "stream sequence 3 follows 1: commits 2 to 2 are missing")
	two, err := l.Store.StoredCommit(ctx, 2)
	require.NoError(t, err)
	require.ErrorIs(t, b.Add(two), notary.ErrNotVerified, "the first failure sticks")
	require.Equal(t, uint64(1), b.Size())
	_, err = b.Open(ctx, l.Store, notary.Config{Key: k})
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorContains(t, err, "notary: not verified: stream sequence 3 follows 1")
}

// Bytes the caller read that are not the signed ones fail the checkpoint
// check, as a rewritten stream fails Open.
func TestBuilderRefusesCommitsThatDoNotMatchTheCheckpoints(t *testing.T) {
	l, k, n := notarisedLedger(t)
	appendN(t, l, 4)
	issue(t, n)
	ctx := estest.Context(t)
	b := notary.NewBuilder()
	_, err := l.Store.ReadStored(ctx, 1, func(c eventstore.StoredCommit) error {
		if c.Sequence == 2 {
			c.Data = append([]byte(nil), c.Data...)
			c.Data[len(c.Data)-1] ^= 1
		}
		return b.Add(c)
	})
	require.NoError(t, err)
	_, err = b.Open(ctx, l.Store, notary.Config{Key: k})
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorContains(t, err, "the history was rewritten")
}
