package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// The cache must not keep slices the caller still owns: an evidence list
// reused after Append would otherwise rewrite the cached history.
func TestAppendDoesNotKeepCallersEvidence(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	e := ev("laa.TargetProposed", 1)
	e.Evidence = []string{"minutes 2008-05-01"}
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{e}, "c1")
	require.NoError(t, err)
	e.Evidence[0] = "something else"

	h, err := l.Store.Load(ctx, hartlepool)
	require.NoError(t, err)
	require.Equal(t, []string{"minutes 2008-05-01"}, h.Events[0].Evidence)
	require.Equal(t, h.Events[0].Hash, h.Events[0].ComputeHash())
}

// A history handed out by Load is a snapshot: later appends grow the
// cache's slice, never the reader's, and a reader appending to its copy
// does not write into the cache.
func TestLoadedHistoryIsNotChangedByLaterAppends(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1), ev("a", 2), ev("a", 3)}, "c1")
	require.NoError(t, err)
	h, err := l.Store.Load(ctx, hartlepool)
	require.NoError(t, err)
	mine := append(h.Events, eventstore.Envelope{Event: eventstore.Event{Type: "reader's own"}})

	_, err = l.Store.Append(ctx, hartlepool, 3, []eventstore.Event{ev("b", 4)}, "c2")
	require.NoError(t, err)
	require.Equal(t, "reader's own", mine[3].Type)
	h2, err := l.Store.Load(ctx, hartlepool)
	require.NoError(t, err)
	require.Len(t, h2.Events, 4)
	require.Equal(t, "b", h2.Events[3].Type)
	require.Len(t, h.Events, 3)
}

// An append whose outcome is unknown (the caller gave up before the
// acknowledgement) forgets the cached state; retrying the same command
// returns what the server stored, once.
func TestRetryAfterUnknownOutcomeStoresOnce(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "c1")
	require.NoError(t, err)

	gone, cancel := context.WithCancel(ctx)
	cancel()
	_, err = l.Store.Append(gone, hartlepool, 1, []eventstore.Event{ev("b", 2)}, "c2")
	require.ErrorIs(t, err, eventstore.ErrUnavailable)

	res, err := l.Store.Append(ctx, hartlepool, 1, []eventstore.Event{ev("b", 2)}, "c2")
	require.NoError(t, err)
	require.Equal(t, uint64(2), res.LastVersion)
	_, err = l.Store.Append(ctx, hartlepool, 2, []eventstore.Event{ev("c", 3)}, "c3")
	require.NoError(t, err)

	h, err := l.Store.LoadFresh(ctx, hartlepool)
	require.NoError(t, err)
	require.Len(t, h.Events, 3)
	cached, err := l.Store.Load(ctx, hartlepool)
	require.NoError(t, err)
	require.Equal(t, h.LastSequence, cached.LastSequence)
}

// A cancelled context before anything is sent is not a conflict or an
// invalid request.
func TestAppendWithCancelledContextIsUnavailable(t *testing.T) {
	l := estest.Open(t)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.Store.Append(gone, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "c1")
	require.True(t, errors.Is(err, eventstore.ErrUnavailable), "got %v", err)
}

// A commit on an aggregate's subject that carries another aggregate's
// events (a raw publish by some other component) is not history of this
// aggregate: loading it is refused rather than taking the other's version.
func TestLoadRefusesEventsOfAnotherAggregateOnItsSubject(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	other := eventstore.Aggregate{Kind: "laa", ID: "00BL/2008-11"}
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "c1")
	require.NoError(t, err)
	res, err := l.Store.Append(ctx, other, 0, []eventstore.Event{ev("b", 1)}, "c2")
	require.NoError(t, err)
	msg, err := l.Stream().GetMsg(ctx, res.Sequence)
	require.NoError(t, err)
	subject, err := hartlepool.Subject()
	require.NoError(t, err)
	_, err = l.JetStream().Publish(ctx, subject, msg.Data)
	require.NoError(t, err)

	_, err = l.Store.LoadFresh(ctx, hartlepool)
	var ce *eventstore.ChainError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, eventstore.ErrTampered)
	require.Equal(t, uint64(3), ce.Sequence)
}

