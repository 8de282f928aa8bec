package eventstore_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// An append that meets a broken hash chain in the aggregate it loads
// refuses not only that command: the store distrusts the whole stream,
// refuses appends to every aggregate from then on and says why.
func TestAppendThatMeetsABrokenChainStopsEveryWrite(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	other := eventstore.Aggregate{Kind: "laa", ID: "00FA/2008-11"}
	appendN(t, l.Store, hartlepool, 3)
	appendN(t, l.Store, other, 1)
	require.NoError(t, l.Store.Integrity(), "an intact ledger is not in doubt")

	last, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	h, err := l.Store.Load(ctx, hartlepool)
	require.NoError(t, err)
	_, version := l.PublishAltered(h.LastSequence)
	require.Less(t, h.LastSequence, last)

	// A command that has seen the new version makes the store read it.
	_, err = l.Store.Append(ctx, hartlepool, version, []eventstore.Event{ev("x", 9)}, "after-the-tampering")
	require.ErrorIs(t, err, eventstore.ErrTampered, "the append over the altered commit")
	doubt := l.Store.Integrity()
	require.ErrorIs(t, doubt, eventstore.ErrIntegrity)
	require.ErrorContains(t, doubt, "hash chain", "Integrity says why")

	_, err = l.Store.Append(ctx, other, 1, []eventstore.Event{ev("x", 10)}, "other-after")
	require.ErrorIs(t, err, eventstore.ErrIntegrity, "an aggregate the damage did not touch is refused too")
	oh, err := l.Store.LoadFresh(ctx, other)
	require.NoError(t, err)
	require.Equal(t, uint64(1), oh.Version, "the refused append wrote nothing")

	l.Store.Distrust(errors.New("something else"))
	require.Same(t, doubt, l.Store.Integrity(), "the first reason stands")
}
