package service_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

func caaSteps() []service.Step {
	var steps []service.Step
	for _, s := range domain.DemoCAAHistory() {
		steps = append(steps, service.Step{Meta: s.Meta, Command: s.Command, ExpectError: s.ExpectError})
	}
	return steps
}

func TestCAADemoThroughTheLedgerTwice(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	svc := service.New(l.Store, service.Kinds())
	_, err := svc.RunSteps(ctx, caaSteps())
	require.NoError(t, err)
	first, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.NotZero(t, first)

	// A second run, on a fresh service after a restart, appends nothing.
	l.Restart()
	svc = service.New(l.Store, service.Kinds())
	outcomes, err := svc.RunSteps(ctx, caaSteps())
	require.NoError(t, err)
	for _, o := range outcomes {
		if o.Err == nil {
			require.True(t, o.Result.Duplicate, "%s was appended again", o.Step.Meta.CommandID)
		}
	}
	again, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, first, again)

	// The service's state equals folding the stored events from zero.
	ref := domain.AreaAssessmentRef("00EB", 2009)
	st, _, err := svc.State(ctx, ref)
	require.NoError(t, err)
	h, err := l.Store.LoadFresh(ctx, eventstore.Aggregate{Kind: ref.Kind, ID: ref.ID})
	require.NoError(t, err)
	var events []domain.Event
	for _, e := range h.Events {
		de, err := domain.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
		require.NoError(t, err)
		events = append(events, de)
	}
	require.Equal(t, domain.FoldAreaAssessment(events), st)
	require.True(t, st.(domain.AreaAssessment).Published)
}

func TestExecuteWithStaleIfMatchIsAConflict(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	svc := service.New(l.Store, service.Kinds())
	steps := caaSteps()
	_, err := svc.RunSteps(ctx, steps[:3])
	require.NoError(t, err)
	zero := uint64(0)
	next := steps[3]
	_, err = svc.Execute(ctx, next.Meta, next.Command, &zero)
	var ce *eventstore.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Zero(t, ce.Expected)
}
