package eventstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

var hartlepool = eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}

func ev(typ string, n int) eventstore.Event {
	return eventstore.Event{
		Type: typ, SchemaVersion: 1,
		Data:       json.RawMessage(fmt.Sprintf(`{"n": %d}`, n)),
		Actor:      eventstore.Actor{ID: "jo.smith", Role: "la", Organisation: "00EB"},
		OccurredAt: time.Date(2008, 4, 1, 10, 0, 0, 0, time.UTC),
	}
}

func TestAppendAssignsVersionsAndChain(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	res, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("laa.AgreementOpened", 1), ev("laa.TargetProposed", 2)}, "cmd-1")
	require.NoError(t, err)
	require.Equal(t, uint64(1), res.FirstVersion)
	require.Equal(t, uint64(2), res.LastVersion)
	require.Equal(t, eventstore.ZeroHash, res.Events[0].PrevHash)
	require.Equal(t, res.Events[0].Hash, res.Events[1].PrevHash)
	require.False(t, res.Duplicate)

	h, err := l.Store.LoadFresh(ctx, hartlepool)
	require.NoError(t, err)
	require.Equal(t, uint64(2), h.Version)
	require.Equal(t, res.Sequence, h.LastSequence)
	require.Equal(t, `{"n":2}`, string(h.Events[1].Data))
}

func TestConcurrentAppendsOneWinnerPerVersion(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	const racers, rounds = 20, 5
	for round := uint64(0); round < rounds; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for g := 0; g < racers; g++ {
			wg.Go(func() {
				_, err := l.Store.Append(ctx, hartlepool, round, []eventstore.Event{ev("laa.TargetProposed", g)}, fmt.Sprintf("r%d-g%d", round, g))
				mu.Lock()
				defer mu.Unlock()
				var ce *eventstore.ConflictError
				switch {
				case err == nil:
					wins++
				case errors.As(err, &ce):
					conflicts++
					if ce.Expected != round || ce.Actual != round+1 {
						t.Errorf("conflict carries expected %d actual %d, want %d and %d", ce.Expected, ce.Actual, round, round+1)
					}
				default:
					t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, 1, wins, "round %d winners", round)
		require.Equal(t, racers-1, conflicts, "round %d conflicts", round)
	}
	h, err := l.Store.LoadFresh(ctx, hartlepool)
	require.NoError(t, err)
	require.Len(t, h.Events, rounds)
	for i, e := range h.Events {
		require.Equal(t, uint64(i+1), e.AggregateVersion)
	}
}

// Two stores on one server share no cache: only the server's per-subject
// expectation keeps them apart.
func TestConflictAcrossProcessesIsDetectedByServer(t *testing.T) {
	l := estest.Open(t, func(c *eventstore.Config) { c.ListenAddr = "127.0.0.1:-1" })
	ctx := estest.Context(t)
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "c1")
	require.NoError(t, err)
	_, err = l.Store.Load(ctx, hartlepool) // warm this store's cache at version 1
	require.NoError(t, err)

	other := secondWriter(t, l)
	_, err = other.Append(ctx, hartlepool, 1, []eventstore.Event{ev("b", 2)}, "c2")
	require.NoError(t, err)

	_, err = l.Store.Append(ctx, hartlepool, 1, []eventstore.Event{ev("c", 3)}, "c3")
	var ce *eventstore.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, uint64(2), ce.Actual)
	// The conflict refreshed the cache: the right expectation now succeeds.
	_, err = l.Store.Append(ctx, hartlepool, 2, []eventstore.Event{ev("c", 3)}, "c3")
	require.NoError(t, err)
}

func TestSameCommandTwiceStoresOnce(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	events := []eventstore.Event{ev("laa.TargetProposed", 1), ev("laa.TargetProposed", 2)}
	first, err := l.Store.Append(ctx, hartlepool, 0, events, "cmd-same")
	require.NoError(t, err)

	again, err := l.Store.Append(ctx, hartlepool, 0, events, "cmd-same")
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.Sequence, again.Sequence)
	require.Equal(t, first.Events[1].EventID, again.Events[1].EventID)

	l.Restart()
	afterRestart, err := l.Store.Append(ctx, hartlepool, 0, events, "cmd-same")
	require.NoError(t, err)
	require.True(t, afterRestart.Duplicate)
	require.Equal(t, first.Sequence, afterRestart.Sequence)

	last, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, first.Sequence, last, "nothing new in the stream")

	_, err = l.Store.Append(ctx, hartlepool, 2, []eventstore.Event{ev("other", 9)}, "cmd-same")
	require.ErrorIs(t, err, eventstore.ErrDuplicate)
}

