package eventstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

func TestAuxStreamIsProtectedAndSingleWriter(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	for _, subjects := range [][]string{nil, {">"}, {"ledger.x"}, {"ledger"}} {
		_, err := l.Store.EnsureAuxStream(ctx, "AUX", subjects, "test")
		require.ErrorIs(t, err, eventstore.ErrInvalid, "%v", subjects)
	}
	_, err := l.Store.EnsureAuxStream(ctx, eventstore.DefaultStream, []string{"aux.x"}, "test")
	require.ErrorIs(t, err, eventstore.ErrInvalid)

	aux, err := l.Store.EnsureAuxStream(ctx, "AUX", []string{"aux.x"}, "test")
	require.NoError(t, err)
	seq, err := aux.Append(ctx, "aux.x", []byte("one"), 0)
	require.NoError(t, err)
	require.Equal(t, uint64(1), seq)
	_, err = aux.Append(ctx, "aux.x", []byte("stale writer"), 0)
	require.ErrorIs(t, err, eventstore.ErrConflict)
	_, err = aux.Append(ctx, "aux.x", []byte("two"), 1)
	require.NoError(t, err)

	// Opened again after a restart, it holds what was written, and its
	// configuration is the ledger's: nothing can be deleted.
	l.Restart()
	aux, err = l.Store.EnsureAuxStream(ctx, "AUX", []string{"aux.x"}, "test")
	require.NoError(t, err)
	var got []string
	last, err := aux.Read(ctx, func(_ uint64, data []byte) error { got = append(got, string(data)); return nil })
	require.NoError(t, err)
	require.Equal(t, uint64(2), last)
	require.Equal(t, []string{"one", "two"}, got)
	st, err := l.AdminJetStream().Stream(ctx, "AUX")
	require.NoError(t, err)
	require.Error(t, st.DeleteMsg(ctx, 1))
	require.Error(t, st.Purge(ctx))
}

func TestReadStoredGivesTheExactStoredBytes(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	for v := uint64(0); v < 3; v++ {
		_, err := l.Store.Append(ctx, agg, v, []eventstore.Event{{Type: "t", SchemaVersion: 1, Data: []byte(`{"a":"<&>"}`), OccurredAt: time.Date(2008, 5, 1, 0, 0, 0, 0, time.UTC),
			Actor: eventstore.Actor{ID: "officer", Role: "la", Organisation: "00EB"}}}, "c"+string(rune('a'+v)))
		require.NoError(t, err)
	}
	var seqs []uint64
	last, err := l.Store.ReadStored(ctx, 2, func(c eventstore.StoredCommit) error {
		seqs = append(seqs, c.Sequence)
		msg, err := l.Stream().GetMsg(ctx, c.Sequence)
		require.NoError(t, err)
		require.Equal(t, msg.Data, c.Data)
		decoded, err := eventstore.DecodeCommit(c.Data, c.Sequence)
		require.NoError(t, err)
		stored, err := l.Store.Commit(ctx, c.Sequence)
		require.NoError(t, err)
		require.Equal(t, stored, decoded)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, uint64(3), last)
	require.Equal(t, []uint64{2, 3}, seqs)
	one, err := l.Store.StoredCommit(ctx, 1)
	require.NoError(t, err)
	require.Contains(t, string(one.Data), `{"a":"<&>"}`)
}
