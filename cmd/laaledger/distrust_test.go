package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// A verification through a running server that finds the ledger altered
// puts the store in doubt: appends to every aggregate are refused from
// then on (serve answers them 503 and fails /readyz, which read
// Integrity), instead of going on writing after a tampered report.
func TestVerifyThatFindsTamperingStopsAppends(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	other := eventstore.Aggregate{Kind: "laa", ID: "00FA/2008-11"}
	event := func(n int) []eventstore.Event {
		return []eventstore.Event{{Type: "laa.TargetProposed", SchemaVersion: 1, Data: json.RawMessage(fmt.Sprintf(`{"round":%d}`, n)),
			Actor: eventstore.Actor{ID: "officer", Role: "lsp", Organisation: "00EB"}, OccurredAt: time.Date(2008, 3, 1, 0, 0, 0, 0, time.UTC)}}
	}
	var last eventstore.AppendResult
	for v := range uint64(3) {
		res, err := l.Store.Append(ctx, agg, v, event(int(v)), fmt.Sprintf("cmd-%d", v))
		require.NoError(t, err)
		last = res
	}
	_, err := l.Store.Append(ctx, other, 0, event(9), "other-0")
	require.NoError(t, err)

	a := &ledgerAuditor{sf: &storeFlags{data: l.Cfg.DataDir}, nf: &notaryFlags{}, s: l.Store}
	rep, err := a.Verify(ctx)
	require.NoError(t, err)
	require.True(t, rep.Intact, "the untouched ledger verifies")
	require.NoError(t, l.Store.Integrity(), "an intact verification puts nothing in doubt")

	// Someone with write access to the stream adds a commit whose body
	// was altered after it was hashed.
	l.PublishAltered(last.Sequence)

	_, err = a.Verify(ctx)
	require.ErrorIs(t, err, eventstore.ErrTampered, "the verification finds the altered commit")
	require.ErrorIs(t, l.Store.Integrity(), eventstore.ErrIntegrity, "and the store no longer trusts its stream")
	_, err = l.Store.Append(ctx, other, 1, event(10), "other-1")
	require.ErrorIs(t, err, eventstore.ErrIntegrity, "an append to an aggregate the damage did not touch is refused too")
}