// A repeat after the server's duplicate window is caught from the
// aggregate's own history.
func TestRepeatOutsideDuplicateWindow(t *testing.T) {
	l := estest.Open(t, func(c *eventstore.Config) { c.DuplicateWindow = 100 * time.Millisecond })
	ctx := estest.Context(t)
	first, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "cmd-old")
	require.NoError(t, err)
	_, err = l.Store.Append(ctx, hartlepool, 1, []eventstore.Event{ev("b", 2)}, "cmd-next")
	require.NoError(t, err)
	// A restart empties the cache. The repeat below also expects version 0,
	// which the server would refuse as a conflict (it checks expectations
	// before message ids); only the aggregate's history can recognise it.
	l.Restart()
	res, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "cmd-old")
	require.NoError(t, err)
	require.True(t, res.Duplicate)
	require.Equal(t, first.Sequence, res.Sequence)
}

func TestMultiEventCommandIsAllOrNothing(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "c1")
	require.NoError(t, err)

	bad := ev("b", 3)
	bad.Data = json.RawMessage(`{"broken":`)
	_, err = l.Store.Append(ctx, hartlepool, 1, []eventstore.Event{ev("b", 2), bad, ev("b", 4)}, "c2")
	require.ErrorIs(t, err, eventstore.ErrInvalid)

	_, err = l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("b", 2), ev("b", 3)}, "c3")
	require.ErrorIs(t, err, eventstore.ErrConflict)

	h, err := l.Store.LoadFresh(ctx, hartlepool)
	require.NoError(t, err)
	require.Len(t, h.Events, 1, "neither failed command left an event")
	last, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), last)
}

func TestRestartKeepsEveryAcknowledgedEvent(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	aggs := []eventstore.Aggregate{hartlepool, {Kind: "laa", ID: "00BL/2008-11"}, {Kind: "caa", ID: "00EB/2009"}}
	acked := map[eventstore.Aggregate]int{}
	for i := 0; i < 30; i++ {
		a := aggs[i%len(aggs)]
		_, err := l.Store.Append(ctx, a, uint64(acked[a]), []eventstore.Event{ev("x", i)}, fmt.Sprintf("c%d", i))
		require.NoError(t, err)
		acked[a]++
	}
	l.Restart()
	v := eventstore.NewChainVerifier()
	n := 0
	_, err := l.Store.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		for i := range c.Events {
			n++
			if err := v.Check(&c.Events[i]); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 30, n)
	for a, want := range acked {
		h, err := l.Store.Load(ctx, a)
		require.NoError(t, err)
		require.Equal(t, uint64(want), h.Version, a.String())
	}
}

func TestServerRefusesDeleteAndPurge(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "c1")
	require.NoError(t, err)

	// The service connection may not even ask.
	short, cancel := contextWithTimeout(ctx, 2*time.Second)
	defer cancel()
	require.Error(t, l.JetStream().DeleteStream(short, eventstore.DefaultStream))
	require.Error(t, l.Stream().Purge(short))
	require.Error(t, l.Stream().DeleteMsg(short, 1))
	cfg := l.Store.StreamConfig()
	cfg.DenyDelete = false
	_, err = l.JetStream().UpdateStream(short, cfg)
	require.Error(t, err)

	// And the stream itself refuses message deletion and purges from anyone.
	admin := l.AdminJetStream()
	st, err := admin.Stream(ctx, eventstore.DefaultStream)
	require.NoError(t, err)
	require.Error(t, st.DeleteMsg(ctx, 1))
	require.Error(t, st.SecureDeleteMsg(ctx, 1))
	require.Error(t, st.Purge(ctx))

	h, err := l.Store.LoadFresh(ctx, hartlepool)
	require.NoError(t, err)
	require.Len(t, h.Events, 1)
}

func TestOpenRefusesStreamThatCouldLoseEvents(t *testing.T) {
	for _, tc := range []struct {
		desc string
		mod  func(*jetstream.StreamConfig)
	}{
		{"max age", func(c *jetstream.StreamConfig) { c.MaxAge = time.Hour }},
		{"max msgs", func(c *jetstream.StreamConfig) { c.MaxMsgs = 1000 }},
		{"deny delete off", func(c *jetstream.StreamConfig) { c.DenyDelete = false }},
		{"rollup", func(c *jetstream.StreamConfig) { c.AllowRollup = true }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			l := estest.Open(t)
			c := l.Store.StreamConfig()
			tc.mod(&c)
			require.ErrorIs(t, eventstore.CheckStreamConfig(c), eventstore.ErrInvalid)
		})
	}
	l := estest.Open(t)
	require.NoError(t, eventstore.CheckStreamConfig(l.Store.StreamConfig()))
}