// Appends and loads racing on many aggregates through a cache far smaller
// than the ledger: every command lands once, in order, whatever is evicted.
func TestConcurrentAppendsThroughATinyCache(t *testing.T) {
	l := estest.Open(t, func(c *eventstore.Config) { c.CacheEvents = 2; c.SyncInterval = time.Minute })
	ctx := estest.Context(t)
	const aggs, writers, commands = 6, 3, 8
	var wg sync.WaitGroup
	for a := 0; a < aggs; a++ {
		agg := eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("A%d/2008-11", a)}
		for w := 0; w < writers; w++ {
			wg.Go(func() {
				for c := 0; c < commands; {
					h, err := l.Store.Load(ctx, agg)
					if err != nil {
						t.Error(err)
						return
					}
					_, err = l.Store.Append(ctx, agg, h.Version, []eventstore.Event{ev("x", c)}, fmt.Sprintf("a%d-w%d-c%d", a, w, c))
					switch {
					case err == nil:
						c++
					case !errors.Is(err, eventstore.ErrConflict):
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	for a := 0; a < aggs; a++ {
		h, err := l.Store.LoadFresh(ctx, eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("A%d/2008-11", a)})
		require.NoError(t, err)
		require.Equal(t, uint64(writers*commands), h.Version)
	}
}

// LoadFor answers a command id before the caller decides: the original
// result for the same command (by fingerprint, or by actor for a command
// stored without one), ErrDuplicate for another command, and the history
// when the id is new or only the events could tell.
func TestLoadForAnswersAStoredCommandID(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	jo := ev("x", 1).Actor
	other := eventstore.Actor{ID: "al.jones", Role: "go", Organisation: "North East"}
	first, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("x", 1)}, "with-fp", eventstore.WithFingerprint("fp-1"))
	require.NoError(t, err)
	bare, err := l.Store.Append(ctx, hartlepool, 1, []eventstore.Event{ev("x", 2)}, "without-fp")
	require.NoError(t, err)

	for _, tc := range []struct {
		desc      string
		commandID string
		opts      []eventstore.AppendOption
		want      *eventstore.AppendResult
		dup       bool
	}{
		{desc: "a new command id", commandID: "new", opts: []eventstore.AppendOption{eventstore.WithFingerprint("fp-9"), eventstore.WithActor(jo)}},
		{desc: "the same fingerprint", commandID: "with-fp", opts: []eventstore.AppendOption{eventstore.WithFingerprint("fp-1"), eventstore.WithActor(other)}, want: &first},
		{desc: "another fingerprint", commandID: "with-fp", opts: []eventstore.AppendOption{eventstore.WithFingerprint("fp-2"), eventstore.WithActor(jo)}, dup: true},
		{desc: "stored without fingerprint, same actor", commandID: "without-fp", opts: []eventstore.AppendOption{eventstore.WithFingerprint("fp-3"), eventstore.WithActor(jo)}, want: &bare},
		{desc: "stored without fingerprint, another actor", commandID: "without-fp", opts: []eventstore.AppendOption{eventstore.WithFingerprint("fp-3"), eventstore.WithActor(other)}, dup: true},
		{desc: "nothing to tell it by but its events", commandID: "without-fp"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h, err := l.Store.LoadFor(ctx, hartlepool, tc.commandID, tc.opts...)
			if tc.dup {
				require.ErrorIs(t, err, eventstore.ErrDuplicate)
				require.Contains(t, err.Error(), "already used for a different command")
				return
			}
			require.NoError(t, err)
			require.Equal(t, uint64(2), h.Version)
			require.Len(t, h.Events, 2)
			if tc.want == nil {
				require.Nil(t, h.Appended)
				return
			}
			require.NotNil(t, h.Appended)
			require.True(t, h.Appended.Duplicate)
			require.Equal(t, tc.want.Sequence, h.Appended.Sequence)
			require.Equal(t, tc.want.Events[0].EventID, h.Appended.Events[0].EventID)
		})
	}
}

// Append recognises a repeat as LoadFor does: the same fingerprint is the
// same command even if its events now come out different; a command stored
// without fingerprint is answered to its own actor only.
func TestAppendRecognisesARepeatByFingerprintOrActor(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	first, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("x", 1)}, "c1", eventstore.WithFingerprint("fp-1"))
	require.NoError(t, err)
	again, err := l.Store.Append(ctx, hartlepool, 1, []eventstore.Event{ev("x", 7)}, "c1", eventstore.WithFingerprint("fp-1"))
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.Sequence, again.Sequence)

	_, err = l.Store.Append(ctx, hartlepool, 1, []eventstore.Event{ev("x", 2)}, "c2")
	require.NoError(t, err)
	someone := ev("x", 2)
	someone.Actor.ID = "someone.else"
	_, err = l.Store.Append(ctx, hartlepool, 2, []eventstore.Event{someone}, "c2", eventstore.WithFingerprint("fp-2"), eventstore.WithActor(someone.Actor))
	require.ErrorIs(t, err, eventstore.ErrDuplicate)
	mine := ev("x", 3)
	res, err := l.Store.Append(ctx, hartlepool, 2, []eventstore.Event{mine}, "c2", eventstore.WithFingerprint("fp-2"), eventstore.WithActor(mine.Actor))
	require.NoError(t, err)
	require.True(t, res.Duplicate)
}
