package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// countingStore is the real store, counting the calls the service makes,
// and apart from them the reads of area assessments (an LAA decision
// consulting a CAA flag).
type countingStore struct {
	*eventstore.Store
	calls, flagReads atomic.Int64
}

func (c *countingStore) LoadFor(ctx context.Context, agg eventstore.Aggregate, id string, opts ...eventstore.AppendOption) (eventstore.History, error) {
	c.calls.Add(1)
	return c.Store.LoadFor(ctx, agg, id, opts...)
}

func (c *countingStore) Load(ctx context.Context, agg eventstore.Aggregate) (eventstore.History, error) {
	if agg.Kind == domain.KindAreaAssessment {
		c.flagReads.Add(1)
		return c.Store.Load(ctx, agg)
	}
	c.calls.Add(1)
	return c.Store.Load(ctx, agg)
}

func (c *countingStore) Append(ctx context.Context, agg eventstore.Aggregate, v uint64, events []eventstore.Event, id string, opts ...eventstore.AppendOption) (eventstore.AppendResult, error) {
	c.calls.Add(1)
	return c.Store.Append(ctx, agg, v, events, id, opts...)
}

// A command costs one store call to load its aggregate and one to append;
// a refusal or a retry costs the load only. An LAA command also reads the
// indicator catalogue (and, counted apart, the CAA flag it names).
func TestExecuteCallsTheStoreOnceToLoadAndOnceToAppend(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	store := &countingStore{Store: l.Store}
	svc := service.New(store, service.Kinds())
	steps := service.DemoSteps()

	calls := func(st service.Step) int64 {
		t.Helper()
		before := store.calls.Load()
		_, err := svc.Execute(ctx, st.Meta, st.Command, nil)
		require.Equal(t, st.ExpectError, domain.ErrorRule(err), "%s: %v", st.Meta.CommandID, err)
		return store.calls.Load() - before
	}
	// Calls per step, by kind and outcome.
	got := map[string]map[int64]int{}
	for _, st := range steps {
		outcome := "accepted"
		if st.ExpectError != "" {
			outcome = "refused"
		}
		key := st.Command.Aggregate().Kind + " " + outcome
		if got[key] == nil {
			got[key] = map[int64]int{}
		}
		got[key][calls(st)]++
	}
	t.Logf("store calls per command: %v; flag reads: %d", got, store.flagReads.Load())
	require.NotZero(t, store.flagReads.Load(), "the demo reopens a target on a CAA flag")
	// Every command first reads the actor register (one call, answered
	// from the store's cache).
	for key, want := range map[string]int64{
		"caa accepted": 3, "caa refused": 2, "oa accepted": 3, "oa refused": 2,
		"laa accepted": 4, "laa refused": 3, // the catalogue is read before deciding
		"nis accepted": 3,
	} {
		require.Len(t, got[key], 1, "%s: %v", key, got[key])
		require.Contains(t, got[key], want, key)
	}
	for _, st := range steps {
		if st.ExpectError == "" {
			require.EqualValues(t, 2, calls(st), "retry of %s", st.Meta.CommandID)
		}
	}
}

// conflictCountingStore is the real store, counting the appends it refused
// because the aggregate had moved on.
type conflictCountingStore struct {
	*eventstore.Store
	conflicts atomic.Int64
}

func (c *conflictCountingStore) Append(ctx context.Context, agg eventstore.Aggregate, v uint64, events []eventstore.Event, id string, opts ...eventstore.AppendOption) (eventstore.AppendResult, error) {
	res, err := c.Store.Append(ctx, agg, v, events, id, opts...)
	if errors.Is(err, eventstore.ErrConflict) {
		c.conflicts.Add(1)
	}
	return res, err
}

// Writers in one process on one aggregate take turns between load and
// append: 64 at once through one service all succeed, and the store never
// refuses an append for a version that moved on.
func TestConcurrentCommandsOnOneAggregateNeverConflict(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	store := &conflictCountingStore{Store: l.Store}
	svc := service.New(store, service.Kinds())
	steps := service.DemoSteps()
	_, err := svc.RunSteps(ctx, steps)
	require.NoError(t, err)
	var rec *service.Step
	for i := range steps {
		if c, ok := steps[i].Command.(laa.RecordOutturn); ok && c.Agreement == "00EB/2008-11" && steps[i].ExpectError == "" {
			rec = &steps[i]
		}
	}
	require.NotNil(t, rec, "the demo records an outturn on Hartlepool")
	cmd := rec.Command.(laa.RecordOutturn)
	before := store.conflicts.Load()

	const writers = 64
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			m := rec.Meta
			m.CommandID = fmt.Sprintf("concurrent-%d", i)
			c := cmd
			c.Value = float64(100 + i)
			_, errs[i] = svc.Execute(ctx, m, c, nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "writer %d", i)
	}
	require.Zero(t, store.conflicts.Load()-before, "appends refused for a stale version")
	h, err := l.Store.LoadFresh(ctx, service.StoreAggregate(cmd.Aggregate()))
	require.NoError(t, err)
	var ours int
	for _, e := range h.Events {
		if strings.HasPrefix(e.CommandID, "concurrent-") {
			ours++
		}
	}
	require.Equal(t, writers, ours, "events stored by the writers")
}