func TestInvalidSubjectTokensAreRefused(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	for _, agg := range []eventstore.Aggregate{
		{Kind: "laa", ID: "00.EB/2008-11"}, {Kind: "laa", ID: "00EB/*"}, {Kind: "la>a", ID: "x"},
		{Kind: "laa", ID: "00EB /2008"}, {Kind: "laa", ID: ""}, {Kind: "laa", ID: "00EB//2008"},
	} {
		_, err := l.Store.Append(ctx, agg, 0, []eventstore.Event{ev("a", 1)}, "c1")
		require.ErrorIs(t, err, eventstore.ErrInvalid, agg.String())
	}
	last, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Zero(t, last)
}

func TestTamperedEventIsDetectedAtItsPosition(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 5)
	// Copy the ledger to a scratch stream, altering the third event's body.
	copied := copyToScratch(t, l, 3)
	v := eventstore.NewChainVerifier()
	var firstBad error
	for _, c := range copied {
		for i := range c.Events {
			if err := v.Check(&c.Events[i]); err != nil && firstBad == nil {
				firstBad = err
			}
		}
	}
	var ce *eventstore.ChainError
	require.ErrorAs(t, firstBad, &ce)
	require.ErrorIs(t, firstBad, eventstore.ErrTampered)
	require.Equal(t, uint64(3), ce.Version)
	require.Equal(t, uint64(3), ce.Sequence)
}

func TestSubscribeCatchesUpThenFollows(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	appendN(t, l.Store, hartlepool, 3)
	got := make(chan uint64, 10)
	sctx, cancel := contextWithTimeout(ctx, 30*time.Second)
	done := make(chan error, 1)
	go func() {
		done <- l.Store.Subscribe(sctx, eventstore.ReadOptions{FromSequence: 2}, func(c *eventstore.Commit) error {
			got <- c.Events[0].Sequence
			return nil
		})
	}()
	require.Equal(t, uint64(2), <-got)
	require.Equal(t, uint64(3), <-got)
	_, err := l.Store.Append(ctx, hartlepool, 3, []eventstore.Event{ev("x", 3)}, "c3")
	require.NoError(t, err)
	require.Equal(t, uint64(4), <-got)
	cancel()
	require.NoError(t, <-done)
}

func TestReadFilteredByKind(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	caa := eventstore.Aggregate{Kind: "caa", ID: "00EB/2009"}
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("x", 1)}, "c1")
	require.NoError(t, err)
	_, err = l.Store.Append(ctx, caa, 0, []eventstore.Event{ev("y", 1)}, "c2")
	require.NoError(t, err)
	_, err = l.Store.Append(ctx, hartlepool, 1, []eventstore.Event{ev("x", 2)}, "c3")
	require.NoError(t, err)
	f, err := eventstore.FilterSubject("caa")
	require.NoError(t, err)
	var seqs []uint64
	_, err = l.Store.Read(ctx, eventstore.ReadOptions{Filter: f}, func(c *eventstore.Commit) error {
		seqs = append(seqs, c.Events[0].Sequence)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []uint64{2}, seqs)
}

func TestCloseTwice(t *testing.T) {
	l := estest.Open(t)
	require.NoError(t, l.Store.Close())
	require.NoError(t, l.Store.Close())
	_, err := l.Store.Append(estest.Context(t), hartlepool, 0, []eventstore.Event{ev("a", 1)}, "c1")
	require.ErrorIs(t, err, eventstore.ErrUnavailable)
}

// The duplicate window is the operator's to tune; reopening with another
// one applies it (it never weakens the ledger: repeats outside the window
// are caught from the aggregate's history).
func TestReopenAppliesDuplicateWindow(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("a", 1)}, "c1")
	require.NoError(t, err)
	l.Cfg.DuplicateWindow = 10 * time.Minute
	l.Restart()
	info, err := l.Stream().Info(ctx)
	require.NoError(t, err)
	require.Equal(t, 10*time.Minute, info.Config.Duplicates)
	require.NoError(t, eventstore.CheckStreamConfig(info.Config))
	require.Equal(t, 10*time.Minute, l.Store.StreamConfig().Duplicates)
}

// Without administrator rights the stream keeps its window, and the store
// says so through StreamConfig.
func TestReopenWithoutAdminKeepsDuplicateWindow(t *testing.T) {
	l := estest.Open(t, func(c *eventstore.Config) {
		c.ListenAddr = "127.0.0.1:-1"
		c.DuplicateWindow = 5 * time.Minute
	})
	ctx := estest.Context(t)
	s, err := eventstore.Open(ctx, eventstore.Config{
		NATSURL:         l.Server().ClientURL(),
		ConnectOptions:  l.ServiceIdentity(),
		DuplicateWindow: time.Minute,
	})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.Equal(t, 5*time.Minute, s.StreamConfig().Duplicates)
	info, err := l.Stream().Info(ctx)
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, info.Config.Duplicates)
}

