package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

// stored is what a ledger holds of one event, apart from what the store
// assigns (ids, recorded times, hashes).
type stored struct {
	Aggregate eventstore.Aggregate
	Version   uint64
	CommandID string
	Type      string
	Data      string
}

func storedEvents(t *testing.T, l *estest.Ledger) []stored {
	t.Helper()
	var out []stored
	_, err := l.Store.Read(estest.Context(t), eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		for _, e := range c.Events {
			out = append(out, stored{e.Aggregate(), e.AggregateVersion, e.CommandID, e.Type, string(e.Data)})
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// inbound counts the messages the store's connection has received: every
// commit read from the stream is one, as are the server's replies.
func inbound(l *estest.Ledger) uint64 { return l.JetStream().Conn().Stats().InMsgs }

func TestColdAgreementWithLongHistoryIsDecidedFromItsSnapshot(t *testing.T) {
	const every = 32
	// Three generator runs of a thousand events under the race detector,
	// one of them reading nearly every decision from a snapshot: more than
	// estest.Context's minute on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	gen := genhistory.Options{Events: 1000, Areas: 1, Workers: 1, Seed: 3}

	// The reference decides every command on whole histories: no snapshot,
	// and a cache that holds everything.
	whole := estest.Open(t)
	_, err := genhistory.Run(ctx, service.New(whole.Store, service.Kinds(), service.WithSnapshotEvery(1<<30)), gen)
	require.NoError(t, err)

	// This one keeps one event in the store's cache and one folded state
	// per kind, so nearly every decision starts from a snapshot and a tail.
	snap := estest.Open(t, func(c *eventstore.Config) { c.CacheEvents = 1 })
	n, err := genhistory.Run(ctx, service.New(snap.Store, service.Kinds(), service.WithSnapshotEvery(every), service.WithFoldedStates(1)), gen)
	require.NoError(t, err)
	require.Equal(t, storedEvents(t, whole), storedEvents(t, snap), "decisions from snapshots differ from decisions on whole histories")

	area := domain.Areas()[0]
	ref := domain.AggregateRef{Kind: domain.KindAgreement, ID: laa.AgreementID(area.Code, laa.Period2008)}
	full, err := snap.Store.LoadFresh(ctx, service.StoreAggregate(ref))
	require.NoError(t, err)
	require.Greater(t, full.Version, uint64(20*every), "the agreement's history is long")

	// Cold in every cache: a new store process and a new service.
	snap.Restart()
	whole.Restart()
	lsp := domain.Actor{ID: "synthetic-lsp-" + area.Code, Role: domain.RoleLSP, Organisation: area.Code}
	key := laa.TargetKey(catalogue.Seed().Indicators(time.Date(2008, 1, 7, 0, 0, 0, 0, time.UTC))[0].NI, "")
	m := domain.Meta{CommandID: "cold-outturn", Actor: lsp, OccurredAt: time.Date(2011, 6, 1, 9, 0, 0, 0, time.UTC), Reason: "cold"}
	cmd := laa.RecordOutturn{Agreement: ref.ID, Target: key, Year: "2009/10", Value: 42, Source: "cold read"}

	before := inbound(snap)
	got, gotErr := service.New(snap.Store, service.Kinds(), service.WithSnapshotEvery(every)).Execute(ctx, m, cmd, nil)
	reads := inbound(snap) - before
	want, wantErr := service.New(whole.Store, service.Kinds(), service.WithSnapshotEvery(1<<30)).Execute(ctx, m, cmd, nil)
	require.Equal(t, wantErr, gotErr)
	require.NoError(t, gotErr)
	require.Equal(t, want.LastVersion, got.LastVersion)
	require.Equal(t, want.Events[0].Data, got.Events[0].Data)
	// The snapshot (a head and a chunk), the commits after it (fewer than
	// every), the catalogue's, the replies to creating and deleting the
	// readers and the append's acknowledgement; a whole load would read
	// the agreement's full.Version commits.
	require.Less(t, reads, uint64(2*every+40), "messages received deciding a cold agreement of %d events", full.Version)
	t.Logf("cold agreement of %d events decided after receiving %d messages", full.Version, reads)

	before = inbound(snap)
	_, err = snap.Store.LoadFresh(ctx, service.StoreAggregate(ref))
	require.NoError(t, err)
	require.GreaterOrEqual(t, inbound(snap)-before, full.Version, "a whole load reads every commit")

	// Every command id stored before the snapshots is still recognised:
	// running the generator again writes nothing.
	last, err := snap.Store.LastSequence(ctx)
	require.NoError(t, err)
	again, err := genhistory.Run(ctx, service.New(snap.Store, service.Kinds(), service.WithSnapshotEvery(every), service.WithFoldedStates(1)), gen)
	require.NoError(t, err)
	require.Equal(t, n, again)
	now, err := snap.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, last, now, "a retried command was stored again")

	// And an early id used for another command is refused.
	reused := domain.Meta{CommandID: fmt.Sprintf("gen-%s-%06d", area.Code, 3), Actor: lsp, OccurredAt: m.OccurredAt, Reason: "reuse"}
	_, err = service.New(snap.Store, service.Kinds()).Execute(ctx, reused, cmd, nil)
	require.ErrorIs(t, err, eventstore.ErrDuplicate)
}