// Two embedded servers on one data directory would corrupt it: the second
// open is refused, and succeeds once the first has closed.
func TestSecondEmbeddedOpenOfADataDirIsRefused(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	_, err := eventstore.Open(ctx, eventstore.Config{DataDir: l.Cfg.DataDir})
	require.ErrorIs(t, err, eventstore.ErrInUse)
	require.ErrorIs(t, err, eventstore.ErrUnavailable)
	require.Contains(t, err.Error(), "held by process")
	l.Restart() // close and reopen in this process works
	_, err = l.Store.LastSequence(ctx)
	require.NoError(t, err)
}

// Readers leave no consumers behind: a burst of cold loads well beyond the
// reader bound completes, and the stream ends with no consumers.
func TestColdLoadsLeaveNoConsumers(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	const aggs = 60
	for i := 0; i < aggs; i++ {
		a := eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("A%03d/2008-11", i)}
		_, err := l.Store.Append(ctx, a, 0, []eventstore.Event{ev("x", i)}, fmt.Sprintf("c%d", i))
		require.NoError(t, err)
	}
	l.Restart()
	var wg sync.WaitGroup
	errs := make(chan error, aggs)
	for i := 0; i < aggs; i++ {
		wg.Go(func() {
			h, err := l.Store.Load(ctx, eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("A%03d/2008-11", i)})
			if err == nil && h.Version != 1 {
				err = fmt.Errorf("version %d", h.Version)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		info, err := l.Stream().Info(ctx)
		return err == nil && info.State.Consumers == 0
	}, 10*time.Second, 20*time.Millisecond, "every reader deleted its consumer")
}

// A ledger stream weakened behind the service's back (here an
// administrator adds a maximum age) is refused at the next start.
func TestOpenRefusesAWeakenedStream(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	js := l.AdminJetStream()
	cfg := l.Store.StreamConfig()
	cfg.MaxAge = 24 * time.Hour
	_, err := js.UpdateStream(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, l.Store.Close())
	_, err = eventstore.Open(ctx, l.Cfg)
	require.ErrorIs(t, err, eventstore.ErrInvalid)
	require.Contains(t, err.Error(), "max_age")
	l.Store = nil
}

// A command id reused for another command is refused even when its events
// would be the same; the same fingerprint is a retry and gets the original.
func TestFingerprintTellsARetryFromAReusedCommandID(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	events := []eventstore.Event{ev("laa.TargetProposed", 1)}
	first, err := l.Store.Append(ctx, hartlepool, 0, events, "cmd-fp", eventstore.WithFingerprint("fp-1"))
	require.NoError(t, err)
	require.Equal(t, "fp-1", first.Fingerprint)

	again, err := l.Store.Append(ctx, hartlepool, 0, events, "cmd-fp", eventstore.WithFingerprint("fp-1"))
	require.NoError(t, err)
	require.True(t, again.Duplicate)

	_, err = l.Store.Append(ctx, hartlepool, 0, events, "cmd-fp", eventstore.WithFingerprint("fp-2"))
	require.ErrorIs(t, err, eventstore.ErrDuplicate)

	l.Restart() // the fingerprint is stored, not only cached
	res, ok, err := l.Store.Appended(ctx, hartlepool, "cmd-fp")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "fp-1", res.Fingerprint)
	_, err = l.Store.Append(ctx, hartlepool, 1, events, "cmd-fp", eventstore.WithFingerprint("fp-2"))
	require.ErrorIs(t, err, eventstore.ErrDuplicate)
}

// Input that could not be stored faithfully is refused before anything is
// written: a time JSON cannot carry back, text that is not UTF-8.
func TestUnstorableInputIsRefused(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	late := ev("x", 1)
	late.OccurredAt = time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("EST", -5*3600)) // year 10000 in UTC
	badReason := ev("x", 2)
	badReason.Reason = "r\xe9sum\xe9"
	badEvidence := ev("x", 3)
	badEvidence.Evidence = []string{"nis-\xe9.csv"}
	badActor := ev("x", 4)
	badActor.Actor.ID = "jo\xff"
	for i, e := range []eventstore.Event{late, badReason, badEvidence, badActor} {
		_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{e}, fmt.Sprintf("c%d", i))
		require.ErrorIs(t, err, eventstore.ErrInvalid, "case %d", i)
	}
	_, err := l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("x", 5)}, "has space")
	require.ErrorIs(t, err, eventstore.ErrInvalid)
	// A dotted command id is fine: it is a header, not a subject.
	_, err = l.Store.Append(ctx, hartlepool, 0, []eventstore.Event{ev("x", 6)}, "outturn.00EB.ni112")
	require.NoError(t, err)
	last, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), last)
	v := eventstore.NewChainVerifier()
	h, err := l.Store.LoadFresh(ctx, hartlepool)
	require.NoError(t, err)
	require.NoError(t, v.Check(&h.Events[0]))
}
